/**
 * dist/index.js cancelled as the runner cancels a step (support/runner.ts: SIGINT, SIGTERM 7.5 s
 * later, SIGKILL 2.5 s after that) at each step boundary, with one request held in flight.
 *
 * - 'the runner's cancel sequence' checks the helper itself against small node scripts: runs today.
 * - 'cancelled at …' need the main step's signal handling (helper R's branch: merge). Each asserts
 *   that the process exits before the SIGTERM, that every destination holds a key Hive accepts
 *   (invariant 1), that no key no destination holds is left active, that the log and summary say
 *   cancelled and in which step, and that no key value leaked.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { leaks, runAction, type ActionRun } from '../support/run-action.js'
import { cancelLikeRunner, SIGTERM_AFTER_MS, type CancelOutcome } from '../support/runner.js'
import { startWorld, TOKEN, type World } from '../support/world.js'
import { HoldingProxy, type Hold } from '../support/hold-proxy.js'
import { activeNonAdmin, expectEveryDestinationLive, holdings } from '../support/convergence.js'
import { seedRotationKey } from './helpers.js'

describe("the runner's cancel sequence", () => {
  const script = (code: string) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
    // Resolves once the script has installed its handlers and said so.
    return new Promise<ChildProcess>(resolve => child.stdout.once('data', () => resolve(child)))
  }

  it('a process that stops on SIGINT exits at once, before any SIGTERM', async () => {
    const child = await script(
      "process.on('SIGINT', () => setTimeout(() => process.exit(3), 50)); console.log('ready'); setInterval(() => {}, 1000)"
    )
    const out = await cancelLikeRunner(child)
    expect(out).toMatchObject({ code: 3, sent: ['SIGINT'] })
    expect(out.exitMs).toBeLessThan(SIGTERM_AFTER_MS)
  })

  it('a process deaf to SIGINT gets SIGTERM, and one deaf to both SIGKILL', async () => {
    const deafToInt = await script(
      "process.on('SIGINT', () => {}); console.log('ready'); setInterval(() => {}, 1000)"
    )
    const term = await cancelLikeRunner(deafToInt, { termAfterMs: 300, killAfterMs: 300 })
    expect(term).toMatchObject({ signal: 'SIGTERM', sent: ['SIGINT', 'SIGTERM'] })
    expect(term.exitMs).toBeGreaterThanOrEqual(300)

    const deaf = await script(
      "process.on('SIGINT', () => {}); process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"
    )
    const kill = await cancelLikeRunner(deaf, { termAfterMs: 200, killAfterMs: 200 })
    expect(kill).toMatchObject({ signal: 'SIGKILL', sent: ['SIGINT', 'SIGTERM', 'SIGKILL'] })
    expect(kill.exitMs).toBeGreaterThanOrEqual(400)
  })
})

let world: World
let proxy: HoldingProxy | undefined

beforeEach(async () => {
  world = await startWorld()
})
afterEach(async () => {
  await proxy?.stop()
  proxy = undefined
  await world.stop()
})

/** Runs the action with `hold` held by a proxy and cancels it as the runner does when it is. */
async function cancelAt(
  which: 'hive' | 'github',
  hold: Hold
): Promise<{ run: ActionRun; cancel: CancelOutcome }> {
  proxy = new HoldingProxy(which === 'hive' ? world.hive.url : world.github.url)
  const url = await proxy.start()
  const held = proxy.hold(hold)
  let child: ChildProcess | undefined
  const running = runAction({
    inputs: world.inputs(which === 'hive' ? { 'hive-url': url } : {}),
    env: { ...world.env, ...(which === 'github' ? { GITHUB_API_URL: url } : {}) },
    onStart: c => (child = c),
    timeoutMs: 60_000
  })
  await Promise.race([held, running])
  if (child === undefined) throw new Error('no child')
  const [cancel, run] = await Promise.all([cancelLikeRunner(child), running])
  return { run, cancel }
}

function expectSafeAndSaid(run: ActionRun, cancel: CancelOutcome, step: RegExp) {
  expect(cancel.sent).toEqual(['SIGINT'])
  expect(cancel.exitMs).toBeLessThan(SIGTERM_AFTER_MS)
  expect(run.code).not.toBe(0)
  expectEveryDestinationLive(world, 'after the cancel')
  const held = new Set(Object.values(holdings(world)))
  expect(activeNonAdmin(world).filter(id => !held.has(id))).toEqual([])
  expect(run.stdout).toMatch(/cancel/i)
  expect(run.summary).toMatch(/cancel/i)
  expect(`${run.stdout}\n${run.summary}`).toMatch(step)
  expect(leaks(run, [...world.hive.keys().map(k => k.value), TOKEN])).toEqual([])
}

const PUT = /\/secrets\/HIVE_API_KEY$/

const BOUNDARIES: [string, 'hive' | 'github', Hold, RegExp, (() => void)?][] = [
  [
    'preflight',
    'hive',
    { method: 'GET', path: '/api-keys/current', phase: 'request' },
    /preflight/i
  ],
  ['create in flight', 'hive', { method: 'POST', path: '/api-keys', phase: 'request' }, /create/i],
  [
    'test (probe held)',
    'hive',
    { method: 'GET', path: '/executions-cli/executions', nth: 2, phase: 'request' },
    /test/i
  ],
  [
    'store, before the first write',
    'github',
    { method: 'PUT', path: PUT, phase: 'request' },
    /store/i
  ],
  [
    'store, a write confirmed and one to go',
    'github',
    { method: 'PUT', path: PUT, nth: 2, phase: 'request' },
    /store/i
  ],
  [
    'prune',
    'hive',
    // The leftover seeded below is the first key DELETE the run sends.
    { method: 'DELETE', path: /^\/api-keys\//, phase: 'request' },
    /prune/i,
    () => void seedRotationKey(world, { replaces: world.ci.id, ageMs: 3 * 3_600_000 })
  ],
  ['retire', 'hive', { method: 'DELETE', path: /^\/api-keys\//, phase: 'request' }, /retire|revok/i]
]

for (const [name, which, hold, step, setUp] of BOUNDARIES) {
  describe(`cancelled at ${name} (needs the main step's signal handling: merge)`, () => {
    it('exits before the SIGTERM in the safe state of its step, and says so', async () => {
      setUp?.()
      const { run, cancel } = await cancelAt(which, hold)
      expectSafeAndSaid(run, cancel, step)
    }, 60_000)
  })
}
