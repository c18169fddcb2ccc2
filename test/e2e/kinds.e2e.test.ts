/**
 * End to end, every kind of GitHub secret: the bundled action rotates one key into Actions,
 * environment, org, Dependabot and Codespaces secrets, each sealed with that destination's own
 * key pair (the emulator stores only boxes that open with it), and org secrets keep who may read
 * them. Also: refusals name the permission, GitHub Enterprise Server, and a secondary rate limit.
 */
import { describe, expect, it } from '@jest/globals'
import { targetOf, type OrgSecretAccess, type SecretTarget } from '../emulators/github.js'
import { startWorld, type World } from '../support/world.js'
import {
  SECRET,
  act,
  destinationStatuses,
  errorText,
  expectDestinationsHoldLiveKeys,
  expectRefusedBeforeAnyChange,
  expectSucceededWithOneNewKey,
  puts,
  useWorld
} from './helpers.js'

const world = useWorld()

const ALL_KINDS = [
  'repo:octo/app',
  'env:octo/app/production',
  'org:octo',
  'dependabot:octo/app',
  'dependabot-org:octo',
  'codespaces:octo/app',
  'codespaces-org:octo'
]

/** Make octo an org too, with 120 more repositories, and seed the CI key where it is missing. */
function seedEveryKind(w: World, access: Record<string, OrgSecretAccess>) {
  w.github.addOrg('octo')
  const ids = Array.from({ length: 120 }, (_, i) => w.github.addRepo(`octo/svc-${i}`).id)
  for (const label of ALL_KINDS) {
    const target = targetOf(label)
    if (w.github.secretValue(target, SECRET) !== undefined) continue
    const given = access[label]
    const withIds =
      given?.visibility === 'selected' ? { ...given, selectedRepositoryIds: ids } : given
    w.github.setSecretPlain(target, SECRET, w.ci.value, withIds)
  }
  return ids
}

function targets(labels = ALL_KINDS): SecretTarget[] {
  return labels.map(targetOf)
}

describe('every kind of destination', () => {
  it('rotates into all seven kinds, each with its own key, and org secrets keep their access', async () => {
    const w = world()
    const ids = seedEveryKind(w, {
      'org:octo': { visibility: 'all' },
      'dependabot-org:octo': { visibility: 'selected' },
      'codespaces-org:octo': { visibility: 'private' }
    })
    const outcome = await act(w, w.inputs({ destinations: ALL_KINDS.join('\n') }))
    const newKey = expectSucceededWithOneNewKey(outcome)

    for (const label of ALL_KINDS) {
      const target = targetOf(label)
      expect({ label, held: w.github.secretValue(target, SECRET) }).toEqual({
        label,
        held: newKey.value
      })
    }
    expectDestinationsHoldLiveKeys(w, targets())
    expect(w.hive.accepts(w.ci.value)).toBe(false)

    expect(w.github.orgSecretAccess(targetOf('org:octo'), SECRET)).toEqual({ visibility: 'all' })
    expect(w.github.orgSecretAccess(targetOf('dependabot-org:octo'), SECRET)).toEqual({
      visibility: 'selected',
      selectedRepositoryIds: ids
    })
    expect(w.github.orgSecretAccess(targetOf('codespaces-org:octo'), SECRET)).toEqual({
      visibility: 'private'
    })
    // Each destination was written once, with the key id its own public key endpoint gave.
    expect(puts(w)).toHaveLength(ALL_KINDS.length)
    for (const label of ALL_KINDS) {
      const put = puts(w).find(
        r => r.path.endsWith(`/secrets/${SECRET}`) && sameKind(r.path, label)
      )
      expect({ label, keyId: (put?.body as { key_id?: string })?.key_id }).toEqual({
        label,
        keyId: w.github.publicKey(targetOf(label)).key_id
      })
    }
    expect(destinationStatuses(outcome.run)).toEqual(
      Object.fromEntries(ALL_KINDS.map(l => [l, 'updated']))
    )
  }, 60_000)

  it('creates a missing org secret private, or as ?visibility= says', async () => {
    const w = world()
    w.github.addOrg('octo')
    const outcome = await act(
      w,
      w.inputs({
        destinations: 'repo:octo/app\norg:octo\ndependabot-org:octo?visibility=all'
      })
    )
    const newKey = expectSucceededWithOneNewKey(outcome)
    expect(w.github.orgSecretAccess(targetOf('org:octo'), SECRET)).toEqual({
      visibility: 'private'
    })
    expect(w.github.orgSecretAccess(targetOf('dependabot-org:octo'), SECRET)).toEqual({
      visibility: 'all'
    })
    expect(w.github.secretValue(targetOf('dependabot-org:octo'), SECRET)).toBe(newKey.value)
    expect(destinationStatuses(outcome.run)['org:octo']).toBe('created')
  }, 60_000)

  it('warns when a narrower secret of the workflow’s repository shadows an org destination', async () => {
    const w = world()
    seedEveryKind(w, {})
    // octo/app (GITHUB_REPOSITORY) has its own HIVE_API_KEY, and repo:octo/app is not listed.
    const outcome = await act(w, w.inputs({ destinations: 'org:octo' }))
    expectSucceededWithOneNewKey(outcome)
    expect(outcome.run.stdout).toMatch(
      /::warning::org:octo: workflows of octo\/app read HIVE_API_KEY from repository octo\/app instead/
    )
    expect(outcome.run.stdout).toMatch(
      /::warning::org:octo: workflows of octo\/app read HIVE_API_KEY from environment "production" of octo\/app instead/
    )
    // The job summary lists them too, among its warnings.
    expect(outcome.run.summary).toMatch(/Warnings[\s\S]*workflows of octo\/app read HIVE_API_KEY/)
  }, 60_000)
})

