/**
 * End to end, a GitHub API that lies, loops, floods or stalls, and a team whose secret has another
 * name: the bundled action, run as the runner runs it, against the emulator's hostile modes. Each
 * test asserts what Hive and GitHub hold afterwards (invariant 1: every destination still holds a
 * key Hive accepts; the old key is revoked only after every write showed) and what the log says.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { targetOf } from '../emulators/github.js'
import { startTrap, type Trap } from '../support/trap.js'
import type { World } from '../support/world.js'
import {
  ENV,
  REPO,
  SECRET,
  act,
  destinationStatuses,
  errorText,
  expectCleanFailure,
  expectDestinationsHoldLiveKeys,
  expectEveryDestinationHolds,
  expectFailedWithOneNewKey,
  expectNoLeaks,
  expectNothingChanged,
  expectRefusedBeforeAnyChange,
  expectSucceededWithOneNewKey,
  puts,
  snapshot,
  useWorld,
  warnings
} from './helpers.js'

const world = useWorld()

const ORG_REPOSITORIES = `/orgs/octo/actions/secrets/${SECRET}/repositories`
const ALL = 'repo:octo/app\nenv:octo/app/production\norg:octo'

/** octo as an org too, whose HIVE_API_KEY (the CI key) only selected repositories may read. */
function withSelectedOrgSecret(w: World) {
  w.github.addOrg('octo')
  const ids = [w.github.addRepo('octo/svc-1').id, w.github.addRepo('octo/svc-2').id]
  w.github.setSecretPlain(targetOf('org:octo'), SECRET, w.ci.value, {
    visibility: 'selected',
    selectedRepositoryIds: ids
  })
}

const requestsTo = (w: World, path: string) => w.github.requests.filter(r => r.path === path)

/** Runs the action and measures how long it took. */
async function timed(w: World, inputs: Record<string, string>) {
  const started = Date.now()
  const outcome = await act(w, inputs)
  return { outcome, ms: Date.now() - started }
}

describe('pages: the token stays on the origin of GITHUB_API_URL, and every list ends', () => {
  let other: Trap
  beforeEach(async () => {
    other = await startTrap('[]')
  })
  afterEach(async () => {
    await other.close()
  })

  it('a Link to another origin is refused before a byte is sent: nothing changes', async () => {
    const w = world()
    withSelectedOrgSecret(w)
    w.github.hostilePages({
      path: ORG_REPOSITORIES,
      link: { url: `${other.url}${ORG_REPOSITORIES}?per_page=100&page=2` }
    })
    const { run } = await expectRefusedBeforeAnyChange(w, w.inputs({ destinations: ALL }))

    // The other origin saw no request at all, so none carrying the token.
    expect(other.requests).toEqual([])
    expect(requestsTo(w, ORG_REPOSITORIES)).toHaveLength(1)
    expect(errorText(run)).toContain(
      `org:octo: GitHub listing the repositories that may read ${SECRET} in organization octo ` +
        `(org:octo): refused to send a request to ${other.url}: only ${w.github.url} ` +
        '(GITHUB_API_URL) gets the token'
    )
  }, 30_000)

  it('a Link elsewhere in the shadowing check is refused too, and the rotation goes on', async () => {
    const w = world()
    w.github.addOrg('octo')
    w.github.setSecretPlain(targetOf('org:octo'), SECRET, w.ci.value)
    // org:octo makes the action list the environments of octo/app (GITHUB_REPOSITORY).
    w.github.hostilePages({
      path: '/repos/octo/app/environments',
      link: { url: `${other.url}/repos/octo/app/environments?page=2` }
    })
    const outcome = await act(w, w.inputs({ destinations: ALL }))
    const newKey = expectSucceededWithOneNewKey(outcome)
    expect(other.requests).toEqual([])
    expectEveryDestinationHolds(w, newKey)
    expect(w.github.secretValue(targetOf('org:octo'), SECRET)).toBe(newKey.value)
  }, 30_000)

  it('a page that links to itself stops the list at once: nothing changes', async () => {
    const w = world()
    withSelectedOrgSecret(w)
    w.github.hostilePages({ path: ORG_REPOSITORIES, link: 'self' })
    const { outcome, ms } = await timed(w, w.inputs({ destinations: ALL }))
    expectCleanFailure(outcome.run)
    expectNoLeaks(outcome)
    expect(outcome.created).toEqual([])
    expect(puts(w)).toEqual([])
    expect(requestsTo(w, ORG_REPOSITORIES)).toHaveLength(1)
    expect(errorText(outcome.run)).toContain('links back to a page already read (a loop)')
    expect(ms).toBeLessThan(20_000)
    expectDestinationsHoldLiveKeys(w)
  }, 30_000)

  it('a list that never ends stops at the page limit, fast: nothing changes', async () => {
    const w = world()
    withSelectedOrgSecret(w)
    w.github.hostilePages({ path: ORG_REPOSITORIES, link: 'endless' })
    const before = snapshot(w)
    const { outcome, ms } = await timed(w, w.inputs({ destinations: ALL }))
    expectCleanFailure(outcome.run)
    expectNoLeaks(outcome)
    expectNothingChanged(w, outcome, before)
    expect(requestsTo(w, ORG_REPOSITORIES)).toHaveLength(100)
    expect(errorText(outcome.run)).toContain('the list goes on past 100 pages')
    expect(ms).toBeLessThan(20_000)
    expectDestinationsHoldLiveKeys(w)
  }, 30_000)
})

