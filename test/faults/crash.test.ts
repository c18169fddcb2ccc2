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
import {
  boundariesOf,
  crashAt,
  describeBoundary,
  instrument,
  runUntilCrash
} from '../support/crash.js'
import type { Boundary, PortCall } from '../support/crash.js'
import {
  Clock,
  inProcess,
  leakedInProcess,
  nextRunKey,
  SECRET,
  settingsFor,
  TARGETS,
  useClock
} from '../support/inprocess.js'
import {
  activeNonAdmin,
  expectConverged,
  expectEveryDestinationLive,
  worldState
} from '../support/convergence.js'

const MINUTE = 60_000

/**
 * The ways of running a rotation whose call sequences differ: revoke the old key with a separate
 * admin key (the default), give it a grace period instead (PATCH, and a leftover in grace), and a
 * self-managed admin key (no hive-admin-key: the rotated key creates its successor and revokes
 * itself with it).
 */
interface Variant {
  name: string
  inputs: Record<string, string>
  /** Prepares the world; returns inputs on top of `inputs`. */
  setup?: (world: World) => Record<string, string>
  /** Minutes to let pass before checking convergence: a key in grace is left to expire. */
  graceMinutes?: number
  /** Active keys of the world that this rotation has nothing to do with. */
  bystanders?: (world: World) => string[]
}

const VARIANTS: Variant[] = [
  { name: 'revoke', inputs: {} },
  { name: 'grace', inputs: { 'old-key-grace-minutes': '15' }, graceMinutes: 15 },
  {
    name: 'self-managed',
    inputs: { 'hive-admin-key': '' },
    setup: world => {
      const own = world.hive.seedKey({ name: 'CI admin (made by hand)', permission: 'admin' })
      for (const target of TARGETS) world.github.setSecretPlain(target, SECRET, own.value)
      return { 'hive-api-key': own.value }
    },
    // The world's read-only CI key is no longer in any destination: not this rotation's.
    bystanders: world => [world.ci.id]
  }
]

/** The world for a variant, and the inputs of its first run. */
async function worldFor(variant: Variant) {
  const world = await startWorld()
  return { world, inputs: { ...variant.inputs, ...variant.setup?.(world) } }
}

/** The calls a clean rotation makes, recorded once per variant, in order. */
async function recordCleanRun(variant: Variant): Promise<PortCall[]> {
  const { world, inputs } = await worldFor(variant)
  try {
    const clock = useClock(world)
    let calls: PortCall[] = []
    const run = inProcess(world, {
      clock,
      inputs,
      githubPlugins: false,
      wrap: ports => {
        const i = instrument(ports)
        calls = i.calls
        return i.ports
      }
    })
    await run.start()
    clock.advance((variant.graceMinutes ?? 0) * MINUTE + MINUTE)
    expectConverged(
      world,
      `the clean ${variant.name} run that the boundaries are taken from`,
      variant.bystanders?.(world)
    )
    return calls
  } finally {
    await world.stop()
  }
}

const traces = new Map<Variant, PortCall[]>()
for (const variant of VARIANTS) traces.set(variant, await recordCleanRun(variant))

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
function nextRun(world: World, clock: Clock, variant: Variant) {
  return inProcess(world, {
    clock,
    githubPlugins: false,
    inputs: { ...variant.inputs, 'hive-api-key': nextRunKey(world) }
  })
}

describe.each(VARIANTS.map(v => [v.name, v] as [string, Variant]))(
  'a crash at every boundary of a rotation (%s)',
  (_name, variant) => {
    const calls = traces.get(variant)!
    /** The boundaries whose next run stopped as "in flight", filled in by the tests below. */
    const stopped: string[] = []

    it('the clean run reads, creates, tests, stores and retires', () => {
      const methods = new Set(calls.map(c => `${c.port}.${c.method}`))
      for (const m of ['current', 'list', 'create', 'waitUntilAccepted']) {
        expect(methods).toContain(`keys.${m}`)
      }
      expect(calls.filter(c => c.method === 'prepare')).toHaveLength(2)
      expect(calls.filter(c => c.method === 'write')).toHaveLength(2)
      expect(methods).toContain(variant.graceMinutes ? 'keys.update' : 'keys.revoke')
    })

    it.each(boundariesOf(calls).map(b => [describeBoundary(b), b] as [string, Boundary]))(
      '%s: invariant 1 holds, and the next run converges',
      async (name, boundary) => {
        const { world, inputs } = await worldFor(variant)
        try {
          const clock = useClock(world)

          // 1. Run 1 stops at the boundary.
          const crash = crashAt(boundary)
          const first = inProcess(world, { clock, inputs, githubPlugins: false, wrap: crash.wrap })
          expect(await runUntilCrash(first.start(), crash.crashed)).toEqual({ outcome: 'crashed' })

          // 2. Invariant 1, at the moment of the crash.
          expectEveryDestinationLive(world, `after the crash ${name}`)

          // 3. The next scheduled run, at once.
          const inFlight = leftoverInFlight(world, clock)
          const before = worldState(world)
          const second = nextRun(world, clock, variant)
          const runs = [first, second]
          const outcome = await second.start().then(
            () => 'finished',
            (e: Error) => e.message
          )
          if (inFlight.length > 0) {
            stopped.push(name)
            expect(outcome).toMatch(/in flight/i)
            for (const id of inFlight) expect(outcome).toContain(id)
            expect(worldState(world)).toEqual(before)
            expectEveryDestinationLive(world, 'after the run that found a run in flight')
            // 10 minutes later the leftover is no longer in flight: the next run goes ahead.
            clock.advance(11 * MINUTE)
            const third = nextRun(world, clock, variant)
            runs.push(third)
            await third.start()
          } else {
            expect(outcome).toBe('finished')
          }

          // Invariant 3: no key value in any log line, report or error of the three runs.
          expect(leakedInProcess(world, runs, [outcome])).toEqual([])

          // 4. Converged (once the grace given to old keys, if any, is over).
          clock.advance((variant.graceMinutes ?? 0) * MINUTE + MINUTE)
          expectConverged(
            world,
            `after the crash ${name} and the next run`,
            variant.bystanders?.(world)
          )
        } finally {
          await world.stop()
        }
      },
      90_000
    )

    // The in-flight branch above is not dead code: a run killed between creating its key and
    // storing it anywhere leaves exactly that, and only that, to stop the next run.
    it('the next run stops as "in flight" exactly after create and before the first write', () => {
      const all = boundariesOf(calls).map(describeBoundary)
      const from = all.indexOf('after keys.create #1')
      const to = all.indexOf('before secrets.write #1')
      expect(stopped).toEqual(all.slice(from, to + 1))
    })
  }
)
