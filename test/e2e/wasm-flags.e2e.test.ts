/**
 * The action sets V8's `--liftoff-only` once its inputs are valid and before it compiles
 * libsodium (src/wasm-flags.ts): V8 reads the flag as it compiles a module, so set later it would
 * do nothing for libsodium; set as the process starts, it would slow a run refused on its inputs.
 * A preload (support/wasm-order.mjs) records the order in which the process sets flags and
 * compiles WebAssembly, telling libsodium's module by its exports.
 */
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { ROOT, runAction, type ActionRun } from '../support/run-action.js'
import {
  act,
  expectDestinationsHoldLiveKeys,
  expectSucceededWithOneNewKey,
  useWorld
} from './helpers.js'

const PRELOAD = ['--import', join(ROOT, 'test/support/wasm-order.mjs')]
const world = useWorld()

function order(run: ActionRun): string[] {
  const line = /^wasm-order: (.*)$/m.exec(run.stderr)
  if (line === null) throw new Error(`no wasm-order line:\n${run.stdout}\n${run.stderr}`)
  return JSON.parse(line[1]) as string[]
}

describe('WebAssembly compiled once', () => {
  it('a rotation sets --liftoff-only once, before it compiles libsodium', async () => {
    const w = world()
    const outcome = await act(w, w.inputs(), { nodeArgs: PRELOAD })
    // The recorder let the run be what it is: one new key, in every destination.
    expectSucceededWithOneNewKey(outcome)
    expectDestinationsHoldLiveKeys(w)
    const events = order(outcome.run)
    const flag = events.indexOf('flags --liftoff-only')
    const sodium = events.findIndex(e => /^wasm \w+ sodium$/.test(e))
    expect(events.filter(e => e.startsWith('flags '))).toEqual(['flags --liftoff-only'])
    expect(flag).toBeGreaterThanOrEqual(0)
    expect(sodium).toBeGreaterThan(flag)
  })

  it('a run refused on its inputs sets no flag, and compiles no libsodium', async () => {
    const w = world()
    const run = await runAction({
      inputs: w.inputs({ mode: 'panic' }),
      env: w.env,
      nodeArgs: PRELOAD
    })
    expect(run.code).toBe(1)
    const events = order(run)
    expect(events.filter(e => e.startsWith('flags '))).toEqual([])
    expect(events.filter(e => e.includes('sodium'))).toEqual([])
    // undici still compiles its HTTP parser as it loads: the recorder sees WebAssembly.
    expect(events.filter(e => e.startsWith('wasm '))).not.toEqual([])
  })
})
