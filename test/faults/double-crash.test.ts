/**
 * The run that finishes a killed run's work is killed too. A clean run has no leftovers, so its
 * boundaries (test/faults/crash.test.ts) never include pruning; here run 1 is killed first, so
 * that run 2 has leftovers to revoke, and run 2 is then killed before and after each of its own
 * calls, prune revocations included. After each: invariant 1, and run 3 converges.
 *
 * Two first crashes leave two kinds of leftover: after the first write (the repository holds the
 * new key, the environment the old one: the old key is a recorded predecessor), and after create
 * (an orphan no destination holds, 11 minutes old so that it is no longer in flight).
 */
import { describe, expect, it } from '@jest/globals'
import { startWorld, type World } from '../support/world.js'
import { boundariesOf, crashAt, describeBoundary, instrument } from '../support/crash.js'
import { runUntilCrash, type Boundary, type PortCall } from '../support/crash.js'
import { Clock, inProcess, leakedInProcess, nextRunKey, useClock } from '../support/inprocess.js'
import type { InProcessOptions } from '../support/inprocess.js'
import { expectConverged, expectEveryDestinationLive } from '../support/convergence.js'

const MINUTE = 60_000

interface FirstCrash {
  name: string
  at: Boundary
}

const FIRST: FirstCrash[] = [
  {
    name: 'killed after the first write',
    at: { port: 'secrets', method: 'write', nth: 1, when: 'after' }
  },
  { name: 'killed after create', at: { port: 'keys', method: 'create', nth: 1, when: 'after' } }
]

function run(world: World, clock: Clock, wrap?: InProcessOptions['wrap']) {
  return inProcess(world, {
    clock,
    githubPlugins: false,
    inputs: { 'hive-api-key': nextRunKey(world) },
    wrap
  })
}

/** A world in which run 1 was killed at `first.at`, 11 minutes ago. */
async function afterFirstCrash(first: FirstCrash) {
  const world = await startWorld()
  const clock = useClock(world)
  const crash = crashAt(first.at)
  const killed = run(world, clock, crash.wrap)
  expect(await runUntilCrash(killed.start(), crash.crashed)).toEqual({ outcome: 'crashed' })
  clock.advance(11 * MINUTE)
  return { world, clock, killed }
}

/** The calls of run 2 when nothing stops it, and that it revoked something as a leftover. */
async function recordSecondRun(first: FirstCrash): Promise<PortCall[]> {
  const { world, clock } = await afterFirstCrash(first)
  try {
    let calls: PortCall[] = []
    const second = run(world, clock, ports => {
      const i = instrument(ports)
      calls = i.calls
      return i.ports
    })
    await second.start()
    expect(second.report.leftovers.map(l => l.outcome)).toEqual(['revoked'])
    expectConverged(world, `run 2 after ${first.name}`)
    return calls
  } finally {
    await world.stop()
  }
}

const traces = new Map<FirstCrash, PortCall[]>()
for (const first of FIRST) traces.set(first, await recordSecondRun(first))

describe.each(FIRST.map(f => [f.name, f] as [string, FirstCrash]))(
  'run 1 %s, run 2 killed at every boundary',
  (_name, first) => {
    const calls = traces.get(first)!

    it('run 2 prunes: its calls include a revocation besides the old key', () => {
      expect(calls.filter(c => c.method === 'revoke').length).toBeGreaterThanOrEqual(2)
    })

    const cases = boundariesOf(calls).map(b => [describeBoundary(b), b] as [string, Boundary])

    async function killSecondRun(name: string, boundary: Boundary) {
      const { world, clock, killed } = await afterFirstCrash(first)
      try {
        const crash = crashAt(boundary)
        const second = run(world, clock, crash.wrap)
        expect(await runUntilCrash(second.start(), crash.crashed)).toEqual({
          outcome: 'crashed'
        })
        expectEveryDestinationLive(world, `after run 2 was killed ${name}`)

        // Run 3 comes 11 minutes later still: whatever run 2 made is no longer in flight.
        clock.advance(11 * MINUTE)
        const third = run(world, clock)
        await third.start()
        expect(leakedInProcess(world, [killed, second, third])).toEqual([])
        // Named first, so that a failure says which key was left: the key made by hand that
        // run 1's key replaced.
        expect({ handMadeKeyActive: world.hive.accepts(world.ci.value) }).toEqual({
          handMadeKeyActive: false
        })
        expectConverged(world, `after run 2 was killed ${name} and run 3`)
      } finally {
        await world.stop()
      }
    }

    it.each(cases)('run 2 %s: invariant 1 holds, and run 3 converges', killSecondRun, 90_000)
  }
)
