import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { GitHubSecretStore, type StoreOptions } from '../../src/github/store.js'
import { createGitHubClient } from '../../src/github/octokit.js'
import { parseDestination, type Destination } from '../../src/github/destinations.js'
import { DestinationError } from '../../src/rotation/ports.js'
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
  const client = createGitHubClient({
    token,
    baseUrl: github.url,
    warn: m => warnings.push(m),
    debug: () => undefined,
    retryAfterBaseValue: 1
  })
  return new GitHubSecretStore(
    { credential: 'github-token', forDestination: () => Promise.resolve(client) },
    {
      secretName: 'HIVE_API_KEY',
      destinations: [],
      warn: m => warnings.push(m),
      debug: () => undefined,
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
    expect(e.message).toContain('repository permission "Secrets: write"')
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
      'organization permission "Secrets: write"',
      'admin:org',
      'organization_secrets=read'
    ],
    [
      'dependabot:octo/app',
      'repository permission "Dependabot secrets: write"',
      'repo',
      'dependabot_secrets=read'
    ],
    [
      'dependabot-org:acme',
      'organization permission "Dependabot secrets: write"',
      'admin:org',
      'organization_dependabot_secrets=read'
    ],
    [
      'codespaces:octo/app',
      'repository permission "Codespaces secrets: write"',
      'repo',
      'codespaces_secrets=read'
    ],
    [
      'codespaces-org:acme',
      'organization permission "Codespaces secrets: write"',
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