describe('an environment whose name holds "/" (issue 21, item 6)', () => {
  const EU = targetOf('env:octo/app/production/eu')
  const ENCODED = '/repos/octo/app/environments/production%2Feu/secrets'
  const THREE = 'repo:octo/app\nenv:octo/app/production\nenv:octo/app/production/eu'

  function seedEu(w: World) {
    w.github.addEnvironment('octo/app', 'production/eu')
    w.github.setSecretPlain(EU, SECRET, w.ci.value)
  }

  it('env:octo/app/production/eu writes the environment production/eu through its encoded path', async () => {
    const w = world()
    seedEu(w)
    const outcome = await act(w, w.inputs({ destinations: THREE }))
    const newKey = expectSucceededWithOneNewKey(outcome)

    expect(w.github.secretValue(EU, SECRET)).toBe(newKey.value)
    expect(w.github.secretWrites(EU)).toBe(1)
    expectDestinationsHoldLiveKeys(w, [...targets(THREE.split('\n'))])
    expect(destinationStatuses(outcome.run)['env:octo/app/production/eu']).toBe('updated')
    // One path segment, "/" encoded: the public key, the metadata, the write, the read-back.
    const eu = w.github.requests.filter(r => r.path.startsWith(ENCODED))
    expect(eu.map(r => `${r.method} ${r.path} ${r.status}`)).toEqual(
      expect.arrayContaining([
        `GET ${ENCODED}/public-key 200`,
        `GET ${ENCODED}/${SECRET} 200`,
        `PUT ${ENCODED}/${SECRET} 204`
      ])
    )
    // Nothing went to a path with a raw "/" in the name (the emulator answers that 404).
    expect(w.github.requests.filter(r => r.path.includes('/production/eu'))).toEqual([])
    expect(w.github.requests.filter(r => r.status === 404 && r.method !== 'GET')).toEqual([])
  }, 60_000)

  it('the shadowing check lists production/eu and advises adding it as a destination', async () => {
    const w = world()
    seedEu(w)
    const outcome = await act(
      w,
      w.inputs({ destinations: 'repo:octo/app\nenv:octo/app/production' })
    )
    expectSucceededWithOneNewKey(outcome)
    expect(outcome.run.stdout).toContain(
      '::warning::repo:octo/app: workflows of octo/app read HIVE_API_KEY from environment ' +
        '"production/eu" of octo/app instead (a narrower secret of the same name wins), so they ' +
        'will not see the rotated key there. Add env:octo/app/production/eu to destinations, or ' +
        'delete that secret.'
    )
    expect(w.github.requests.map(r => `${r.method} ${r.path} ${r.status}`)).toContain(
      `GET ${ENCODED}/${SECRET} 200`
    )
    // Not written: it was not a destination; it still holds the old key.
    expect(w.github.secretValue(EU, SECRET)).toBe(w.ci.value)
  }, 60_000)
})