describe('bodies: a huge or endless answer is cut at 1 MiB, not read whole', () => {
  it.each([
    ['a 700 MB body', 700 * 1024 * 1024],
    ['an endless body', 'endless' as const]
  ])(
    '%s on a public key stops the run fast, before anything changes',
    async (_what, stream) => {
      const w = world()
      const path = '/repos/octo/app/actions/secrets/public-key'
      w.github.addFault({ method: 'GET', path, status: 200, stream, times: 10 })
      const before = snapshot(w)
      const { outcome, ms } = await timed(w, w.inputs())
      expectCleanFailure(outcome.run)
      expectNoLeaks(outcome)
      expectNothingChanged(w, outcome, before)
      expectDestinationsHoldLiveKeys(w)
      expect(errorText(outcome.run)).toContain(
        'repo:octo/app: GitHub reading the public key of repository octo/app (repo:octo/app): ' +
          "GitHub's answer (200) is larger than 1048576 bytes; it was not read"
      )
      // Asked once, not retried, and the answer abandoned soon after the cap.
      const asked = requestsTo(w, path)
      expect(asked).toHaveLength(1)
      expect(asked[0].bytesSent).toBeLessThan(64 * 1024 * 1024)
      expect(ms).toBeLessThan(20_000)
    },
    30_000
  )
})

