/**
 * End to end, the ways a run can be told to behave: mode check (report, change nothing), mode
 * emergency (revoke first), a grace period for the old key, the expiry threshold, and the warning
 * about an old key that something else still uses. Each is judged by what Hive and GitHub hold.
 */
import { describe, expect, it } from '@jest/globals'
import {
  ENV,
  REPO,
  act,
  activeIds,
  creations,
  errorText,
  expectCleanFailure,
  expectDestinationsHoldLiveKeys,
  expectEveryDestinationHolds,
  expectNoLeaks,
  expectNothingChanged,
  expectSucceededWithOneNewKey,
  fromNow,
  heldBy,
  puts,
  snapshot,
  useWorld,
  warnings,
  without
} from './helpers.js'

const MINUTE = 60_000
const DAY = 86_400_000
const world = useWorld()

describe('mode: check', () => {
  it('reports the key and its expiry, changes nothing, and needs no GitHub token', async () => {
    const w = world()
    const before = snapshot(w)
    const inputs = without(w.inputs({ mode: 'check' }), 'github-token', 'hive-admin-key')
    const outcome = await act(w, inputs)
    const { run } = outcome

    expect(run.code).toBe(0)
    expectNoLeaks(outcome)
    expectNothingChanged(w, outcome, before)
    expect(w.github.requests).toEqual([])
    expect(w.hive.requests.every(r => r.method === 'GET' && r.presentedKeyId === w.ci.id)).toBe(
      true
    )
    expect(run.outputs.rotated).toBe('false')
    expect(run.outputs['key-id']).toBe(w.ci.id)
    expect(run.outputs['expires-at']).toBe(w.hive.key(w.ci.id)!.expires_at)
    expect(run.outputs['days-until-expiry']).toBe('4') // 5 days less the seconds since seeding
    expect(run.summary).toContain('Hive key check: ok')
    expect(run.summary).toContain('read-only')
    expect(run.summary).toContain('scope engagements:eng_12,eng_40')
    expect(run.summary).toContain('4 day(s) left')
  }, 30_000)

  it('fails when the key expires within rotate-if-expiring-within-days, changing nothing', async () => {
    const w = world()
    const before = snapshot(w)
    const outcome = await act(w, w.inputs({ mode: 'check', 'rotate-if-expiring-within-days': '7' }))
    expectCleanFailure(outcome.run)
    expectNoLeaks(outcome)
    expectNothingChanged(w, outcome, before)
    expect(errorText(outcome.run)).toMatch(
      new RegExp(`hive-api-key ${w.ci.id} .* expires at .*within rotate-if-expiring-within-days`)
    )
    expect(outcome.run.outputs['days-until-expiry']).toBe('4')
    expect(outcome.run.summary).toContain('Hive key check failed')
  }, 30_000)

  it('fails when Hive no longer accepts the key', async () => {
    const w = world()
    await fetch(`${w.hive.url}/api-keys/${w.ci.id}`, {
      method: 'DELETE',
      headers: { 'X-Api-Key': w.admin.value }
    })
    const before = snapshot(w)
    const outcome = await act(w, w.inputs({ mode: 'check' }))
    expectCleanFailure(outcome.run)
    expectNothingChanged(w, outcome, before)
    expect(errorText(outcome.run)).toMatch(/hive-api-key is not valid: .* answers 401/)
    expect(outcome.run.outputs['key-id']).toBe('')
  }, 30_000)
})

