/**
 * mode emergency, crashed at every boundary (in process, as test/faults/crash.test.ts does for the
 * other modes). An emergency gives up invariant 1 on purpose: the compromised key is revoked
 * before its successor exists. What must still hold is that a run killed anywhere leaves a way
 * back, and that this way back converges:
 *
 * - the compromised key still works (killed before its revocation): the same emergency run again;
 * - a destination holds the new key: mode rotate with hive-api-key read from that destination,
 *   as the failure messages say;
 * - no destination holds a key Hive accepts (killed after the revocation, before the first
 *   write): the action can't help, and says so: the one case that needs a key made in Hive by
 *   hand. The suite pins down exactly which boundaries these are.
 */
import { describe, expect, it } from '@jest/globals'
import { startWorld, type World } from '../support/world.js'
import { boundariesOf, crashAt, describeBoundary, instrument } from '../support/crash.js'
import { runUntilCrash, type Boundary, type PortCall } from '../support/crash.js'
import {
  Clock,
  heldValue,
  inProcess,
  leakedInProcess,
  TARGETS,
  useClock
} from '../support/inprocess.js'
import { expectConverged, liveness, worldState } from '../support/convergence.js'

const MINUTE = 60_000
const EMERGENCY = { mode: 'emergency' }

async function recordCleanEmergency(): Promise<PortCall[]> {
  const world = await startWorld()
  try {
    let calls: PortCall[] = []
    await inProcess(world, {
      inputs: EMERGENCY,
      githubPlugins: false,
      wrap: ports => {
        const i = instrument(ports)
        calls = i.calls
        return i.ports
      }
    }).start()
    expectConverged(world, 'the clean emergency run')
    return calls
  } finally {
    await world.stop()
  }
}

const calls = await recordCleanEmergency()
const all = boundariesOf(calls).map(describeBoundary)
/** Boundaries after which no destination holds a key Hive accepts. */
const stuck: string[] = []

function run(world: World, clock: Clock, inputs: Record<string, string>) {
  return inProcess(world, { clock, githubPlugins: false, inputs })
}

async function outcomeOf(start: Promise<void>) {
  return start.then(
    () => 'finished',
    (e: Error) => e.message
  )
}

describe('mode emergency, crashed at every boundary', () => {
  it('revokes the compromised key before it creates the new one', () => {
    expect(all.indexOf('after keys.revoke #1')).toBeLessThan(all.indexOf('before keys.create #1'))
  })

  it.each(boundariesOf(calls).map(b => [describeBoundary(b), b] as [string, Boundary]))(
    '%s: the way back converges',
    async (name, boundary) => {
      const world = await startWorld()
      try {
        const clock = useClock(world)
        const crash = crashAt(boundary)
        const first = inProcess(world, {
          clock,
          inputs: EMERGENCY,
          githubPlugins: false,
          wrap: crash.wrap
        })
        expect(await runUntilCrash(first.start(), crash.crashed)).toEqual({ outcome: 'crashed' })

        const live = TARGETS.map(t => heldValue(world, t)).filter(
          (v): v is string => v !== undefined && world.hive.accepts(v)
        )
        let next
        if (world.hive.accepts(world.ci.value)) {
          // Not revoked yet: the same emergency run again.
          expect(live).toHaveLength(TARGETS.length)
          next = run(world, clock, { ...EMERGENCY, 'hive-api-key': world.ci.value })
        } else if (live.length > 0) {
          // A destination holds the new key: rotate from it, as the failure message says.
          next = run(world, clock, { 'hive-api-key': live[0] })
        } else {
          stuck.push(name)
          // No destination holds a key Hive accepts. Without permission and scope the action
          // changes nothing and names the inputs a recovery needs.
          const before = worldState(world)
          const again = run(world, clock, { ...EMERGENCY, 'hive-api-key': world.ci.value })
          const message = await outcomeOf(again.start())
          expect(message).toMatch(/set: permission .*; scope /)
          expect(message).toMatch(/Nothing was changed/)
          expect(worldState(world)).toEqual(before)
          // With them, the same dead key recovers: a new key in every destination. (The killed
          // run's own key counts as a run in flight for 10 minutes: after a real kill the post
          // step revokes it at once, as no write was sent; in process there is no post step.)
          clock.advance(11 * MINUTE)
          const scope = world.hive.key(world.ci.id)!.scope
          next = run(world, clock, {
            ...EMERGENCY,
            'hive-api-key': world.ci.value,
            permission: 'read-only',
            scope:
              scope.type === 'engagements' ? `engagements:${scope.engagement_ids.join(',')}` : 'all'
          })
        }
        clock.advance(MINUTE)
        expect(await outcomeOf(next.start())).toBe('finished')
        expect(leakedInProcess(world, [first, next])).toEqual([])
        expect(liveness(world)).toEqual({ repo: true, 'env:production': true })
        expectConverged(world, `after the emergency crash ${name} and the way back`)
        expect(world.hive.accepts(world.ci.value)).toBe(false)
      } finally {
        await world.stop()
      }
    },
    90_000
  )

  it('needs the recovery exactly between the revocation and the first write', () => {
    const from = all.indexOf('after keys.revoke #1')
    const to = all.indexOf('before secrets.write #1')
    expect(stuck).toEqual(all.slice(from, to + 1))
  })
})
