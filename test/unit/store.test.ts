import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  GitHubSecretStore,
  PAGE_LIMIT,
  READ_BACK_RETRY_MS,
  sameSecondWait,
  type StoreOptions
} from '../../src/github/store.js'
import {
  createGitHubClient,
  GitHubGuardError,
  guardedFetch,
  MAX_RATE_LIMIT_WAIT_SECONDS
} from '../../src/github/octokit.js'
import { parseDestination, type Destination } from '../../src/github/destinations.js'
import { DestinationError, UnconfirmedWrite } from '../../src/rotation/ports.js'
import { GitHubEmulator, targetOf, type GitHubFault } from '../emulators/github.js'
import { rejection } from '../support/rejection.js'

const TOKEN = 'github_pat_store_test'
const ACTIONS_TOKEN = 'ghs_workflow_token'
let github: GitHubEmulator
const warnings: string[] = []

beforeEach(async () => {
  github = new GitHubEmulator()
  await github.start()
  github.addToken(TOKEN)
  github.addToken(ACTIONS_TOKEN, { actionsToken: true })
  github.addRepo('octo/app')
  github.addEnvironment('octo/app', 'prod/eu')
  warnings.length = 0
})
afterEach(async () => {
  await github.stop()
})

function store(token = TOKEN, options: Partial<StoreOptions> = {}) {
  return storeOn(github, options, token)
}

/** A store over `emu`, as main.ts builds it (both plugins), with Retry-After in milliseconds. */
function storeOn(emu: GitHubEmulator, options: Partial<StoreOptions> = {}, token = TOKEN) {
  const client = createGitHubClient({
    token,
    baseUrl: emu.url,
    warn: m => warnings.push(m),
    debug: () => undefined,
    retryAfterBaseValue: 1,
    // No one-second spacing of writes (the action's default): test-hooks.test.ts tests it.
    writeSpacingMs: 0
  })
  return new GitHubSecretStore(
    { credential: 'github-token', forDestination: () => Promise.resolve(client) },
    {
      secretName: 'HIVE_API_KEY',
      destinations: [],
      warn: m => warnings.push(m),
      debug: () => undefined,
      // The second read-back's wait is not slept (a test of a wait passes its own sleep).
      sleep: async () => undefined,
      ...options
    }
  )
}

function destination(text: string): Destination {
  const d = parseDestination(text)
  if ('problem' in d) throw new Error(d.problem)
  return d
}

const failure = (promise: Promise<unknown>) => rejection(promise, DestinationError)

/** A store that has read the public key of repo:octo/app, and what it read, ready to write. */
async function preparedRepo() {
  const s = store()
  return { s, prepared: await s.prepare(destination('repo:octo/app')) }
}

/** The next `fault.times` writes of HIVE_API_KEY (default one) answer as `fault` says. */
function failWrites(fault: Omit<GitHubFault, 'method' | 'path'>) {
  github.addFault({ method: 'PUT', path: /secrets\/HIVE_API_KEY$/, ...fault })
}

/** GitHub's answer over its secondary rate limit: 403, Retry-After 1 s, `message`. */
function secondaryRateLimit(message: string) {
  const body = { message, documentation_url: 'https://docs.github.com/rest', status: '403' }
  return { status: 403, headers: { 'retry-after': '1' }, body: JSON.stringify(body) }
}