describe('mode: emergency', () => {
  it('revokes the compromised key first, then stores a tested new key everywhere', async () => {
    const w = world()
    const outcome = await act(w, w.inputs({ mode: 'emergency' }))
    const newKey = expectSucceededWithOneNewKey(outcome)
    const { run } = outcome

    expectEveryDestinationHolds(w, newKey)
    expect(await w.statusOf(w.ci.value)).toBe(401)
    expect(activeIds(w)).toEqual([w.admin.id, newKey.id])
    // The revocation came before the creation, and was confirmed before it.
    const order = w.hive.requests
      .filter(r => r.method !== 'GET' || r.presentedKeyId === w.ci.id)
      .map(r => `${r.method} ${r.path} ${r.status}`)
    const revoked = order.indexOf(`DELETE /api-keys/${w.ci.id} 204`)
    expect(revoked).toBeGreaterThan(-1)
    expect(order[revoked + 1]).toBe('GET /executions-cli/executions 401')
    expect(order.indexOf('POST /api-keys 201')).toBeGreaterThan(revoked + 1)
    expect(run.outputs['revoked-key-ids']).toBe(w.ci.id)
    expect(run.outputs['key-id']).toBe(newKey.id)
    // Loud about the outage it causes.
    const loud = warnings(run).join('\n')
    expect(loud).toContain(`EMERGENCY: revoking the compromised key ${w.ci.id}`)
    expect(loud).toMatch(/consumers holding the compromised key failed .* until this store/)
    expect(run.summary).toContain('Hive emergency key rotation: done')
  }, 30_000)

  it('is refused without a separate hive-admin-key, before any request', async () => {
    const w = world()
    const outcome = await act(w, without(w.inputs({ mode: 'emergency' }), 'hive-admin-key'))
    expectCleanFailure(outcome.run)
    expect(w.hive.requests).toEqual([])
    expect(errorText(outcome.run)).toContain('a revoked key cannot create its successor')
    expect(await w.statusOf(w.ci.value)).toBe(200)
  }, 30_000)

  it('dry-run prints the plan, revokes nothing', async () => {
    const w = world()
    const before = snapshot(w)
    const outcome = await act(w, w.inputs({ mode: 'emergency', 'dry-run': 'true' }))
    expect(outcome.run.code).toBe(0)
    expectNothingChanged(w, outcome, before)
    expect(outcome.run.summary).toContain(
      `EMERGENCY: revoke the compromised current key ${w.ci.id}`
    )
    expect(outcome.run.summary).toContain('Revoke the compromised key</td><td>⏭️ skipped')
    expect(await w.statusOf(w.ci.value)).toBe(200)
  }, 30_000)

  it('keeps the new key when a destination refuses it: the others are back in service', async () => {
    const w = world()
    w.github.refuse(ENV, { status: 403 })
    const outcome = await act(w, w.inputs({ mode: 'emergency' }))
    expectCleanFailure(outcome.run)
    expect(outcome.created).toHaveLength(1)
    const [newKey] = outcome.created
    // On purpose, invariant 1 does not hold here: the environment still holds the revoked key.
    expect(heldBy(w)).toEqual({ repo: newKey.id, 'env:production': w.ci.id })
    expect(w.hive.accepts(newKey.value)).toBe(true)
    expect(w.hive.accepts(w.ci.value)).toBe(false)
    expect(errorText(outcome.run)).toContain('run again with mode: rotate')
  }, 30_000)
})

describe('old-key-grace-minutes', () => {
  it('shortens the old key’s expiry instead of revoking it; Hive ends it then', async () => {
    const w = world()
    const started = Date.now()
    const outcome = await act(w, w.inputs({ 'old-key-grace-minutes': '30' }))
    const newKey = expectSucceededWithOneNewKey(outcome)
    const { run } = outcome

    expectEveryDestinationHolds(w, newKey)
    expect(w.hive.requests.filter(r => r.method === 'DELETE')).toEqual([])
    const old = w.hive.key(w.ci.id)!
    expect(old.revoked_at).toBeNull()
    expect(await w.statusOf(w.ci.value)).toBe(200) // running jobs finish with it
    const expires = Date.parse(old.expires_at!)
    expect(expires).toBeGreaterThanOrEqual(started + 30 * MINUTE - 1000)
    expect(expires).toBeLessThanOrEqual(Date.now() + 30 * MINUTE)
    expect(run.outputs['revoked-key-ids']).toBe('')
    expect(run.summary).toContain(`expires at ${old.expires_at} (grace)`)

    // 31 minutes later, Hive refuses it by itself.
    w.hive.options.now = () => new Date(Date.now() + 31 * MINUTE)
    expect(await w.statusOf(w.ci.value)).toBe(401)
    expect(await w.statusOf(newKey.value)).toBe(200)
  }, 30_000)

  it('never lengthens a key that expires sooner than the grace', async () => {
    const w = world()
    const soon = fromNow(10 * MINUTE)
    const { id, value } = w.hive.seedKey({
      name: 'short-lived CI key',
      permission: 'read-only',
      expiresAt: soon
    })
    w.github.setSecretPlain(REPO, 'HIVE_API_KEY', value)
    w.github.setSecretPlain(ENV, 'HIVE_API_KEY', value)
    const outcome = await act(
      w,
      w.inputs({ 'hive-api-key': value, 'old-key-grace-minutes': '60', scope: 'all' }),
      { secrets: [value] }
    )
    const newKey = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, newKey)
    expect(w.hive.requests.filter(r => r.method === 'PATCH')).toEqual([])
    expect(w.hive.key(id)!.expires_at).toBe(soon)
  }, 30_000)
})

