/**
 * Both bundles set V8's `--liftoff-only` before they compile any WebAssembly (src/wasm-flags.ts):
 * V8 reads the flag as it compiles a module, so set after undici's llhttp or libsodium, it would
 * do nothing for that module. A preload (support/wasm-order.mjs) records the order in which the
 * process sets flags and compiles WebAssembly. A run with no inputs still loads undici, which
 * compiles its HTTP parser as it loads.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { ACTION_NODE, DIST, ROOT } from '../support/run-action.js'

const PRELOAD = join(ROOT, 'test/support/wasm-order.mjs')

function order(script: string): string[] {
  const run = spawnSync(ACTION_NODE, ['--import', PRELOAD, script], {
    env: { PATH: process.env.PATH ?? '', GITHUB_STATE: '/dev/null' },
    encoding: 'utf8'
  })
  const line = /^wasm-order: (.*)$/m.exec(run.stderr)
  if (line === null) throw new Error(`no wasm-order line:\n${run.stdout}\n${run.stderr}`)
  return JSON.parse(line[1]) as string[]
}

describe.each([
  ['the action', DIST],
  ['the post step', join(ROOT, 'dist/post/index.js')]
])('%s', (_name, script) => {
  it('sets --liftoff-only once, before it compiles any WebAssembly', () => {
    const events = order(script)
    expect(events.filter(e => e.startsWith('wasm ')).length).toBeGreaterThan(0)
    expect(events.filter(e => e.startsWith('flags '))).toEqual(['flags --liftoff-only'])
    expect(events[0]).toBe('flags --liftoff-only')
  })
})