describe('rate limits: a wait longer than the cap is not waited out', () => {
  it('a retry-after of a day on the writes: fails fast, the old key stays everywhere', async () => {
    const w = world()
    w.github.secondaryRateLimit({ times: 100, retryAfterSeconds: 86_401, on: 'write' })
    const { outcome, ms } = await timed(w, w.inputs())
    const newKey = expectFailedWithOneNewKey(outcome)
    expect(ms).toBeLessThan(20_000)

    // No write landed, so the new key was revoked; the old key was not, and every destination
    // still holds it.
    expect(puts(w).map(r => r.status)).toEqual([403, 403])
    expect(w.hive.key(newKey.id)?.revoked_at).not.toBeNull()
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expectEveryDestinationHolds(w, w.ci)
    expect(warnings(outcome.run).join('\n')).toMatch(
      /GitHub secondary rate limit on PUT .*: GitHub asks to wait 86401 s, longer than the 60 s this action waits; giving up/
    )
    expect(errorText(outcome.run)).toContain('GitHub is rate-limiting the token')
    expect(errorText(outcome.run)).not.toContain('waiting 86401 s')
  }, 30_000)

  it('a primary rate limit that resets in a day, in the preflight: nothing changes', async () => {
    const w = world()
    const resetAt = Math.floor(Date.now() / 1000) + 86_401
    w.github.addFault({
      method: 'GET',
      path: /public-key$/,
      times: 100,
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt) },
      body: JSON.stringify({ message: 'API rate limit exceeded for user.', status: '403' })
    })
    const started = Date.now()
    const { run } = await expectRefusedBeforeAnyChange(w, w.inputs())
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(errorText(run)).toContain('GitHub is rate-limiting the token')
    // The throttling plugin asks for the reset less the moment the answer arrived, rounded up,
    // plus one second: a day, less the seconds the run took to get there (two on a loaded
    // machine, seen).
    const asked = /GitHub asks to wait (\d+) s, longer than the 60 s/.exec(warnings(run).join('\n'))
    expect(asked).not.toBeNull()
    const latest = resetAt - Math.floor(started / 1000) + 1
    expect(Number(asked![1])).toBeLessThanOrEqual(latest)
    expect(Number(asked![1])).toBeGreaterThanOrEqual(
      latest - Math.ceil((Date.now() - started) / 1000) - 1
    )
  }, 30_000)
})

describe('writes: only a write that shows counts', () => {
  it('a PUT answered 204 that stores nothing: the old key is not revoked, the run fails', async () => {
    const w = world()
    w.github.dropWrites()
    const outcome = await act(w, w.inputs())
    const newKey = expectFailedWithOneNewKey(outcome)

    // GitHub said 204 twice, yet nothing changed there: every destination holds the old key,
    // which Hive still accepts. The new key stays active: a write that may land could need it.
    expect(puts(w).map(r => r.status)).toEqual([204, 204])
    expectEveryDestinationHolds(w, w.ci)
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expect(w.hive.accepts(newKey.value)).toBe(true)
    expect(outcome.run.outputs['revoked-key-ids']).toBe('')
    expect(outcome.run.outputs.rotated).toBe('false')
    expect(destinationStatuses(outcome.run)).toEqual({
      'repo:octo/app': 'not confirmed',
      'env:octo/app/production': 'not confirmed'
    })
    expect(errorText(outcome.run)).toContain(
      `GitHub answered 204 writing ${SECRET} to repository octo/app (repo:octo/app), but ` +
        'reading it back shows no change'
    )
    expect(errorText(outcome.run)).toContain(`The old key ${w.ci.id} was not revoked`)
  }, 30_000)

  it('metadata whose updated_at does not move: not confirmed, so nothing old is revoked', async () => {
    const w = world()
    w.github.freezeUpdatedAt(REPO, SECRET)
    const outcome = await act(w, w.inputs())
    const newKey = expectFailedWithOneNewKey(outcome)

    // The repository's write did land (the emulator stores it) but never showed: it does not
    // count. Both keys stay alive, so whatever each destination holds works.
    expect(w.github.secretValue(REPO, SECRET)).toBe(newKey.value)
    expect(w.github.secretValue(ENV, SECRET)).toBe(newKey.value)
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expectDestinationsHoldLiveKeys(w)
    expect(destinationStatuses(outcome.run)).toEqual({
      'repo:octo/app': 'not confirmed',
      'env:octo/app/production': 'updated'
    })
    expect(errorText(outcome.run)).toMatch(/its updated_at is still \S+, as before the write/)
  }, 30_000)
})