describe('GitHubSecretStore', () => {
  it('seals with each destination’s own key, so each secret opens to the value', async () => {
    const s = store()
    const repo = await s.prepare(destination('repo:octo/app'))
    const env = await s.prepare(destination('env:octo/app/prod/eu'))
    expect(repo.publicKeyId).not.toBe(env.publicKeyId)
    expect(await s.write(repo, 'HIVE_API_KEY', 'hv_value_1')).toBe('created')
    expect(await s.write(env, 'HIVE_API_KEY', 'hv_value_1')).toBe('created')
    // A second write of the same run (a canary's rollback) is confirmed against the first one's
    // updated_at: GitHub's clock moves on a second first, as it would while a canary runs.
    ;(github as unknown as { now: () => Date }).now = () => new Date(Date.now() + 1_500)
    expect(await s.write(env, 'HIVE_API_KEY', 'hv_value_2')).toBe('updated')
    expect(github.secretValue({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY')).toBe('hv_value_1')
    expect(
      github.secretValue({ owner: 'octo', repo: 'app', environment: 'prod/eu' }, 'HIVE_API_KEY')
    ).toBe('hv_value_2')
    // the environment name is one path segment, its "/" encoded
    expect(github.requests.map(r => r.path)).toContain(
      '/repos/octo/app/environments/prod%2Feu/secrets/public-key'
    )
  })

  it('explains a 403 with the permission the token needs and what GitHub accepts', async () => {
    github.refuse({ owner: 'octo', repo: 'app' }, { status: 403, on: 'both' })
    const e = await failure(store().prepare(destination('repo:octo/app')))
    expect(e.definite).toBe(true)
    expect(e.message).toMatch(
      /^GitHub answered 403 reading the public key of repository octo\/app \(repo:octo\/app\): Resource not accessible/
    )
    expect(e.message).toContain('repository permission "Secrets: read and write"')
    expect(e.message).toContain('"repo" scope (classic token)')
    expect(e.message).toContain('GitHub says it accepts: secrets=')
    // a personal access token is not told about GITHUB_TOKEN
    expect(e.message).not.toContain('GITHUB_TOKEN')
  })

  it('says that the workflow’s GITHUB_TOKEN cannot write secrets', async () => {
    const e = await failure(store(ACTIONS_TOKEN).prepare(destination('repo:octo/app')))
    expect(e.status).toBe(403)
    expect(e.message).toContain('Resource not accessible by integration')
    expect(e.message).toContain('GITHUB_TOKEN can never write secrets: if that is what')
  })

  it('explains a 404 as missing or invisible to the token', async () => {
    const e = await failure(store().prepare(destination('repo:octo/nope')))
    expect(e.message).toMatch(/answered 404 .*It does not exist, or the token cannot see it/)
  })

  it('explains a bad token', async () => {
    const e = await failure(store('github_pat_wrong').prepare(destination('repo:octo/app')))
    expect(e.message).toContain('github-token is invalid or expired')
  })

  it('refuses a write sealed for a public key that has since changed (definite)', async () => {
    const { s, prepared } = await preparedRepo()
    github.rotateKey({ owner: 'octo', repo: 'app' })
    const e = await failure(s.write(prepared, 'HIVE_API_KEY', 'hv_value'))
    expect([e.status, e.definite]).toEqual([422, true])
    expect(github.secretValue({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY')).toBeUndefined()
  })

  it('retries a 5xx on the write, and reports it as not definite when it persists', async () => {
    const { s, prepared } = await preparedRepo()
    failWrites({ status: 502 })
    expect(await s.write(prepared, 'HIVE_API_KEY', 'hv_after_retry')).toBe('created')
    expect(github.secretValue({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY')).toBe(
      'hv_after_retry'
    )

    failWrites({ status: 503, times: 10 })
    const e = await failure(s.write(prepared, 'HIVE_API_KEY', 'hv_never'))
    expect([e.status, e.definite]).toEqual([503, false])
    expect(e.message).toContain('It is not known whether a write landed')
  })

  it('waits out a secondary rate limit as GitHub asks, through the throttling plugin', async () => {
    const { s, prepared } = await preparedRepo()
    failWrites(
      secondaryRateLimit('You have exceeded a secondary rate limit. Please wait a few minutes.')
    )
    expect(await s.write(prepared, 'HIVE_API_KEY', 'hv_after_limit')).toBe('created')
    expect(warnings.join('\n')).toMatch(/secondary rate limit on PUT .*: waiting 1 s/)
  })

  it('waits for the primary rate limit to reset', async () => {
    const { s, prepared } = await preparedRepo()
    failWrites({
      status: 403,
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000))
      },
      body: JSON.stringify({ message: 'API rate limit exceeded', status: '403' })
    })
    expect(await s.write(prepared, 'HIVE_API_KEY', 'hv_after_reset')).toBe('created')
    expect(warnings.join('\n')).toMatch(/GitHub rate limit on PUT/)
  })

  it('gives up on a rate limit that does not lift, saying so rather than blaming permissions', async () => {
    const { s, prepared } = await preparedRepo()
    failWrites({ ...secondaryRateLimit('You have exceeded a secondary rate limit.'), times: 10 })
    const e = await failure(s.write(prepared, 'HIVE_API_KEY', 'hv_never'))
    expect(e.definite).toBe(true)
    expect(e.message).toContain('GitHub is rate-limiting the token')
    expect(e.message).not.toContain('needs the')
    expect(github.secretValue({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY')).toBeUndefined()
  })
})

describe('GitHubSecretStore: every kind, org visibility, shadowing', () => {
  const value = 'hv_kinds_value'

  beforeEach(() => {
    github.addOrg('acme')
    github.addRepo('acme/web')
  })

  it.each([
    'org:acme',
    'dependabot:octo/app',
    'dependabot-org:acme',
    'codespaces:octo/app',
    'codespaces-org:acme'
  ])('writes %s with its own public key, so the secret opens there', async label => {
    const s = store()
    const prepared = await s.prepare(destination(label))
    const target = targetOf(label)
    expect(prepared.publicKeyId).toBe(github.publicKey(target).key_id)
    expect(await s.write(prepared, 'HIVE_API_KEY', value)).toBe('created')
    expect(github.secretValue(target, 'HIVE_API_KEY')).toBe(value)
    // No other kind received it: each has its own key pair and its own endpoint.
    for (const other of ['repo:octo/app', 'dependabot:octo/app', 'codespaces:octo/app']) {
      if (other !== label)
        expect(github.secretValue(targetOf(other), 'HIVE_API_KEY')).toBe(undefined)
    }
  })

  it.each(['org:acme', 'dependabot-org:acme', 'codespaces-org:acme'])(
    'keeps the visibility of an existing %s secret: all, private and selected',
    async label => {
      const target = targetOf(label)
      const web = github.addRepo('acme/api').id
      for (const access of [
        { visibility: 'all' as const },
        { visibility: 'private' as const },
        { visibility: 'selected' as const, selectedRepositoryIds: [web] }
      ]) {
        github.setSecretPlain(target, 'HIVE_API_KEY', 'hv_old', access)
        const s = store()
        const prepared = await s.prepare(destination(label))
        expect(await s.write(prepared, 'HIVE_API_KEY', value)).toBe('updated')
        expect(github.orgSecretAccess(target, 'HIVE_API_KEY')).toEqual(access)
        expect(github.secretValue(target, 'HIVE_API_KEY')).toBe(value)
      }
    }
  )

  it('keeps all 250 selected repositories, read 100 a page, as integers', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => github.addRepo(`acme/r${i}`).id)
    const target = targetOf('org:acme')
    github.setSecretPlain(target, 'HIVE_API_KEY', 'hv_old', {
      visibility: 'selected',
      selectedRepositoryIds: ids
    })
    const s = store()
    const prepared = await s.prepare(destination('org:acme'))
    await s.write(prepared, 'HIVE_API_KEY', value)
    expect(github.orgSecretAccess(target, 'HIVE_API_KEY')).toEqual({
      visibility: 'selected',
      selectedRepositoryIds: ids
    })
    const pages = github.requests.filter(r => r.path.endsWith('/HIVE_API_KEY/repositories'))
    expect(pages.map(r => new URLSearchParams(r.query).get('page') ?? '1')).toEqual(['1', '2', '3'])
    expect(pages.every(r => new URLSearchParams(r.query).get('per_page') === '100')).toBe(true)
    const put = github.requests.find(r => r.method === 'PUT')
    expect((put?.body as { selected_repository_ids: unknown[] }).selected_repository_ids).toEqual(
      ids
    )
  })

  it('creates a new org secret private, or with the visibility the destination names', async () => {
    const s = store()
    await s.write(await s.prepare(destination('org:acme')), 'HIVE_API_KEY', value)
    expect(github.orgSecretAccess(targetOf('org:acme'), 'HIVE_API_KEY')).toEqual({
      visibility: 'private'
    })
    const all = destination('dependabot-org:acme?visibility=all')
    await s.write(await s.prepare(all), 'HIVE_API_KEY', value)
    expect(github.orgSecretAccess(targetOf('dependabot-org:acme'), 'HIVE_API_KEY')).toEqual({
      visibility: 'all'
    })
  })

  it('keeps an existing secret’s visibility over ?visibility=, and says so', async () => {
    github.setSecretPlain(targetOf('org:acme'), 'HIVE_API_KEY', 'hv_old', { visibility: 'private' })
    const s = store()
    await s.write(await s.prepare(destination('org:acme?visibility=all')), 'HIVE_API_KEY', value)
    expect(github.orgSecretAccess(targetOf('org:acme'), 'HIVE_API_KEY')?.visibility).toBe('private')
    expect(warnings).toEqual([
      expect.stringMatching(/^org:acme: HIVE_API_KEY exists with visibility private; it keeps it/)
    ])
  })

  it.each([
    [
      'org:acme',
      'organization permission "Secrets: read and write"',
      'admin:org',
      'organization_secrets=read'
    ],
    [
      'dependabot:octo/app',
      'repository permission "Dependabot secrets: read and write"',
      'repo',
      'dependabot_secrets=read'
    ],
    [
      'dependabot-org:acme',
      'organization permission "Dependabot secrets: read and write"',
      'admin:org',
      'organization_dependabot_secrets=read'
    ],
    [
      'codespaces:octo/app',
      'repository permission "Codespaces secrets: read and write"',
      'repo',
      'codespaces_secrets=read'
    ],
    [
      'codespaces-org:acme',
      'organization permission "Codespaces secrets: read and write"',
      'admin:org',
      'organization_codespaces_secrets=read'
    ]
  ])('names what %s needs when GitHub refuses with 403', async (label, fine, classic, header) => {
    github.refuse(targetOf(label), { status: 403, on: 'read' })
    const e = await failure(store().prepare(destination(label)))
    expect(e.message).toContain(`GitHub answered 403 reading the public key of`)
    expect(e.message).toContain(`(${label})`)
    expect(e.message).toContain(`needs the ${fine}`)
    expect(e.message).toContain(`or the "${classic}" scope (classic token)`)
    expect(e.message).toContain(`GitHub says it accepts: ${header}`)
  })

  it('says that an org that does not exist, or is hidden from the token, answers 404', async () => {
    const e = await failure(store().prepare(destination('org:nowhere')))
    expect(e.message).toMatch(
      /^GitHub answered 404 reading the public key of organization nowhere \(org:nowhere\): Not Found\. It does not exist, or the token cannot see it/
    )
  })

  it('warns when a narrower secret of the workflow’s repository shadows a destination', async () => {
    github.addEnvironment('acme/web', 'prod')
    github.addEnvironment('acme/web', 'stage')
    github.setSecretPlain({ owner: 'acme', repo: 'web' }, 'HIVE_API_KEY', 'hv_old')
    github.setSecretPlain({ owner: 'acme', repo: 'web', environment: 'prod' }, 'HIVE_API_KEY', 'x')
    github.setSecretPlain(
      { owner: 'acme', repo: 'web', service: 'dependabot' },
      'HIVE_API_KEY',
      'x'
    )
    const destinations = ['org:acme', 'env:acme/web/stage', 'dependabot-org:acme'].map(destination)
    const s = store(TOKEN, { destinations, workflowRepository: 'acme/web' })
    for (const d of destinations) await s.prepare(d)
    expect(warnings.sort()).toEqual([
      expect.stringMatching(
        /^dependabot-org:acme: workflows of acme\/web read HIVE_API_KEY from Dependabot secrets of repository acme\/web instead .* Add dependabot:acme\/web to destinations, or delete that secret\.$/
      ),
      expect.stringMatching(
        /^org:acme: workflows of acme\/web read HIVE_API_KEY from environment "prod" of acme\/web instead/
      ),
      expect.stringMatching(
        /^org:acme: workflows of acme\/web read HIVE_API_KEY from repository acme\/web instead/
      )
    ])
    // The environments were listed once for the whole run.
    expect(github.requests.filter(r => r.path === '/repos/acme/web/environments')).toHaveLength(1)
  })

  it('checks an environment whose name holds "/" through its encoded path (issue 21, item 6)', async () => {
    // octo/app has the environment prod/eu (beforeEach); its HIVE_API_KEY shadows the repository's.
    github.setSecretPlain(
      { owner: 'octo', repo: 'app', environment: 'prod/eu' },
      'HIVE_API_KEY',
      'x'
    )
    const repo = destination('repo:octo/app')
    const prepared = await store(TOKEN, {
      destinations: [repo],
      workflowRepository: 'octo/app'
    }).prepare(repo)
    await prepared.pending
    expect(warnings).toEqual([
      expect.stringMatching(
        /^repo:octo\/app: workflows of octo\/app read HIVE_API_KEY from environment "prod\/eu" of octo\/app instead .* Add env:octo\/app\/prod\/eu to destinations, or delete that secret\.$/
      )
    ])
    const paths = github.requests.map(r => `${r.status} ${r.path}`)
    expect(paths).toContain('200 /repos/octo/app/environments')
    expect(paths).toContain('200 /repos/octo/app/environments/prod%2Feu/secrets/HIVE_API_KEY')
    expect(github.requests.filter(r => r.path.includes('/prod/eu'))).toEqual([])

    // Listed as a destination (the advice taken), it shadows nothing.
    warnings.length = 0
    const both = [repo, destination('env:octo/app/prod/eu')]
    const s = store(TOKEN, { destinations: both, workflowRepository: 'octo/app' })
    for (const d of both) await (await s.prepare(d)).pending
    expect(warnings).toEqual([])
  })

  it('does not warn when the narrower secret is itself a destination, or belongs elsewhere', async () => {
    github.setSecretPlain({ owner: 'acme', repo: 'web' }, 'HIVE_API_KEY', 'hv_old')
    const destinations = ['org:acme', 'repo:acme/web'].map(destination)
    const s = store(TOKEN, { destinations, workflowRepository: 'acme/web' })
    for (const d of destinations) await s.prepare(d)
    const other = store(TOKEN, {
      destinations: [destination('org:acme')],
      workflowRepository: 'octo/app'
    })
    await other.prepare(destination('org:acme'))
    expect(warnings).toEqual([])
  })
})

describe('GitHubSecretStore: answers are checked before they are used', () => {
  const PUBLIC_KEY = '/repos/octo/app/actions/secrets/public-key'

  it.each([
    ['a key_id with a newline', { key_id: '1\n::warning::x', key: 'AAAA' }, 'key_id is not 1-64'],
    ['an endless key_id', { key_id: '1'.repeat(65), key: 'AAAA' }, 'key_id is not 1-64'],
    [
      'a key of 31 bytes',
      { key_id: '1', key: Buffer.alloc(31).toString('base64') },
      'key is not 32 bytes'
    ],
    [
      'a URL-safe key',
      { key_id: '1', key: Buffer.alloc(32, 0xfb).toString('base64url') },
      'key is not 32 bytes in standard base64'
    ],
    ['an array', [], 'the answer is not a JSON object']
  ])('a public key with %s is a protocol error that names the field', async (_what, body, says) => {
    github.addFault({ method: 'GET', path: PUBLIC_KEY, status: 200, body: JSON.stringify(body) })
    const e = await failure(store().prepare(destination('repo:octo/app')))
    expect(e.definite).toBe(true)
    expect(e.message).toContain(
      "GitHub's answer reading the public key of repository octo/app (repo:octo/app) is not " +
        `what GitHub sends: ${says}`
    )
    // The value itself is never quoted.
    expect(e.message).not.toContain('::warning')
    expect(e.message).not.toContain('1'.repeat(65))
  })

  it.each([
    ['an updated_at that is no timestamp', { updated_at: 'yesterday' }, 'updated_at is not'],
    ['a created_at of the wrong shape', { created_at: 1700000000 }, 'created_at is not'],
    ['another secret’s name', { name: 'OTHER' }, 'name is not HIVE_API_KEY'],
    ['a name with a newline', { name: 'HIVE_API_KEY\n' }, 'name is not a secret name']
  ])('secret metadata with %s is a protocol error', async (_what, change, says) => {
    github.setSecretPlain({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY', 'hv_old')
    const honest = github.secretMetadata({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY')
    github.addFault({
      method: 'GET',
      path: '/repos/octo/app/actions/secrets/HIVE_API_KEY',
      status: 200,
      body: JSON.stringify({ name: 'HIVE_API_KEY', ...honest, ...change })
    })
    const e = await failure(store().prepare(destination('repo:octo/app')))
    expect(e.definite).toBe(true)
    expect(e.message).toContain(`reading the metadata of HIVE_API_KEY in repository octo/app`)
    expect(e.message).toContain(`is not what GitHub sends: ${says}`)
  })

  it('an org secret with an unknown visibility, or a repository id that is no integer', async () => {
    github.addOrg('acme')
    const id = github.addRepo('acme/web').id
    const target = targetOf('org:acme')
    github.setSecretPlain(target, 'HIVE_API_KEY', 'hv_old', {
      visibility: 'selected',
      selectedRepositoryIds: [id]
    })
    const path = '/orgs/acme/actions/secrets/HIVE_API_KEY'
    const honest = { name: 'HIVE_API_KEY', ...github.secretMetadata(target, 'HIVE_API_KEY') }
    github.addFault({
      method: 'GET',
      path,
      status: 200,
      body: JSON.stringify({ ...honest, visibility: 'public' })
    })
    const visibility = await failure(store().prepare(destination('org:acme')))
    expect(visibility.message).toContain('visibility is not all, private or selected')

    github.addFault({
      method: 'GET',
      path: `${path}/repositories`,
      status: 200,
      body: JSON.stringify({ total_count: 1, repositories: [{ id: '1; DROP' }] })
    })
    const ids = await failure(store().prepare(destination('org:acme')))
    expect(ids.message).toContain('a repository id is not a positive integer')
    expect(ids.definite).toBe(true)
  })
})

describe('GitHubSecretStore: the preflight says whether the secret exists', () => {
  it('reads the updated_at of a secret that exists', async () => {
    github.setSecretPlain({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY', 'hv_old')
    const { prepared } = await preparedRepo()
    expect(prepared.secret).toEqual({
      exists: true,
      updatedAt: github.secretMetadata({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY')?.updated_at
    })
  })

  it('lists the names the destination holds instead, sorted, when it does not exist', async () => {
    for (const name of ['APHIDS_API_KEY', 'zeta', 'OTHER']) {
      github.setSecretPlain({ owner: 'octo', repo: 'app' }, name, 'x')
    }
    const { prepared } = await preparedRepo()
    expect(prepared.secret).toEqual({
      exists: false,
      otherNames: ['APHIDS_API_KEY', 'OTHER', 'ZETA'],
      total: 3
    })
  })

  it('still prepares when the names cannot be listed (they only make a message better)', async () => {
    github.addFault({ method: 'GET', path: '/repos/octo/app/actions/secrets', status: 403 })
    const { prepared } = await preparedRepo()
    expect(prepared.secret).toEqual({ exists: false })
  })
})

describe('GitHubSecretStore: a write counts when it shows', () => {
  const REPO = { owner: 'octo', repo: 'app' }

  it('a write that does not show is not confirmed, and not definite', async () => {
    github.setSecretPlain(REPO, 'HIVE_API_KEY', 'hv_old')
    const { s, prepared } = await preparedRepo()
    github.dropWrites()
    const e = await rejection(s.write(prepared, 'HIVE_API_KEY', 'hv_new'), UnconfirmedWrite)
    expect([e.definite, e.status]).toEqual([false, 204])
    expect(e.message).toMatch(
      /^GitHub answered 204 writing HIVE_API_KEY to repository octo\/app \(repo:octo\/app\), but reading it back shows no change \(its updated_at is still \S+Z, as before the write\)/
    )
    expect(github.secretValue(REPO, 'HIVE_API_KEY')).toBe('hv_old')
  })

  it('a created secret that does not show is not confirmed either', async () => {
    const { s, prepared } = await preparedRepo()
    github.dropWrites()
    const e = await rejection(s.write(prepared, 'HIVE_API_KEY', 'hv_new'), UnconfirmedWrite)
    expect(e.message).toContain('reading it back shows no change (it does not exist)')
  })

  it('a read-back that lags is read once more after a short wait', async () => {
    github.setSecretPlain(REPO, 'HIVE_API_KEY', 'hv_old')
    const slept: number[] = []
    const s = store(TOKEN, { sleep: async ms => void slept.push(ms) })
    const prepared = await s.prepare(destination('repo:octo/app'))
    // The first read-back answers the metadata as it was before the write.
    const before = { name: 'HIVE_API_KEY', ...github.secretMetadata(REPO, 'HIVE_API_KEY') }
    github.addFault({
      method: 'GET',
      path: '/repos/octo/app/actions/secrets/HIVE_API_KEY',
      status: 200,
      body: JSON.stringify(before)
    })
    expect(await s.write(prepared, 'HIVE_API_KEY', 'hv_new')).toBe('updated')
    expect(slept).toEqual([READ_BACK_RETRY_MS])
    const reads = github.requests.filter(
      r => r.method === 'GET' && r.path === '/repos/octo/app/actions/secrets/HIVE_API_KEY'
    )
    expect(reads.map(r => r.status)).toEqual([200, 200, 200])
  })

  it('a secret written in the very second of the preflight: the PUT waits for the next second', async () => {
    // One clock for GitHub and for the store, moved only by the store's sleep.
    const start = Date.parse('2026-03-01T12:00:00.200Z')
    for (const waits of [true, false]) {
      let offset = 0
      const emu = new GitHubEmulator({ now: () => new Date(start + offset) })
      await emu.start()
      try {
        emu.addToken(TOKEN)
        emu.addRepo('octo/app')
        emu.setSecretPlain(REPO, 'HIVE_API_KEY', 'hv_old', undefined, {
          updatedAt: new Date(start)
        })
        const slept: number[] = []
        const s = storeOn(emu, {
          sleep: async ms => {
            slept.push(ms)
            if (waits) offset += ms
          },
          clock: () => offset
        })
        const prepared = await s.prepare(destination('repo:octo/app'))
        if (waits) {
          expect(await s.write(prepared, 'HIVE_API_KEY', 'hv_new')).toBe('updated')
          expect(slept[0]).toBe(1000)
          expect(emu.secretMetadata(REPO, 'HIVE_API_KEY')?.updated_at).toBe('2026-03-01T12:00:01Z')
        } else {
          // Had it not waited, the write would land in the same second and show no change: it
          // would not be taken for confirmed (the safe side), though it landed.
          const e = await rejection(s.write(prepared, 'HIVE_API_KEY', 'hv_new'), UnconfirmedWrite)
          expect(e.message).toContain('its updated_at is still 2026-03-01T12:00:00Z')
          expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBe('hv_new')
        }
      } finally {
        await emu.stop()
      }
    }
  })

  it.each([
    ['not existing', { exists: false } as const, NaN, 0, 0],
    ['written long before the read', { exists: true, updatedAt: '2026-03-01T11:00:00Z' }, 0, 0, 0],
    [
      'written in the second of the read',
      { exists: true, updatedAt: '2026-03-01T12:00:00Z' },
      0,
      0,
      1000
    ],
    ['… 400 ms later', { exists: true, updatedAt: '2026-03-01T12:00:00Z' }, 0, 400, 600],
    ['… without a Date header', { exists: true, updatedAt: '2026-03-01T12:00:00Z' }, NaN, 250, 750]
  ])('sameSecondWait: %s', (_what, secret, serverOffset, elapsed, wait) => {
    const serverDate = Date.parse('2026-03-01T12:00:00Z') + serverOffset
    const prepared = {
      destination: destination('repo:octo/app'),
      publicKeyId: '1',
      publicKey: 'k',
      secret,
      read: { at: 5_000, serverDate }
    }
    expect(sameSecondWait(prepared, 5_000 + elapsed)).toBe(wait)
  })
})

describe('GitHubSecretStore: lists are bounded and stay on the origin', () => {
  const REPOSITORIES = '/orgs/acme/actions/secrets/HIVE_API_KEY/repositories'

  beforeEach(() => {
    github.addOrg('acme')
    const id = github.addRepo('acme/web').id
    github.setSecretPlain(targetOf('org:acme'), 'HIVE_API_KEY', 'hv_old', {
      visibility: 'selected',
      selectedRepositoryIds: [id]
    })
  })

  it('refuses a next page on another origin without sending it, and does not retry', async () => {
    const other = new GitHubEmulator()
    await other.start()
    try {
      other.addToken(TOKEN)
      github.hostilePages({ path: REPOSITORIES, link: { url: `${other.url}${REPOSITORIES}` } })
      const e = await failure(store().prepare(destination('org:acme')))
      expect(e.definite).toBe(true)
      expect(e.message).toContain(`refused to send a request to ${other.url}`)
      expect(other.requests).toEqual([])
      expect(github.requests.filter(r => r.path === REPOSITORIES)).toHaveLength(1)
    } finally {
      await other.stop()
    }
  })

  it('stops a page that links to itself, and a list past the page limit', async () => {
    github.hostilePages({ path: REPOSITORIES, link: 'self' })
    const loop = await failure(store().prepare(destination('org:acme')))
    expect(loop.message).toContain('page 1 links back to a page already read (a loop)')

    github.clearFaults()
    const endless = new GitHubEmulator()
    await endless.start()
    try {
      endless.addToken(TOKEN)
      endless.addOrg('acme')
      endless.setSecretPlain(targetOf('org:acme'), 'HIVE_API_KEY', 'hv_old', {
        visibility: 'selected',
        selectedRepositoryIds: [endless.addRepo('acme/web').id]
      })
      endless.hostilePages({ path: REPOSITORIES, link: 'endless' })
      const e = await failure(storeOn(endless).prepare(destination('org:acme')))
      expect(e.message).toContain(`the list goes on past ${PAGE_LIMIT} pages`)
      expect(endless.requests.filter(r => r.path === REPOSITORIES)).toHaveLength(PAGE_LIMIT)
    } finally {
      await endless.stop()
    }
  })
})

describe('GitHub client: rate-limit waits are capped', () => {
  it('gives up at once on a retry-after longer than the cap, and waits one within it', async () => {
    const { s, prepared } = await preparedRepo()
    failWrites({
      status: 403,
      headers: { 'retry-after': String(MAX_RATE_LIMIT_WAIT_SECONDS + 1) },
      body: JSON.stringify({ message: 'You have exceeded a secondary rate limit.', status: '403' })
    })
    const e = await failure(s.write(prepared, 'HIVE_API_KEY', 'hv_never'))
    expect(e.definite).toBe(true)
    expect(e.message).toContain('GitHub is rate-limiting the token')
    expect(warnings.join('\n')).toContain(
      `GitHub asks to wait ${MAX_RATE_LIMIT_WAIT_SECONDS + 1} s, longer than the ` +
        `${MAX_RATE_LIMIT_WAIT_SECONDS} s this action waits; giving up`
    )
    expect(github.requests.filter(r => r.method === 'PUT')).toHaveLength(1)

    failWrites({
      status: 403,
      headers: { 'retry-after': String(MAX_RATE_LIMIT_WAIT_SECONDS) },
      body: JSON.stringify({ message: 'You have exceeded a secondary rate limit.', status: '403' })
    })
    expect(await s.write(prepared, 'HIVE_API_KEY', 'hv_after')).toBe('created')
  })
})

describe('guardedFetch', () => {
  const BASE = 'https://api.github.test'
  const answer =
    (body: ConstructorParameters<typeof Response>[0], init: ResponseInit = {}) =>
    async () =>
      new Response(body, init)

  it('refuses another origin before calling fetch at all', async () => {
    const sent: string[] = []
    const guarded = guardedFetch({
      baseUrl: `${BASE}/api/v3`,
      timeoutMs: 1000,
      maxBodyBytes: 100,
      fetch: async input => {
        sent.push(String(input))
        return new Response('{}')
      }
    })
    for (const url of [
      'https://evil.test/repos',
      'http://api.github.test/repos',
      'https://api.github.test:8443/repos',
      'not a url'
    ]) {
      const e = await rejection(guarded(url), GitHubGuardError)
      expect(e.sent).toBe(false)
    }
    expect(sent).toEqual([])
    await guarded(`${BASE}/api/v3/repos/o/r`)
    expect(sent).toEqual([`${BASE}/api/v3/repos/o/r`])
  })

  it('reads at most maxBodyBytes, streamed, and keeps status, headers and URL', async () => {
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(64))
      }
    })
    const big = guardedFetch({
      baseUrl: BASE,
      timeoutMs: 1000,
      maxBodyBytes: 1000,
      fetch: answer(endless)
    })
    const e = await rejection(big(`${BASE}/x`), GitHubGuardError)
    expect([e.sent, e.message]).toEqual([
      true,
      "GitHub's answer (200) is larger than 1000 bytes; it was not read"
    ])
    expect(pulled).toBeLessThan(40)

    const small = guardedFetch({
      baseUrl: BASE,
      timeoutMs: 1000,
      maxBodyBytes: 1000,
      fetch: answer('{"ok":true}', { status: 201, headers: { link: '<x>; rel="next"' } })
    })
    const response = await small(`${BASE}/y`)
    expect([response.status, response.headers.get('link'), response.url]).toEqual([
      201,
      '<x>; rel="next"',
      `${BASE}/y`
    ])
    expect(await response.json()).toEqual({ ok: true })
  })

  it('cuts a body that never ends at the deadline', async () => {
    const stalled = new ReadableStream<Uint8Array>({ start: c => c.enqueue(new Uint8Array(1)) })
    const guarded = guardedFetch({
      baseUrl: BASE,
      timeoutMs: 50,
      maxBodyBytes: 1000,
      fetch: async (_input, init) => {
        init?.signal?.addEventListener('abort', () => void stalled.cancel().catch(() => undefined))
        return new Response(stalled)
      }
    })
    await expect(guarded(`${BASE}/z`)).rejects.toThrow('GitHub timed out: no answer within 50 ms')
  })
})
