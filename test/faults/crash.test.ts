/**
 * Invariant 4, in process: a run that stops at any boundary between two calls to Hive or GitHub
 * leaves every destination holding a key Hive accepts, and the next run converges.
 *
 * The boundaries are not listed by hand: a clean run is recorded through the two ports first, and
 * the suite crashes before and after every call it made (see test/support/crash.ts). A call the
 * rotation gains later is crashed at without a change here.
 *
 * For each boundary:
 *   1. run 1 stops there (a promise that never settles: no catch, no clean-up runs);
 *   2. invariant 1 holds over the emulators;
 *   3. run 2 starts at once, with fresh ports over the same emulators and hive-api-key set to what
 *      the repository's HIVE_API_KEY now holds, as the next scheduled run would read it. When run 1
 *      left a key of this rotation newer than that one and under 10 minutes old, run 2 must stop
 *      as "in flight" and change nothing; the clock then moves 11 minutes and run 3 goes ahead;
 *   4. the last run succeeds and the world has converged: one key in every destination, accepted,
 *      and no other active key but the admin key.
 */
import { describe, expect, it } from '@jest/globals'
import { startWorld, type World } from '../support/world.js'
import { boundariesOf, describeBoundary, instrument, runUntilCrash } from '../support/crash.js'
import type { Boundary, PortCall } from '../support/crash.js'
import { Clock, inProcess, nextRunKey, settingsFor, useClock } from '../support/inprocess.js'
import {
  activeNonAdmin,
  expectConverged,
  expectEveryDestinationLive,
  worldState
} from '../support/convergence.js'

const MINUTE = 60_000

/** The calls a clean rotation makes, recorded once, in order. */
async function recordCleanRun(): Promise<PortCall[]> {
  const world = await startWorld()
  try {
    let calls: PortCall[] = []
    const run = inProcess(world, {
      githubPlugins: false,
      wrap: ports => {
        const i = instrument(ports)
        calls = i.calls
        return i.ports
      }
    })
    await run.start()
    expectConverged(world, 'the clean run that the boundaries are taken from')
    return calls
  } finally {
    await world.stop()
  }
}

const calls = await recordCleanRun()
const boundaries = boundariesOf(calls)

/**
 * The in-flight rule's answer for the state run 1 left: an active key of this rotation, newer than
 * the key the next run is given, created under 10 minutes ago.
 */
function leftoverInFlight(world: World, clock: Clock): string[] {
  const keyName = settingsFor(world).keyName
  const keys = world.hive.keys()
  const current = keys.findIndex(k => k.value === nextRunKey(world))
  const active = new Set(activeNonAdmin(world))
  return keys
    .slice(current + 1)
    .filter(k => active.has(k.id) && k.name.startsWith(`${keyName} `))
    .filter(k => clock.now().getTime() - Date.parse(k.created_at) < 10 * MINUTE)
    .map(k => k.id)
}

/** A run after the crash: fresh ports over the same emulators, the key the workflow now holds. */
function nextRun(world: World, clock: Clock) {
  return inProcess(world, {
    clock,
    githubPlugins: false,
    inputs: { 'hive-api-key': nextRunKey(world) }
  })
}

describe('a crash at every boundary of a rotation', () => {
  it('records a clean run that reads, creates, tests, stores and retires', () => {
    const methods = new Set(calls.map(c => `${c.port}.${c.method}`))
    for (const m of ['keys.current', 'keys.create', 'secrets.prepare', 'secrets.write']) {
      expect(methods).toContain(m)
    }
    expect(calls.filter(c => c.method === 'write')).toHaveLength(2)
    expect(methods).toContain('keys.revoke')
  })

  it.each(boundaries.map(b => [describeBoundary(b), b] as [string, Boundary]))(
    '%s: invariant 1 holds, and the next run converges',
    async (name, boundary) => {
      const world = await startWorld()
      try {
        const clock = useClock(world)

        // 1. Run 1 stops at the boundary.
        let crashed: Promise<Boundary> = new Promise(() => undefined)
        const first = inProcess(world, {
          clock,
          githubPlugins: false,
          wrap: ports => {
            const i = instrument(ports, boundary)
            crashed = i.crashed
            return i.ports
          }
        })
        expect(await runUntilCrash(first.start(), crashed)).toEqual({ outcome: 'crashed' })

        // 2. Invariant 1, at the moment of the crash.
        expectEveryDestinationLive(world, `after the crash ${name}`)

        // 3. The next scheduled run, at once.
        const inFlight = leftoverInFlight(world, clock)
        const before = worldState(world)
        const second = nextRun(world, clock)
        const outcome = await second.start().then(
          () => 'finished',
          (e: Error) => e.message
        )
        if (inFlight.length > 0) {
          expect(outcome).toMatch(/in flight|in progress|another run/i)
          for (const id of inFlight) expect(outcome).toContain(id)
          expect(worldState(world)).toEqual(before)
          expectEveryDestinationLive(world, 'after the run that found a run in flight')
          // 10 minutes later the leftover is no longer in flight: the next run goes ahead.
          clock.advance(11 * MINUTE)
          const third = nextRun(world, clock)
          await third.start()
        } else {
          expect(outcome).toBe('finished')
        }

        // 4. Converged.
        expectConverged(world, `after the crash ${name} and the next run`)
      } finally {
        await world.stop()
      }
    },
    90_000
  )
})
