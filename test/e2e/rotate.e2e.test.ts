/**
 * End to end, the runs that succeed: the bundled action (dist/index.js) run as the Actions runner
 * runs it, against the Hive and GitHub emulators. Every test judges the outcome by the emulators'
 * state (which keys Hive accepts, what each secret opens to), not by the exit code alone, and
 * checks that no key value left the run (invariant 3).
 */
import { describe, expect, it } from '@jest/globals'
import { CI_SCOPE, type World } from '../support/world.js'
import {
  ENV,
  REPO,
  SECRET,
  VERIFY_PATH,
  act,
  creations,
  destinationStatuses,
  expectDestinationsHoldLiveKeys,
  expectEveryDestinationHolds,
  expectNoLeaks,
  expectNothingChanged,
  expectNothingRevoked,
  expectSucceededWithOneNewKey,
  puts,
  snapshot,
  useWorld,
  without
} from './helpers.js'

const DAY_MS = 86_400_000
const world = useWorld()

/** Verify-path probes Hive answered, with the given key. */
function probesWith(keyId: string) {
  return world().hive.requests.filter(
    r => r.method === 'GET' && r.path === VERIFY_PATH && r.presentedKeyId === keyId
  )
}

/**
 * Runs a rotation that gives the new key 20 s to pass its test, and checks that it succeeded
 * after probing the new key more than once, and only then wrote it everywhere and revoked the old
 * key. Returns the run and the new key's probes.
 */
async function expectRotatedAfterProbing(w: World) {
  const outcome = await act(w, w.inputs({ 'verify-timeout-seconds': '20' }))
  const newKey = expectSucceededWithOneNewKey(outcome)
  const probes = probesWith(newKey.id)
  expect(probes.length).toBeGreaterThan(1)
  // Nothing was written before the new key was accepted.
  expectEveryDestinationHolds(w, newKey)
  expect(await w.statusOf(w.ci.value)).toBe(401)
  return { run: outcome.run, probes, newKeyId: newKey.id }
}

describe('a rotation that succeeds', () => {
  it('replaces the key in every destination, then revokes the old one', async () => {
    const w = world()
    const started = Date.now()
    const outcome = await act(w, w.inputs())
    const { run } = outcome
    const newKey = expectSucceededWithOneNewKey(outcome)

    // Both destinations open to the new key; Hive accepts it and refuses the old one.
    expect(w.github.secretValue(REPO, SECRET)).toBe(newKey.value)
    expect(w.github.secretValue(ENV, SECRET)).toBe(newKey.value)
    expect(w.github.secretWrites(REPO)).toBe(1)
    expect(w.github.secretWrites(ENV)).toBe(1)
    expectDestinationsHoldLiveKeys(w)
    expect(await w.statusOf(newKey.value)).toBe(200)
    expect(await w.statusOf(w.ci.value)).toBe(401)
    expect(w.hive.key(w.ci.id)?.revoked_at).not.toBeNull()
    expect(w.hive.accepts(w.admin.value)).toBe(true)
    expect(w.hive.activeKeys().map(k => k.id)).toEqual([w.admin.id, newKey.id])

    // The new key inherits the old one's permission and scope, and is named by the rotation.
    expect(newKey.permission).toBe('read-only')
    expect(newKey.scope).toEqual(CI_SCOPE)
    expect(newKey.name.startsWith('hive-rotate-key octo/app HIVE_API_KEY ')).toBe(true)
    expect(newKey.name).toMatch(/ \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z replaces (\S+)$/)
    expect(newKey.name.endsWith(` replaces ${w.ci.id}`)).toBe(true)
    // It was created with the admin key, not with the key being rotated.
    expect(creations(w).map(r => r.keyId)).toEqual([w.admin.id])

    // Outputs.
    expect(run.outputs.rotated).toBe('true')
    expect(run.outputs['key-id']).toBe(newKey.id)
    expect(run.outputs['key-prefix']).toBe(newKey.prefix)
    expect(run.outputs['expires-at']).toBe(newKey.expires_at)
    const expiresMs = Date.parse(run.outputs['expires-at'])
    expect(Math.abs(expiresMs - (started + 30 * DAY_MS))).toBeLessThan(60_000)
    expect(run.outputs['revoked-key-ids']).toBe(w.ci.id)
    expect(destinationStatuses(run)).toEqual({
      'repo:octo/app': 'updated',
      'env:octo/app/production': 'updated'
    })

    // The summary names both keys by id and prefix.
    for (const text of [newKey.id, newKey.prefix, w.ci.id, w.hive.key(w.ci.id)!.prefix]) {
      expect(run.summary).toContain(text)
    }
    expect(run.summary).toContain('Hive key rotated')
  }, 30_000)

  it('rotates a key that is its own admin when hive-admin-key is left out', async () => {
    const w = world()
    const self = w.hive.seedKey({ name: 'self-managed CI key', permission: 'admin' })
    w.github.setSecretPlain(REPO, SECRET, self.value)
    w.github.setSecretPlain(ENV, SECRET, self.value)
    const inputs = without(w.inputs({ 'hive-api-key': self.value }), 'hive-admin-key')
    const outcome = await act(w, inputs, { secrets: [self.value] })
    const { run } = outcome
    const newKey = expectSucceededWithOneNewKey(outcome)

    expect(newKey.permission).toBe('admin')
    expect(newKey.scope).toEqual({ type: 'all' })
    // The rotated key created its successor and revoked itself; the platform admin key was
    // never used.
    expect(creations(w).map(r => r.keyId)).toEqual([self.id])
    expect(w.hive.requests.some(r => r.presentedKeyId === w.admin.id)).toBe(false)
    expectEveryDestinationHolds(w, newKey)
    expect(await w.statusOf(newKey.value)).toBe(200)
    expect(await w.statusOf(self.value)).toBe(401)
    expect(run.outputs['revoked-key-ids']).toBe(self.id)
    // The CI key and the admin key of the world are untouched.
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expect(w.hive.accepts(w.admin.value)).toBe(true)
  }, 30_000)

  it('keeps the old key alive with revoke-old: false', async () => {
    const w = world()
    const outcome = await act(w, w.inputs({ 'revoke-old': 'false' }))
    const { run } = outcome
    const newKey = expectSucceededWithOneNewKey(outcome)

    expectEveryDestinationHolds(w, newKey)
    expect(await w.statusOf(newKey.value)).toBe(200)
    await expectNothingRevoked(w)
    expect(w.hive.key(w.ci.id)?.revoked_at).toBeNull()
    expect(run.outputs.rotated).toBe('true')
    expect(run.outputs['key-id']).toBe(newKey.id)
    expect(run.outputs['revoked-key-ids']).toBe('')
  }, 30_000)
})