describe('refusals name the cause, before anything changes', () => {
  it.each([
    ['org:octo', 'organization permission "Secrets: read and write"', 'admin:org'],
    ['dependabot:octo/app', 'repository permission "Dependabot secrets: read and write"', 'repo'],
    [
      'dependabot-org:octo',
      'organization permission "Dependabot secrets: read and write"',
      'admin:org'
    ],
    ['codespaces:octo/app', 'repository permission "Codespaces secrets: read and write"', 'repo'],
    [
      'codespaces-org:octo',
      'organization permission "Codespaces secrets: read and write"',
      'admin:org'
    ]
  ])(
    '403 at %s names the permission it needs',
    async (label, fine, classic) => {
      const w = world()
      seedEveryKind(w, {})
      w.github.refuse(targetOf(label), { status: 403, on: 'both' })
      const outcome = await expectRefusedBeforeAnyChange(
        w,
        w.inputs({ destinations: `repo:octo/app\n${label}` })
      )
      const text = errorText(outcome.run)
      expect(text).toContain(`${label}: GitHub answered 403 reading the public key of`)
      expect(text).toContain(`it needs the ${fine}`)
      expect(text).toContain(`or the "${classic}" scope (classic token)`)
      expect(text).toContain('GitHub says it accepts:')
    },
    30_000
  )

  it('404 says the target does not exist or the token cannot see it', async () => {
    const w = world()
    const outcome = await expectRefusedBeforeAnyChange(
      w,
      w.inputs({ destinations: 'repo:octo/app\norg:octo-typo\ndependabot:octo/ap' })
    )
    const text = errorText(outcome.run)
    expect(text).toContain("2 of 3 destination(s) can't be written")
    for (const label of ['org:octo-typo', 'dependabot:octo/ap']) {
      expect(text).toMatch(
        new RegExp(`${label}: GitHub answered 404 .*It does not exist, or the token cannot see it`)
      )
    }
  }, 30_000)

  it('a missing permission to read an org secret’s visibility stops the run too', async () => {
    const w = world()
    seedEveryKind(w, { 'org:octo': { visibility: 'selected' } })
    w.github.addFault({
      method: 'GET',
      path: `/orgs/octo/actions/secrets/${SECRET}/repositories`,
      status: 403,
      headers: { 'X-Accepted-GitHub-Permissions': 'organization_secrets=read' }
    })
    const outcome = await expectRefusedBeforeAnyChange(
      w,
      w.inputs({ destinations: 'repo:octo/app\norg:octo' })
    )
    expect(errorText(outcome.run)).toContain(
      `org:octo: GitHub answered 403 listing the repositories that may read ${SECRET} in organization octo`
    )
  }, 30_000)
})

describe('GitHub’s limits and GitHub Enterprise Server', () => {
  it('waits out a secondary rate limit and finishes the rotation', async () => {
    const w = world()
    w.github.secondaryRateLimit({ times: 1, retryAfterSeconds: 1, on: 'write' })
    const outcome = await act(w, w.inputs())
    const newKey = expectSucceededWithOneNewKey(outcome)
    expect(outcome.run.stdout).toMatch(
      /::warning::GitHub secondary rate limit on PUT .*: waiting 1 s, then trying again/
    )
    // The first write was limited, sent again after the wait, and the second followed.
    expect(puts(w).map(r => r.status)).toEqual([403, 204, 204])
    expectDestinationsHoldLiveKeys(w)
    expect(w.github.secretValue(targetOf('repo:octo/app'), SECRET)).toBe(newKey.value)
  }, 60_000)

  it('works against GitHub Enterprise Server’s /api/v3, and refuses Codespaces there', async () => {
    const w = await startWorld({}, { basePath: '/api/v3' })
    try {
      expect(w.env.GITHUB_API_URL).toMatch(/\/api\/v3$/)
      w.github.addOrg('octo')
      const outcome = await act(w, w.inputs({ destinations: 'repo:octo/app\norg:octo' }))
      const newKey = expectSucceededWithOneNewKey(outcome)
      expect(w.github.secretValue(targetOf('org:octo'), SECRET)).toBe(newKey.value)
      expect(w.github.requests.every(r => !r.path.startsWith('(outside'))).toBe(true)

      const refused = await act(w, w.inputs({ destinations: 'codespaces:octo/app' }))
      expect(refused.run.code).toBe(1)
      expect(errorText(refused.run)).toContain(
        'destinations: "codespaces:octo/app": GitHub Enterprise Server (GITHUB_API_URL'
      )
    } finally {
      await w.stop()
    }
  }, 60_000)
})

/** Does a request path belong to the destination of this label? */
function sameKind(path: string, label: string): boolean {
  const t = targetOf(label)
  const service = t.service ?? 'actions'
  if (t.environment) return path.includes(`/environments/${t.environment}/`)
  if (t.repo === undefined) return path.startsWith(`/orgs/${t.owner}/${service}/`)
  return path.startsWith(`/repos/${t.owner}/${t.repo}/${service}/`)
}
