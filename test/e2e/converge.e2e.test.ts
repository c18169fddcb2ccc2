/**
 * End to end, convergence (invariant 4) and pruning: the state an interrupted run leaves is
 * seeded in the emulators (a key of this rotation that names the key it replaced), and the next
 * run must finish the job: every destination holds one new key, and no leftover of this rotation
 * stays active. A key given grace is left to expire; a run in flight is not raced.
 */
import { describe, expect, it } from '@jest/globals'
import {
  ENV,
  REPO,
  SECRET,
  act,
  activeIds,
  errorText,
  expectDestinationsHoldLiveKeys,
  expectEveryDestinationHolds,
  expectFailedWithOneNewKey,
  expectNothingChanged,
  expectRefusedBeforeAnyChange,
  heldBy,
  expectSucceededWithOneNewKey,
  fromNow,
  seedRotationKey,
  snapshot,
  warnings
} from './helpers.js'
import { ROTATION, VERIFY_PATH, creations, useWorld } from './helpers.js'
import { runAction } from '../support/run-action.js'

const MINUTE = 60_000
const world = useWorld()

describe('the next run converges', () => {
  it('after a run killed between store and retire: retires the stored key, prunes its predecessor', async () => {
    const w = world()
    // The killed run made K2 (replacing the hand-made CI key) and stored it everywhere.
    const k2 = seedRotationKey(w, { replaces: w.ci.id, ageMs: 60 * MINUTE })
    w.github.setSecretPlain(REPO, SECRET, k2.value)
    w.github.setSecretPlain(ENV, SECRET, k2.value)

    const outcome = await act(w, w.inputs({ 'hive-api-key': k2.value }), { secrets: [k2.value] })
    const newKey = expectSucceededWithOneNewKey(outcome)
    const { run } = outcome

    expectEveryDestinationHolds(w, newKey)
    expect(newKey.name).toBe(`${newKey.name.split(' replaces ')[0]} replaces ${k2.id}`)
    // K2 retired as the old key, the hand-made key pruned as K2's recorded predecessor.
    expect(activeIds(w)).toEqual([w.admin.id, newKey.id])
    expect(await w.statusOf(w.ci.value)).toBe(401)
    expect(await w.statusOf(k2.value)).toBe(401)
    // Pruned first, then retired.
    expect(run.outputs['revoked-key-ids'].split(',')).toEqual([w.ci.id, k2.id])
    expect(warnings(run).join('\n')).toContain(`leftover key(s) of earlier interrupted runs`)
    expect(run.summary).toContain('Leftovers of earlier runs')
    expect(run.summary).toContain(`replaced by ${k2.id}`)
  }, 30_000)

  it('after a run killed between create and store: prunes the orphan no destination holds', async () => {
    const w = world()
    const orphan = seedRotationKey(w, { replaces: w.ci.id, ageMs: 20 * MINUTE })

    const outcome = await act(w, w.inputs(), { secrets: [orphan.value] })
    const newKey = expectSucceededWithOneNewKey(outcome)

    expectEveryDestinationHolds(w, newKey)
    expect(activeIds(w)).toEqual([w.admin.id, newKey.id])
    expect(w.hive.key(orphan.id)?.revoked_at).not.toBeNull()
    expect(outcome.run.outputs['revoked-key-ids'].split(',').sort()).toEqual(
      [w.ci.id, orphan.id].sort()
    )
  }, 30_000)

  it('after a run killed mid-store: revokes nothing while a destination holds an old key', async () => {
    const w = world()
    // The repository got K2, the environment still holds the CI key.
    const k2 = seedRotationKey(w, { replaces: w.ci.id, ageMs: 30 * MINUTE })
    w.github.setSecretPlain(REPO, SECRET, k2.value)
    // This run's store fails at the environment: nothing may be revoked or pruned.
    w.github.addFault({
      method: 'PUT',
      path: `/repos/octo/app/environments/production/secrets/${SECRET}`,
      status: 403
    })
    const first = await act(w, w.inputs({ 'hive-api-key': k2.value }), { secrets: [k2.value] })
    const k3 = expectFailedWithOneNewKey(first)
    expect(w.hive.requests.filter(r => r.method === 'DELETE')).toEqual([])
    expect(activeIds(w)).toEqual([w.admin.id, w.ci.id, k2.id, k3.id])
    expect(heldBy(w)).toEqual({ repo: k3.id, 'env:production': w.ci.id })
    expectDestinationsHoldLiveKeys(w)

    // The fault answered once; run again with what the repository holds now: one key is left.
    const second = await act(w, w.inputs({ 'hive-api-key': k3.value }), {
      secrets: [k2.value, k3.value]
    })
    const k4 = expectSucceededWithOneNewKey(second)
    expectEveryDestinationHolds(w, k4)
    expect(activeIds(w)).toEqual([w.admin.id, k4.id])
  }, 60_000)

  it('makes a rotation due when leftovers exist, even if the current key is far from expiry', async () => {
    const w = world()
    const orphan = seedRotationKey(w, { replaces: w.ci.id, ageMs: 20 * MINUTE })
    const outcome = await act(w, w.inputs({ 'rotate-if-expiring-within-days': '1' }), {
      secrets: [orphan.value]
    })
    const newKey = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, newKey)
    expect(activeIds(w)).toEqual([w.admin.id, newKey.id])
    expect(outcome.run.summary).toContain('only a full store proves')
  }, 30_000)
})

