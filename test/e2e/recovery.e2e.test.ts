/**
 * A dead current key (shared/design/action.md, "A key already dead"): hive-api-key answers 401,
 * expired or revoked, and every aphids-cli job that holds it fails. With a separate hive-admin-key
 * and an explicit permission and scope the run recovers (create, test, store, prune, nothing to
 * revoke) with a loud warning; without them it stops before changing anything and names exactly
 * the inputs to set; in dry-run it prints the recovery plan.
 */
import { describe, expect, it } from '@jest/globals'
import { HiveClient } from '../../src/hive/client.js'
import { HiveHttp } from '../../src/hive/http.js'
import type { World } from '../support/world.js'
import { CI_SCOPE, ENV, REPO } from '../support/world.js'
import {
  act,
  creations,
  errorText,
  expectCleanFailure,
  expectEveryDestinationHolds,
  expectNoLeaks,
  expectSucceededWithOneNewKey,
  fromNow,
  puts,
  ROTATION,
  SECRET,
  seedRotationKey,
  snapshot,
  useWorld,
  warnings,
  without
} from './helpers.js'
import { expectConverged } from '../support/convergence.js'

const world = useWorld()

/** What a recovery needs, besides the dead hive-api-key and a separate hive-admin-key. */
const RECOVERY = { permission: 'read-only', scope: 'engagements:eng_12,eng_40' }

/** The destinations hold a key whose expiry has passed: the rotation stopped running weeks ago. */
function expiredKeyInDestinations(w: World): { id: string; value: string } {
  const dead = w.hive.seedKey({
    name: 'aphids-cli CI (made by hand)',
    permission: 'read-only',
    scope: CI_SCOPE,
    createdAt: fromNow(-100 * 86_400_000),
    expiresAt: fromNow(-20 * 86_400_000)
  })
  w.github.setSecretPlain(REPO, SECRET, dead.value)
  w.github.setSecretPlain(ENV, SECRET, dead.value)
  return dead
}

async function revokeCurrentKey(w: World) {
  await new HiveClient(new HiveHttp({ baseUrl: w.hive.url })).revoke(w.admin.value, w.ci.id)
}

describe('a dead hive-api-key, with hive-admin-key, permission and scope', () => {
  it('expired: recovers; every destination holds a new live key; a loud warning says why', async () => {
    const w = world()
    const dead = expiredKeyInDestinations(w)
    expect(await w.statusOf(dead.value)).toBe(401)
    const outcome = await act(w, w.inputs({ 'hive-api-key': dead.value, ...RECOVERY }), {
      secrets: [dead.value]
    })
    const created = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, created)
    expect(created).toMatchObject({ permission: 'read-only', scope: CI_SCOPE })
    // The dead key's id could not be read: the name records it by its prefix.
    expect(created.name).toMatch(
      new RegExp(
        `^${ROTATION} run-[0-9a-f]{10} \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z replaces prefix:${w.hive.key(dead.id)!.prefix}$`
      )
    )
    expect(w.hive.requests.some(r => r.method === 'DELETE')).toBe(false)
    const warned = warnings(outcome.run).join('\n')
    expect(warned).toMatch(/RECOVERY: hive-api-key is dead/)
    expect(warned).toMatch(/Hive said: "[^"]*expired/i)
    expect(warned).toMatch(/has been failing/)
    expect(outcome.run.summary).toMatch(/recovered/i)
    expect(outcome.run.summary).toMatch(/RECOVERY/)
    expect(outcome.run.outputs.rotated).toBe('true')
    expect(outcome.run.outputs['key-id']).toBe(created.id)
  }, 60_000)

  it('revoked (an emergency run that failed), in mode emergency too: recovers and converges', async () => {
    const w = world()
    await revokeCurrentKey(w)
    const outcome = await act(w, w.inputs({ mode: 'emergency', ...RECOVERY }))
    const created = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, created)
    expect(warnings(outcome.run).join('\n')).toMatch(/RECOVERY: .*Hive said: "[^"]*revoked/i)
    expectConverged(w, 'after the recovery')
  }, 60_000)

  it('prunes what an earlier rotation left, once every destination holds the new key', async () => {
    const w = world()
    await revokeCurrentKey(w)
    // A key an earlier run made and stored nowhere (killed), three hours ago.
    const leftover = seedRotationKey(w, { replaces: w.ci.id, ageMs: 3 * 3_600_000 })
    const outcome = await act(w, w.inputs(RECOVERY), { secrets: [leftover.value] })
    const created = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, created)
    expect(w.hive.key(leftover.id)?.revoked_at).not.toBeNull()
    expectConverged(w, 'after the recovery')
  }, 60_000)

  it('dry-run prints the recovery plan and changes nothing', async () => {
    const w = world()
    await revokeCurrentKey(w)
    const before = snapshot(w)
    const outcome = await act(w, w.inputs({ ...RECOVERY, 'dry-run': 'true' }))
    expect(outcome.run.code).toBe(0)
    expectNoLeaks(outcome)
    expect(outcome.run.stdout).toMatch(/RECOVER: hive-api-key is dead/)
    expect(outcome.run.stdout).toMatch(/Nothing to retire/)
    expect(outcome.created).toEqual([])
    expect(snapshot(w)).toEqual(before)
  }, 60_000)
})

describe('a dead hive-api-key without what a recovery needs', () => {
  const cases: [string, (w: World) => Record<string, string>, RegExp[], RegExp[]][] = [
    [
      'no permission and no scope (inherit)',
      w => w.inputs(),
      [/set: permission .*; scope /, /cannot be inherited from a dead key/],
      [/set: hive-admin-key/]
    ],
    [
      'scope only',
      w => w.inputs({ scope: RECOVERY.scope }),
      [/set: permission /],
      [/set: .*scope \(/, /hive-admin-key \(/]
    ],
    [
      'no hive-admin-key',
      w => without(w.inputs(RECOVERY), 'hive-admin-key'),
      [/set: hive-admin-key \(an admin key other than hive-api-key/],
      [/permission \(read-only/]
    ]
  ]
  for (const [name, inputs, said, notSaid] of cases) {
    it(`${name}: stops before any change, naming exactly the inputs to set`, async () => {
      const w = world()
      await revokeCurrentKey(w)
      const before = snapshot(w)
      const outcome = await act(w, inputs(w))
      expectCleanFailure(outcome.run)
      expectNoLeaks(outcome)
      const text = errorText(outcome.run)
      expect(text).toMatch(/hive-api-key answers 401: Hive does not accept it/)
      for (const pattern of said) expect(text).toMatch(pattern)
      for (const pattern of notSaid) expect(text).not.toMatch(pattern)
      expect(text).toMatch(/Nothing was changed/)
      expect(creations(w)).toEqual([])
      expect(puts(w)).toEqual([])
      expect(snapshot(w)).toEqual(before)
    }, 60_000)
  }
})
