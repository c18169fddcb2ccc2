/**
 * The two outcomes the fault suite checks after every fault, over what the emulators hold:
 *
 * - invariant 1: every destination holds a key that Hive accepts;
 * - convergence (invariant 4): every destination holds the same key, Hive accepts it, and no other
 *   key is active but the admin key: no leftover of this rotation, no predecessor.
 */
import { expect } from '@jest/globals'
import type { World } from './world.js'
import { SECRET, TARGETS } from './inprocess.js'

function label(target: (typeof TARGETS)[number]) {
  return target.environment ? `env:${target.environment}` : 'repo'
}

/** Per destination: the id of the key its secret opens to, '(none)' or '(unknown value)'. */
export function holdings(world: World): Record<string, string> {
  const byValue = new Map(world.hive.keys().map(k => [k.value, k.id]))
  return Object.fromEntries(
    TARGETS.map(t => {
      const value = world.github.secretValue(t, SECRET)
      return [label(t), value === undefined ? '(none)' : (byValue.get(value) ?? '(unknown value)')]
    })
  )
}

/** Per destination: does Hive accept what it holds? */
export function liveness(world: World): Record<string, boolean> {
  return Object.fromEntries(
    TARGETS.map(t => {
      const value = world.github.secretValue(t, SECRET)
      return [label(t), value !== undefined && world.hive.accepts(value)]
    })
  )
}

/** Invariant 1, with what each destination holds in the message when it fails. */
export function expectEveryDestinationLive(world: World, context = '') {
  const live = liveness(world)
  expect({ context, live, held: holdings(world) }).toEqual({
    context,
    live: Object.fromEntries(Object.keys(live).map(k => [k, true])),
    held: holdings(world)
  })
}

/** Active keys other than the admin key (and `bystanders`), by id, in creation order. */
export function activeNonAdmin(world: World, bystanders: string[] = []): string[] {
  return world.hive
    .activeKeys()
    .filter(k => k.id !== world.admin.id && !bystanders.includes(k.id))
    .map(k => k.id)
}

/**
 * Convergence: one key, in every destination, accepted, and the only active key but the admin
 * key and `bystanders` (keys the test made that this rotation has nothing to do with).
 */
export function expectConverged(world: World, context = '', bystanders: string[] = []) {
  const held = holdings(world)
  const [first] = Object.values(held)
  const active = activeNonAdmin(world, bystanders)
  expect({ context, held, live: liveness(world), active }).toEqual({
    context,
    held: Object.fromEntries(Object.keys(held).map(k => [k, first])),
    live: Object.fromEntries(Object.keys(held).map(k => [k, true])),
    active: [first]
  })
}

/** What a run could change: the keys (not when they were last used), the secrets, the writes. */
export function worldState(world: World) {
  return {
    keys: world.hive.keys().map(({ last_used_at: _used, ...key }) => key),
    held: holdings(world),
    writes: world.github.secretWrites()
  }
}