describe('what pruning leaves alone', () => {
  it('a leftover given grace by an earlier run is left to expire', async () => {
    const w = world()
    const graced = seedRotationKey(w, {
      replaces: 'key_gone',
      ageMs: 40 * MINUTE,
      expiresAt: fromNow(20 * MINUTE)
    })
    const outcome = await act(w, w.inputs(), { secrets: [graced.value] })
    const newKey = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, newKey)
    expect(activeIds(w)).toEqual([w.admin.id, graced.id, newKey.id])
    expect(w.hive.key(graced.id)?.expires_at).toBe(graced.expires_at)
    expect(outcome.run.summary).toContain('left to expire')
  }, 30_000)

  it('a key given grace does not make a run due', async () => {
    const w = world()
    const graced = seedRotationKey(w, {
      replaces: 'key_gone',
      ageMs: 40 * MINUTE,
      expiresAt: fromNow(20 * MINUTE)
    })
    const before = snapshot(w)
    const outcome = await act(w, w.inputs({ 'rotate-if-expiring-within-days': '2' }), {
      secrets: [graced.value]
    })
    expect(outcome.run.code).toBe(0)
    expectNothingChanged(w, outcome, before)
    expect(outcome.run.outputs.rotated).toBe('false')
    expect(warnings(outcome.run)).toEqual([])
    expect(outcome.run.summary).toContain('left to expire')
  }, 30_000)

  it('prune: false reports leftovers and revokes none of them', async () => {
    const w = world()
    const orphan = seedRotationKey(w, { replaces: w.ci.id, ageMs: 20 * MINUTE })
    const outcome = await act(w, w.inputs({ prune: 'false' }), { secrets: [orphan.value] })
    const newKey = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, newKey)
    expect(activeIds(w)).toEqual([w.admin.id, orphan.id, newKey.id])
    expect(outcome.run.outputs['revoked-key-ids']).toBe(w.ci.id)
    expect(warnings(outcome.run).join('\n')).toContain(orphan.id)
    expect(outcome.run.summary).toContain('kept (prune: false)')
  }, 30_000)

  it('keys of another rotation whose name starts the same, and hand-made keys', async () => {
    const w = world()
    const other = w.hive.seedKey({
      name: `hive-rotate-key octo/app HIVE_API_KEY_STAGING ${fromNow(-60 * MINUTE)}`,
      permission: 'read-only'
    })
    const hand = w.hive.seedKey({ name: 'someone else’s key', permission: 'read-only' })
    const outcome = await act(w, w.inputs(), { secrets: [other.value, hand.value] })
    const newKey = expectSucceededWithOneNewKey(outcome)
    expect(activeIds(w)).toEqual([w.admin.id, other.id, hand.id, newKey.id])
  }, 30_000)

  it('a failed prune is a warning, not a failure, and the next run finishes it', async () => {
    const w = world()
    const orphan = seedRotationKey(w, { replaces: w.ci.id, ageMs: 20 * MINUTE })
    w.hive.addFault({ method: 'DELETE', path: `/api-keys/${orphan.id}`, status: 403 })
    const first = await act(w, w.inputs(), { secrets: [orphan.value] })
    const k3 = expectSucceededWithOneNewKey(first)
    expectEveryDestinationHolds(w, k3)
    expect(activeIds(w)).toEqual([w.admin.id, orphan.id, k3.id])
    expect(warnings(first.run).join('\n')).toMatch(
      new RegExp(`Could not revoke 1 leftover key\\(s\\)[^]*${orphan.id}`)
    )
    expect(first.run.summary).toContain('revoke failed')

    // The next run (hive-api-key now reads the new key) prunes it.
    const second = await act(w, w.inputs({ 'hive-api-key': k3.value }), {
      secrets: [orphan.value, k3.value]
    })
    const k4 = expectSucceededWithOneNewKey(second)
    expectEveryDestinationHolds(w, k4)
    expect(activeIds(w)).toEqual([w.admin.id, k4.id])
  }, 60_000)
})

