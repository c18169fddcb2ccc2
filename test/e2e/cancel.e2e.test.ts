/**
 * dist/index.js cancelled as the runner cancels a step (support/runner.ts: SIGINT, SIGTERM 7.5 s
 * later, SIGKILL 2.5 s after that) at each step boundary, with one request held in flight.
 *
 * - 'the runner's cancel sequence' checks the helper itself against small node scripts.
 * - 'cancelled at …': the process exits before the SIGTERM, every destination holds a key Hive
 *   accepts (invariant 1), no key that no destination holds is left active, the log and summary
 *   say cancelled and in which step, the journal says the main step ended cancelled, no key value
 *   leaked; and a next run started at once (given the key a destination holds) converges without
 *   stopping for a rotation "in flight".
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { leaks, runAction, type ActionRun } from '../support/run-action.js'
import { cancelLikeRunner, SIGTERM_AFTER_MS, type CancelOutcome } from '../support/runner.js'
import { startWorld, TOKEN, type World } from '../support/world.js'
import type { HoldingProxy, Hold } from '../support/hold-proxy.js'
import { runUntilHeld } from '../support/held-run.js'
import { expectEveryDestinationLive, holdings } from '../support/convergence.js'
import { seedRotationKey } from './helpers.js'
import { expectConverged } from '../support/convergence.js'
import { nextRunKey } from '../support/inprocess.js'
import { parseState } from '../support/runner.js'

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
  hold: Hold,
  timers?: { termAfterMs?: number; killAfterMs?: number }
): Promise<{ run: ActionRun; cancel: CancelOutcome }> {
  const held = await runUntilHeld(world, which, hold)
  proxy = held.proxy
  const [cancel, run] = await Promise.all([cancelLikeRunner(held.child, timers), held.running])
  return { run, cancel }
}

/**
 * The safe state: every destination live; no key this run made is active unless a destination
 * holds it, or a write of it was sent (it may have landed), in which case it is kept and marked
 * stopped in its name. Keys active before the run (the old key, a seeded leftover) are kept.
 */
function expectSafeAndSaid(
  run: ActionRun,
  cancel: CancelOutcome,
  step: RegExp,
  before: Set<string>,
  writeSent: boolean
) {
  expect(cancel.sent).toEqual(['SIGINT'])
  expect(cancel.exitMs).toBeLessThan(SIGTERM_AFTER_MS)
  expect(run.code).not.toBe(0)
  expectEveryDestinationLive(world, 'after the cancel')
  const held = new Set(Object.values(holdings(world)))
  const unheld = world.hive
    .activeKeys()
    .filter(k => k.id !== world.admin.id && !held.has(k.id) && !before.has(k.id))
  if (writeSent) {
    for (const k of unheld) expect(k.name).toMatch(/ stopped( |$)/)
  } else {
    expect(unheld.map(k => k.id)).toEqual([])
  }
  expect(run.stdout).toMatch(/cancel/i)
  expect(run.summary).toMatch(/cancel/i)
  expect(`${run.stdout}\n${run.summary}`).toMatch(step)
  expect(leaks(run, [...world.hive.keys().map(k => k.value), TOKEN])).toEqual([])
  const journal = JSON.parse(parseState(run.state).journal ?? '{}') as { ended?: string }
  expect(journal.ended).toBe('cancelled')
}

async function expectNextRunConverges() {
  await proxy?.stop()
  proxy = undefined
  const next = await runAction({
    inputs: world.inputs({ 'hive-api-key': nextRunKey(world) }),
    env: world.env,
    timeoutMs: 60_000
  })
  expect(next.stdout).not.toMatch(/another rotation seems to be in flight/i)
  expect(next.code).toBe(0)
  expectConverged(world, 'after the next run')
}

const PUT = /\/secrets\/HIVE_API_KEY$/

/** Name, which side is held, the hold, the step named, whether a write was sent, a set-up. */
const BOUNDARIES: [string, 'hive' | 'github', Hold, RegExp, boolean, (() => void)?][] = [
  [
    'preflight',
    'hive',
    { method: 'GET', path: '/api-keys/current', phase: 'request' },
    /preflight/i,
    false
  ],
  [
    'create in flight',
    'hive',
    { method: 'POST', path: '/api-keys', phase: 'request' },
    /create/i,
    false
  ],
  [
    'test (probe held)',
    'hive',
    { method: 'GET', path: '/executions-cli/executions', phase: 'request' },
    /test/i,
    false
  ],
  [
    'store, before the first write',
    'github',
    { method: 'PUT', path: PUT, phase: 'request' },
    /store/i,
    true
  ],
  [
    'store, a write confirmed and one to go',
    'github',
    { method: 'PUT', path: PUT, nth: 2, phase: 'request' },
    /store/i,
    true
  ],
  [
    'prune',
    'hive',
    // The leftover seeded below is the first key DELETE the run sends.
    { method: 'DELETE', path: /^\/api-keys\//, phase: 'request' },
    /prune/i,
    false,
    () => void seedRotationKey(world, { replaces: world.ci.id, ageMs: 3 * 3_600_000 })
  ],
  [
    'retire',
    'hive',
    { method: 'DELETE', path: /^\/api-keys\//, phase: 'request' },
    /retire|revok/i,
    false
  ],
  [
    'retire, confirming the old key answers 401',
    'hive',
    // The first GET of the verify path is the new key's test; the second, the retire's confirm.
    { method: 'GET', path: '/executions-cli/executions', nth: 2, phase: 'request' },
    /retire/i,
    false
  ]
]

for (const [name, which, hold, step, writeSent, setUp] of BOUNDARIES) {
  describe(`cancelled at ${name}`, () => {
    it('exits before the SIGTERM in the safe state of its step, says so; the next run converges', async () => {
      setUp?.()
      const before = new Set(world.hive.activeKeys().map(k => k.id))
      const { run, cancel } = await cancelAt(which, hold)
      expectSafeAndSaid(run, cancel, step, before, writeSent)
      await expectNextRunConverges()
    }, 90_000)
  })
}

describe('a second signal during the clean-up', () => {
  it('SIGTERM soon after SIGINT does not break it: same safe state, exit before the kill', async () => {
    const { run, cancel } = await cancelAt(
      'hive',
      { method: 'GET', path: '/executions-cli/executions', phase: 'request' },
      { termAfterMs: 300, killAfterMs: 7_000 }
    )
    expect(cancel.sent).toEqual(['SIGINT', 'SIGTERM'])
    expect(run.code).toBe(1)
    expectEveryDestinationLive(world, 'after the cancel')
    expect(
      world.hive
        .activeKeys()
        .map(k => k.id)
        .sort()
    ).toEqual([world.admin.id, world.ci.id].sort())
    expect(run.summary).toMatch(/cancelled \(SIGINT\)/)
  }, 60_000)
})
