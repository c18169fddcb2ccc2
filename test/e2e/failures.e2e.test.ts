/**
 * End to end, the runs that fail: a new key that never works, Hive refusing to create one,
 * destinations that refuse the write or can't even be read, the workflow's own GITHUB_TOKEN, and
 * admin keys that can't do the job. Each test checks that the run failed cleanly AND what it left
 * behind: every destination still holds a key Hive accepts (invariant 1), the old key is revoked
 * only when every destination holds the new one (invariant 2), no key value was printed
 * (invariant 3).
 */
import { describe, expect, it } from '@jest/globals'
import {
  ENV,
  REPO,
  act,
  destinationStatuses,
  errorText,
  expectCleanFailure,
  expectDestinationsHoldLiveKeys,
  expectEveryDestinationHolds,
  expectFailedWithOneNewKey,
  expectNewKeyRevokedNothingWritten,
  expectNoLeaks,
  expectNothingChanged,
  expectNothingRevoked,
  expectRefusedBeforeAnyChange,
  heldBy,
  puts,
  snapshot,
  useWorld,
  without
} from './helpers.js'

const world = useWorld()

describe('the new key fails, or is never made', () => {
  it('revokes a new key that never passes its test, and changes nothing else', async () => {
    const w = world()
    w.hive.options.propagationCalls = 1_000
    const outcome = await act(w, w.inputs({ 'verify-timeout-seconds': '2' }))
    const { run } = outcome

    // The old key is alive and still in both destinations; nothing was written.
    const newKey = expectNewKeyRevokedNothingWritten(w, outcome)
    expect(w.hive.accepts(newKey.value)).toBe(false)
    expect(await w.statusOf(w.ci.value)).toBe(200)
    expect(w.github.secretWrites()).toBe(0)

    expect(errorText(run)).toMatch(/new key failed its test/)
    expect(errorText(run)).toContain(newKey.id)
    expect(errorText(run)).toMatch(/was revoked/)
    expect(run.outputs.rotated).toBe('false')
    expect(run.outputs['key-id']).toBe(w.ci.id)
    expect(run.outputs['revoked-key-ids']).toBe(newKey.id)
  }, 30_000)

  it('fails clearly when Hive answers 503 to the creation, having changed nothing', async () => {
    const w = world()
    w.hive.addFault({ method: 'POST', path: '/api-keys', status: 503 })
    // A POST that answered 5xx may have been carried out: it is not repeated.
    const { run } = await expectRefusedBeforeAnyChange(w, w.inputs(), { creationStatuses: [503] })
    await expectNothingRevoked(w)

    const text = errorText(run)
    expect(text).toMatch(/503/)
    expect(text).toMatch(/creating the new key/)
    expect(run.outputs.rotated).toBe('false')
  }, 30_000)
})

describe('the current key', () => {
  it('stops before any change when Hive no longer accepts the key being rotated', async () => {
    const w = world()
    // Revoke the CI key behind the action's back (as an admin would, over the API).
    const response = await fetch(`${w.hive.url}/api-keys/${w.ci.id}`, {
      method: 'DELETE',
      headers: { 'X-Api-Key': w.admin.value }
    })
    expect(response.status).toBe(204)
    w.hive.requests.length = 0
    const before = snapshot(w)
    const outcome = await act(w, w.inputs())
    const { run } = outcome

    // Refused before any change; the destinations still hold the key that Hive no longer accepts.
    expectCleanFailure(run)
    expectNoLeaks(outcome)
    expectNothingChanged(w, outcome, before)
    const text = errorText(run)
    expect(text).toMatch(/401/)
    expect(text).toContain('hive-api-key')
    expect(text).toMatch(/expired, revoked, or never a key of this Hive/)
  }, 30_000)
})

