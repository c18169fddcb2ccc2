import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { GitHubSecretStore } from '../../src/github/store.js'
import { createGitHubClient } from '../../src/github/octokit.js'
import { parseDestination, type Destination } from '../../src/github/destinations.js'
import { DestinationError } from '../../src/rotation/ports.js'
import { GitHubEmulator } from '../emulators/github.js'

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

function store(token = TOKEN) {
  return new GitHubSecretStore(
    createGitHubClient({
      token,
      baseUrl: github.url,
      warn: m => warnings.push(m),
      debug: () => undefined,
      retryAfterBaseValue: 1
    })
  )
}

function destination(text: string): Destination {
  const d = parseDestination(text)
  if ('problem' in d) throw new Error(d.problem)
  return d
}

async function failure(promise: Promise<unknown>): Promise<DestinationError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(DestinationError)
    return error as DestinationError
  }
  throw new Error('expected a DestinationError')
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
    const s = store()
    const prepared = await s.prepare(destination('repo:octo/app'))
    github.rotateKey({ owner: 'octo', repo: 'app' })
    const e = await failure(s.write(prepared, 'HIVE_API_KEY', 'hv_value'))
    expect([e.status, e.definite]).toEqual([422, true])
    expect(github.secretValue({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY')).toBeUndefined()
  })

  it('retries a 5xx on the write, and reports it as not definite when it persists', async () => {
    const s = store()
    const prepared = await s.prepare(destination('repo:octo/app'))
    github.addFault({ method: 'PUT', path: /secrets\/HIVE_API_KEY$/, status: 502, times: 1 })
    expect(await s.write(prepared, 'HIVE_API_KEY', 'hv_after_retry')).toBe('created')
    expect(github.secretValue({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY')).toBe(
      'hv_after_retry'
    )

    github.addFault({
      method: 'PUT',
      path: /secrets\/HIVE_API_KEY$/,
      status: 503,
      times: 10
    })
    const e = await failure(s.write(prepared, 'HIVE_API_KEY', 'hv_never'))
    expect([e.status, e.definite]).toEqual([503, false])
    expect(e.message).toContain('It is not known whether a write landed')
  })

  it('waits out a secondary rate limit as GitHub asks, through the throttling plugin', async () => {
    const s = store()
    const prepared = await s.prepare(destination('repo:octo/app'))
    github.addFault({
      method: 'PUT',
      path: /secrets\/HIVE_API_KEY$/,
      status: 403,
      headers: { 'retry-after': '1' },
      body: JSON.stringify({
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes.',
        documentation_url: 'https://docs.github.com/rest',
        status: '403'
      })
    })
    expect(await s.write(prepared, 'HIVE_API_KEY', 'hv_after_limit')).toBe('created')
    expect(warnings.join('\n')).toMatch(/secondary rate limit on PUT .*: waiting 1 s/)
  })

  it('waits for the primary rate limit to reset', async () => {
    const s = store()
    const prepared = await s.prepare(destination('repo:octo/app'))
    github.addFault({
      method: 'PUT',
      path: /secrets\/HIVE_API_KEY$/,
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
    const s = store()
    const prepared = await s.prepare(destination('repo:octo/app'))
    github.addFault({
      method: 'PUT',
      path: /secrets\/HIVE_API_KEY$/,
      status: 403,
      times: 10,
      headers: { 'retry-after': '1' },
      body: JSON.stringify({ message: 'You have exceeded a secondary rate limit.', status: '403' })
    })
    const e = await failure(s.write(prepared, 'HIVE_API_KEY', 'hv_never'))
    expect(e.definite).toBe(true)
    expect(e.message).toContain('GitHub is rate-limiting the token')
    expect(e.message).not.toContain('needs the')
    expect(github.secretValue({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY')).toBeUndefined()
  })
})