describe('propagation: a new key that answers 401 for a while', () => {
  it('waits out the first two 401s (propagationCalls: 2)', async () => {
    const w = world()
    w.hive.options.propagationCalls = 2
    const { run, probes, newKeyId } = await expectRotatedAfterProbing(w)
    // The read-back goes out with the first probe, so the two 401s fall on one probe and the
    // first read-back; the read-back is asked again once a probe saw the key accepted.
    const uses = w.hive.requests.filter(r => r.presentedKeyId === newKeyId)
    expect(uses.filter(r => r.status === 401)).toHaveLength(2)
    expect(probes.map(p => p.status)).toEqual([401, 200])
    const readBacks = uses.filter(r => r.path === '/api-keys/current').map(r => r.status)
    expect(readBacks).toEqual([401, 200])
    expect(run.outputs.rotated).toBe('true')
  }, 30_000)

  it('waits out a propagation delay of 1.5 s', async () => {
    const w = world()
    w.hive.options.propagationDelayMs = 1500
    const { probes } = await expectRotatedAfterProbing(w)
    expect(probes[0].status).toBe(401)
    expect(probes[probes.length - 1].status).toBe(200)
  }, 30_000)
})

describe('transient failures on the way', () => {
  it('rides out 429 with Retry-After and 503 HTML pages, and creates exactly one key', async () => {
    const w = world()
    // Hive: the first read of the current key is rate limited, the second meets a proxy page.
    w.hive.addFault({
      method: 'GET',
      path: '/api-keys/current',
      nth: 1,
      status: 429,
      headers: { 'Retry-After': '1' }
    })
    w.hive.addFault({
      method: 'GET',
      path: '/api-keys/current',
      nth: 2,
      status: 503,
      contentType: 'text/html',
      body: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>'
    })
    // Hive: the creation is rate limited once (a 429 means it was not carried out).
    w.hive.addFault({
      method: 'POST',
      path: '/api-keys',
      status: 429,
      headers: { 'Retry-After': '1' }
    })
    // GitHub: the repository write meets a 503 proxy page once.
    w.github.addFault({
      method: 'PUT',
      path: '/repos/octo/app/actions/secrets/HIVE_API_KEY',
      status: 503,
      contentType: 'text/html',
      body: '<html><body>503 Service Unavailable</body></html>'
    })
    const outcome = await act(w, w.inputs())
    const { run } = outcome
    const newKey = expectSucceededWithOneNewKey(outcome)

    // The faults really were met, and retried.
    const current = w.hive.requests.filter(r => r.path === '/api-keys/current')
    expect(current.slice(0, 3).map(r => r.status)).toEqual([429, 503, 200])
    expect(creations(w).map(r => r.status)).toEqual([429, 201])
    const repoPuts = puts(w).filter(r => r.path === '/repos/octo/app/actions/secrets/HIVE_API_KEY')
    expect(repoPuts.map(r => r.status)).toEqual([503, 204])
    expect(w.github.secretWrites(REPO)).toBe(1)
    expect(w.github.secretWrites(ENV)).toBe(1)

    expectEveryDestinationHolds(w, newKey)
    expect(await w.statusOf(newKey.value)).toBe(200)
    expect(await w.statusOf(w.ci.value)).toBe(401)
    expect(run.outputs.rotated).toBe('true')
  }, 30_000)
})

describe('dry-run', () => {
  it('runs the preflight, prints the plan and changes nothing', async () => {
    const w = world()
    const before = snapshot(w)
    const outcome = await act(w, w.inputs({ 'dry-run': 'true' }))
    const { run } = outcome

    expect(run.code).toBe(0)
    expectNoLeaks(outcome)
    expectNothingChanged(w, outcome, before)
    expect(w.hive.requests.some(r => r.method !== 'GET')).toBe(false)
    expect(await w.statusOf(w.ci.value)).toBe(200)
    expectDestinationsHoldLiveKeys(w)
    // The preflight did read every destination's public key.
    const reads = w.github.requests.filter(r => r.path.endsWith('/public-key'))
    expect(reads).toHaveLength(2)

    expect(run.outputs.rotated).toBe('false')
    expect(run.outputs['key-id']).toBe(w.ci.id)
    expect(run.outputs['revoked-key-ids']).toBe('')
    expect(run.summary).toContain('dry run')
    expect(run.summary).toContain('Plan')
    expect(run.summary).toContain('Create a key named')
    expect(run.summary).toContain('repo:octo/app')
    expect(run.summary).toContain('env:octo/app/production')
    expect(run.summary).toContain(`Revoke the current key ${w.ci.id}`)
  }, 30_000)
})