describe('a run really killed', () => {
  it('right after creating its key: the next run stops as if it were in flight, then converges', async () => {
    const w = world()
    // Hold the new key's first test for 10 s, and kill the action while it waits.
    w.hive.addFault({ method: 'GET', path: VERIFY_PATH, status: 401, delayMs: 10_000 })
    const killed = await runAction({
      inputs: w.inputs(),
      env: w.env,
      onStart: child => {
        const poll = setInterval(() => {
          if (creations(w).some(r => r.status === 201)) {
            clearInterval(poll)
            child.kill('SIGKILL')
          }
        }, 20)
        child.on('close', () => clearInterval(poll))
      }
    })
    expect(killed.signal).toBe('SIGKILL')
    w.hive.clearFaults()
    const orphan = w.hive.keys().at(-1)!
    expect(orphan.name).toMatch(
      new RegExp(`^${ROTATION} run-[0-9a-f]{10} \\S+ replaces ${w.ci.id}$`)
    )
    expect(heldBy(w)).toEqual({ repo: w.ci.id, 'env:production': w.ci.id })
    expect(activeIds(w)).toEqual([w.admin.id, w.ci.id, orphan.id])

    // Rerun at once: the orphan looks like a run in flight, so nothing is touched.
    w.hive.requests.length = 0
    const early = await expectRefusedBeforeAnyChange(w, w.inputs(), { secrets: [orphan.value] })
    expect(errorText(early.run)).toContain(`in flight: key ${orphan.id}`)

    // Ten minutes later (the key made older), the next run finishes the job.
    w.hive.backdate(orphan.id, 11 * MINUTE)
    const outcome = await act(w, w.inputs(), { secrets: [orphan.value] })
    const newKey = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, newKey)
    expect(activeIds(w)).toEqual([w.admin.id, newKey.id])
  }, 60_000)
})

describe('a rotation in flight', () => {
  it('is not raced: a newer key of this rotation made minutes ago stops the run, changing nothing', async () => {
    const w = world()
    // A CI key made by hand a month ago, which another run began replacing two minutes ago.
    const current = w.hive.seedKey({
      name: 'CI key made by hand',
      permission: 'read-only',
      createdAt: fromNow(-30 * 86_400_000),
      expiresAt: fromNow(86_400_000)
    })
    w.github.setSecretPlain(REPO, SECRET, current.value)
    w.github.setSecretPlain(ENV, SECRET, current.value)
    const young = seedRotationKey(w, { replaces: current.id, ageMs: 2 * MINUTE })
    const { run } = await expectRefusedBeforeAnyChange(
      w,
      w.inputs({ 'hive-api-key': current.value, scope: 'all' }),
      { secrets: [young.value, current.value] }
    )
    expect(errorText(run)).toContain(`Another rotation seems to be in flight: key ${young.id}`)
    expect(errorText(run)).toContain('concurrency')
    expect(w.hive.accepts(young.value)).toBe(true)
  }, 30_000)
})