describe('destinations that refuse the write', () => {
  it('keeps both keys alive when one of two destinations refuses', async () => {
    const w = world()
    w.github.refuse(ENV, { status: 403 })
    const outcome = await act(w, w.inputs())
    const { run } = outcome

    const newKey = expectFailedWithOneNewKey(outcome)
    // The repository holds the new key, the environment still the old one.
    expect(heldBy(w)).toEqual({ repo: newKey.id, 'env:production': w.ci.id })
    expect(w.github.secretWrites(REPO)).toBe(1)
    expect(w.github.secretWrites(ENV)).toBe(0)
    // Invariant 2: the old key is not revoked; the new key stays, since the repository holds it.
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expect(w.hive.accepts(newKey.value)).toBe(true)
    await expectNothingRevoked(w)
    expect(await w.statusOf(newKey.value)).toBe(200)
    expectDestinationsHoldLiveKeys(w)

    const text = errorText(run)
    expect(text).toContain('env:octo/app/production')
    expect(text).toMatch(/403/)
    expect(text).toMatch(/Environments: read and write/)
    expect(text).toContain(`old key ${w.ci.id} was not revoked`)
    expect(run.outputs.rotated).toBe('false')
    expect(run.outputs['revoked-key-ids']).toBe('')
    expect(destinationStatuses(run)).toEqual({
      'repo:octo/app': 'updated',
      'env:octo/app/production': 'failed'
    })
  }, 30_000)

  it('revokes the new key when every destination refuses the write', async () => {
    const w = world()
    w.github.refuse(REPO, { status: 403 })
    w.github.refuse(ENV, { status: 403 })
    const outcome = await act(w, w.inputs())
    const { run } = outcome

    const newKey = expectFailedWithOneNewKey(outcome)
    expect(puts(w).map(r => r.status)).toEqual([403, 403])
    expect(w.github.secretWrites()).toBe(0)
    expectEveryDestinationHolds(w, w.ci)
    // No destination holds the new key: it is revoked. The old key lives on.
    expect(w.hive.key(newKey.id)?.revoked_at).not.toBeNull()
    expect(await w.statusOf(newKey.value)).toBe(401)
    expect(await w.statusOf(w.ci.value)).toBe(200)

    const text = errorText(run)
    expect(text).toContain('repo:octo/app')
    expect(text).toContain('env:octo/app/production')
    expect(text).toMatch(/Secrets: read and write/)
    expect(run.outputs.rotated).toBe('false')
    expect(run.outputs['revoked-key-ids']).toBe(newKey.id)
    expect(destinationStatuses(run)).toEqual({
      'repo:octo/app': 'failed',
      'env:octo/app/production': 'failed'
    })
  }, 30_000)
})

describe('destinations that fail the preflight: nothing is created', () => {
  it.each([
    ['an environment the token cannot read (404)', 'env:octo/app/production'],
    ['a misspelt repository', 'repo:octo/nope']
  ])(
    'stops before creating a key: %s',
    async (_what, label) => {
      const w = world()
      const inputs = w.inputs()
      if (label === 'repo:octo/nope') {
        inputs.destinations = 'repo:octo/app\nrepo:octo/nope'
      } else {
        w.github.refuse(ENV, { status: 404, on: 'read' })
      }
      const { run } = await expectRefusedBeforeAnyChange(w, inputs)
      expect(w.hive.requests.some(r => r.method !== 'GET')).toBe(false)

      const text = errorText(run)
      expect(text).toContain(label)
      expect(text).toMatch(/does not exist, or the token cannot see it/)
      expect(text).toMatch(/nothing was changed/i)
      expect(run.outputs.rotated).toBe('false')
      expect(destinationStatuses(run)[label]).toBe('unreachable')
    },
    30_000
  )

  it("says that the workflow's own GITHUB_TOKEN can't write secrets", async () => {
    const w = world()
    const actionsToken = 'ghs_workflowToken0123456789abcdefghijklmnopqr'
    w.github.addToken(actionsToken, { actionsToken: true, label: 'GITHUB_TOKEN' })
    const { run } = await expectRefusedBeforeAnyChange(
      w,
      w.inputs({ 'github-token': actionsToken }),
      { secrets: [actionsToken] }
    )
    expect(errorText(run)).toMatch(/GITHUB_TOKEN (?:cannot|can never|can['’]t) write secrets/)
  }, 30_000)
})

describe('admin checks, before any change', () => {
  it('refuses a hive-admin-key that is read-only', async () => {
    const w = world()
    const weak = w.hive.seedKey({ name: 'not an admin', permission: 'read-only' })
    const { run } = await expectRefusedBeforeAnyChange(
      w,
      w.inputs({ 'hive-admin-key': weak.value }),
      { secrets: [weak.value] }
    )
    const text = errorText(run)
    expect(text).toMatch(/hive-admin-key has permission read-only/)
    expect(text).toMatch(/needs admin/)
  }, 30_000)

  it('refuses an admin key whose scope cannot cover the new key', async () => {
    const w = world()
    const narrow = w.hive.seedKey({
      name: 'admin of one engagement',
      permission: 'admin',
      scope: { type: 'engagements', engagement_ids: ['eng_12'] }
    })
    const { run } = await expectRefusedBeforeAnyChange(
      w,
      w.inputs({ 'hive-admin-key': narrow.value }),
      { secrets: [narrow.value] }
    )
    const text = errorText(run)
    expect(text).toMatch(/hive-admin-key has scope .*engagements:eng_12 and cannot grant/)
    expect(text).not.toContain('scope scope')
  }, 30_000)

  it('tells a read-only rotated key without hive-admin-key to pass hive-admin-key', async () => {
    const w = world()
    const { run } = await expectRefusedBeforeAnyChange(w, without(w.inputs(), 'hive-admin-key'))
    const text = errorText(run)
    expect(text).toMatch(/has permission read-only/)
    expect(text).toMatch(/pass an admin key as hive-admin-key/)
  }, 30_000)
})