describe('a refusal that answers a resend is not taken for "nothing stored"', () => {
  it('a PUT that landed but was answered 502, its resend refused: the new key is kept', async () => {
    const w = world()
    const path = `/repos/octo/app/actions/secrets/${SECRET}`
    // The first PUT lands, but a gateway loses its answer; the retry plugin resends it, and the
    // resend meets a secondary rate limit of an hour, which the action does not wait out.
    w.github.addFault({ method: 'PUT', path, status: 502, afterEffect: true, nth: 1 })
    w.github.addFault({
      method: 'PUT',
      path,
      status: 403,
      nth: 2,
      headers: { 'retry-after': '3600' },
      body: JSON.stringify({ message: 'You have exceeded a secondary rate limit.' })
    })
    const outcome = await act(w, w.inputs({ destinations: 'repo:octo/app' }))
    const newKey = expectFailedWithOneNewKey(outcome)

    // The repository holds the new key: revoking it (as "no destination holds it") would leave
    // the repository with a dead key. Both keys stay alive, so whatever it holds works.
    expect(puts(w).map(r => r.status)).toEqual([502, 403])
    expect(w.github.secretValue(REPO, SECRET)).toBe(newKey.value)
    expect(w.hive.accepts(newKey.value)).toBe(true)
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expectDestinationsHoldLiveKeys(w, [REPO])
    expect(outcome.run.outputs['revoked-key-ids']).toBe('')
    expect(errorText(outcome.run)).toContain('an earlier attempt of this write may have landed')
  }, 60_000)
})

describe('the secret must already live somewhere', () => {
  /** The team keeps the key as APHIDS_API_KEY (aphids-cli's examples do), not HIVE_API_KEY. */
  function storedAsAphids(w: World) {
    for (const target of [REPO, ENV]) {
      w.github.deleteSecret(target, SECRET)
      w.github.setSecretPlain(target, 'APHIDS_API_KEY', w.ci.value)
    }
    w.github.setSecretPlain(REPO, 'OTHER_TOKEN', 'unrelated')
  }

  it('secret-name left at HIVE_API_KEY while the team stores APHIDS_API_KEY: stops, names it', async () => {
    const w = world()
    storedAsAphids(w)
    const keysBefore = snapshot(w).keys
    const outcome = await act(w, w.inputs())
    expectCleanFailure(outcome.run)
    expectNoLeaks(outcome)

    // Nothing changed in Hive or GitHub: no key made or revoked, no secret written.
    expect(outcome.created).toEqual([])
    expect(snapshot(w).keys).toEqual(keysBefore)
    expect(puts(w)).toEqual([])
    for (const target of [REPO, ENV]) {
      expect(w.github.secretValue(target, 'APHIDS_API_KEY')).toBe(w.ci.value)
      expect(w.github.secretValue(target, SECRET)).toBeUndefined()
    }
    const text = errorText(outcome.run)
    expect(text).toContain(`None of the 2 destinations holds a secret named ${SECRET}`)
    expect(text).toContain('repo:octo/app holds APHIDS_API_KEY, OTHER_TOKEN')
    expect(text).toContain('env:octo/app/production holds APHIDS_API_KEY')
    expect(text).toContain('Set secret-name to the secret your jobs read')
  }, 30_000)

  it('with secret-name: APHIDS_API_KEY the same world rotates', async () => {
    const w = world()
    storedAsAphids(w)
    const outcome = await act(w, w.inputs({ 'secret-name': 'APHIDS_API_KEY' }))
    const newKey = expectSucceededWithOneNewKey(outcome)
    for (const target of [REPO, ENV]) {
      expect(w.github.secretValue(target, 'APHIDS_API_KEY')).toBe(newKey.value)
    }
    expect(w.hive.accepts(w.ci.value)).toBe(false)
  }, 30_000)

  it('a destination that lacks it while another holds it is created, and says so', async () => {
    const w = world()
    w.github.deleteSecret(ENV, SECRET)
    const outcome = await act(w, w.inputs())
    const newKey = expectSucceededWithOneNewKey(outcome)
    expectEveryDestinationHolds(w, newKey)
    expect(destinationStatuses(outcome.run)).toEqual({
      'repo:octo/app': 'updated',
      'env:octo/app/production': 'created'
    })
    expect(outcome.run.outputs.destinations).toContain(`${SECRET} created (did not exist)`)
    expect(outcome.run.summary).toContain(`${SECRET} created (did not exist)`)
  }, 30_000)
})