describe('rotate-if-expiring-within-days', () => {
  it('does nothing but report when the current key expires later', async () => {
    const w = world()
    const before = snapshot(w)
    const outcome = await act(w, w.inputs({ 'rotate-if-expiring-within-days': '3' }))
    const { run } = outcome
    expect(run.code).toBe(0)
    expectNoLeaks(outcome)
    expectNothingChanged(w, outcome, before)
    expect(w.hive.requests.every(r => r.method === 'GET')).toBe(true)
    expect(w.github.requests).toEqual([])
    expectDestinationsHoldLiveKeys(w)
    expect(run.outputs.rotated).toBe('false')
    expect(run.outputs['key-id']).toBe(w.ci.id)
    expect(run.outputs['days-until-expiry']).toBe('4')
    expect(run.summary).toContain('later than 3 day(s) from now')
  }, 30_000)

  it('rotates when the current key expires within it', async () => {
    const w = world()
    const outcome = await act(w, w.inputs({ 'rotate-if-expiring-within-days': '5' }))
    const newKey = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, newKey)
    expect(await w.statusOf(w.ci.value)).toBe(401)
    expect(outcome.run.outputs.rotated).toBe('true')
    // A 30-day key, a few seconds old: 29 whole days left.
    expect(outcome.run.outputs['days-until-expiry']).toBe('29')
    expect(Date.parse(newKey.expires_at!)).toBeGreaterThan(Date.now() + 29 * DAY)
  }, 30_000)
})

describe('an old key still in use', () => {
  it('warns when something other than this run used the old key in the last 24 h', async () => {
    const w = world()
    for (let i = 0; i < 3; i++) expect(await w.statusOf(w.ci.value)).toBe(200)
    const outcome = await act(w, w.inputs())
    const newKey = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, newKey)
    const usage = w.hive.requests.filter(r => r.path === `/api-keys/${w.ci.id}/usage`)
    expect(usage.map(r => [r.status, r.presentedKeyId])).toEqual([[200, w.admin.id]])
    expect(warnings(outcome.run).join('\n')).toMatch(
      new RegExp(`Something other than this run used the old key ${w.ci.id} .* 3 time\\(s\\)`)
    )
    expect(outcome.run.summary).toContain('Something other than this run used the old key')
  }, 30_000)

  it('says nothing when only this run used it', async () => {
    const w = world()
    const outcome = await act(w, w.inputs())
    expectSucceededWithOneNewKey(outcome)
    expect(warnings(outcome.run)).toEqual([])
  }, 30_000)

  it('passes over a 404 from the usage endpoint quietly', async () => {
    const w = world()
    await w.statusOf(w.ci.value)
    w.hive.addFault({ method: 'GET', path: `/api-keys/${w.ci.id}/usage`, status: 404 })
    const outcome = await act(w, w.inputs())
    const newKey = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, newKey)
    expect(warnings(outcome.run)).toEqual([])
    expect(creations(w)).toHaveLength(1)
    expect(puts(w)).toHaveLength(2)
  }, 30_000)
})
