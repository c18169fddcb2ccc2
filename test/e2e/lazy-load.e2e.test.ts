/**
 * Issue 11, item 2: a run loads what it needs when it needs it. A bad input fails before
 * libsodium, @octokit/auth-app, @actions/github (with Octokit's plugins and bottleneck) load; a
 * token run never loads auth-app. Each package is recognised in dist/ by a string of its own
 * code, and every module the action's process loads (the entry and each chunk ncc split off for a
 * dynamic import) is logged by a hook preloaded with `--import` (support/load-log.mjs). A static
 * import of any of them puts its code in dist/index.js, which every run loads: this test fails.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from '@jest/globals'
import { ROOT, runAction } from '../support/run-action.js'
import { act, expectSucceededWithOneNewKey, useWorld, without } from './helpers.js'
import { rsaKeyPair } from '../support/rsa-keys.js'

/** A string found in each package's own code (and in nothing of this action's). */
const MARKERS = {
  'libsodium-wrappers': 'sodium_version_string',
  '@octokit/auth-app': '[@octokit/auth-app] appId option is required',
  '@actions/github': 'process.env.GITHUB_EVENT_PATH',
  '@octokit/plugin-throttling': 'plugin-throttling error:',
  bottleneck: 'This limiter has been stopped'
} as const
type Package = keyof typeof MARKERS
const ALL = Object.keys(MARKERS) as Package[]

const DIST = join(ROOT, 'dist')
const HOOK = pathToFileURL(join(ROOT, 'test/support/load-log.mjs')).href

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** The environment that logs every module the run loads, and where it reads them back. */
function loadLog() {
  const dir = mkdtempSync(join(tmpdir(), 'rotate-key-loads-'))
  dirs.push(dir)
  const file = join(dir, 'loads')
  return {
    env: { NODE_OPTIONS: `--import=${HOOK}`, ROTATE_KEY_LOAD_LOG: file },
    /** The files of dist/ the run loaded, as paths relative to dist/. */
    loaded(): string[] {
      let text = ''
      try {
        text = readFileSync(file, 'utf8')
      } catch {
        // nothing logged
      }
      const files = text
        .split('\n')
        .filter(url => url.startsWith('file:'))
        .map(url => fileURLToPath(url))
        .filter(path => path.startsWith(DIST + '/'))
        .map(path => path.slice(DIST.length + 1))
      return [...new Set(files)].sort()
    }
  }
}

/** The packages whose code is in the given files of dist/. */
function packagesIn(files: string[]): Package[] {
  const code = files.map(f => readFileSync(join(DIST, f), 'utf8'))
  return ALL.filter(p => code.some(text => text.includes(MARKERS[p])))
}

const world = useWorld()

describe('what a run loads', () => {
  it('finds each package in dist/, none of them in dist/index.js (the fixture of this check)', () => {
    const chunks = readdirSync(DIST).filter(f => f.endsWith('.js'))
    // A marker no longer in dist/ would make the checks below pass whatever loads.
    expect(packagesIn(chunks)).toEqual(ALL)
    expect(packagesIn(['index.js'])).toEqual([])
  })

  it('fails a bad input before libsodium, auth-app and @actions/github load', async () => {
    const w = world()
    const log = loadLog()
    // Every other input is good: only mode is refused.
    const run = await runAction({
      inputs: w.inputs({ mode: 'sideways' }),
      env: { ...w.env, ...log.env },
      timeoutMs: 30_000
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::.*mode must be one of/)
    expect(run.stdout.match(/::error::/g)).toHaveLength(2) // the problem, then the count
    expect(w.hive.requests.length + w.github.requests.length).toBe(0)
    // The hook works: it saw the entry.
    expect(log.loaded()).toContain('index.js')
    expect({ loaded: log.loaded(), packages: packagesIn(log.loaded()) }).toEqual({
      loaded: ['index.js'],
      packages: []
    })
  })

  it('loads no GitHub side in mode check, and no libsodium in a dry run (nothing is sealed)', async () => {
    const w = world()
    const check = loadLog()
    const checked = await runAction({
      inputs: w.inputs({ mode: 'check' }),
      env: { ...w.env, ...check.env },
      timeoutMs: 30_000
    })
    expect(checked.code).toBe(0)
    expect(packagesIn(check.loaded())).toEqual([])

    const dry = loadLog()
    const planned = await act(w, w.inputs({ 'dry-run': 'true' }), { env: dry.env })
    expect(planned.run.code).toBe(0)
    expect(w.github.requests.some(r => r.path.endsWith('/public-key'))).toBe(true)
    expect(packagesIn(dry.loaded())).toEqual(
      ALL.filter(p => p !== 'libsodium-wrappers' && p !== '@octokit/auth-app')
    )
  }, 60_000)

  it('loads libsodium and @actions/github for a token rotation, never auth-app', async () => {
    const w = world()
    const log = loadLog()
    expectSucceededWithOneNewKey(await act(w, w.inputs(), { env: log.env }))
    expect(packagesIn(log.loaded())).toEqual(ALL.filter(p => p !== '@octokit/auth-app'))
  }, 60_000)

  it('loads auth-app once app-id is used', async () => {
    const w = world()
    const app = rsaKeyPair('lazy-load-app')
    w.github.addApp('4242', app.publicKey)
    w.github.installApp('4242', 'octo')
    const log = loadLog()
    const inputs = {
      ...without(w.inputs(), 'github-token'),
      'app-id': '4242',
      'app-private-key': app.privateKey,
      destinations: 'repo:octo/app'
    }
    const outcome = await act(w, inputs, { secrets: [app.privateKey], env: log.env })
    expectSucceededWithOneNewKey(outcome)
    expect(packagesIn(log.loaded())).toEqual(ALL)
  }, 60_000)
})
