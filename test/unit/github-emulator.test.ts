/**
 * The GitHub secrets emulator, over real HTTP (fetch). The end-to-end tests trust it to accept
 * only what GitHub would accept and store only values that really open, so it is tested here on
 * its own: key pairs per destination, strict PUT validation, authentication, refusals, faults.
 */
import { sign, type KeyLike } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { seal } from '../../src/github/seal.js'
import {
  GitHubEmulator,
  targetOf,
  type GitHubRequestRecord,
  type SecretTarget
} from '../emulators/github.js'
import { fetchAnswer, type Answer } from '../support/fetch-answer.js'
import { rsaKeyPair } from '../support/rsa-keys.js'

const TOKEN = 'ghp_emulatorTestToken0000000000000000'
const ACTIONS_TOKEN = 'ghs_workflowToken000000000000000000'

const REPO: SecretTarget = { owner: 'acme', repo: 'widgets' }
const ENV: SecretTarget = { owner: 'acme', repo: 'widgets', environment: 'production' }
const SLASH_ENV: SecretTarget = { owner: 'acme', repo: 'widgets', environment: 'prod/eu' }

const REPO_SECRETS = '/repos/acme/widgets/actions/secrets'
const ENV_SECRETS = '/repos/acme/widgets/environments/production/secrets'
const SLASH_ENV_SECRETS = '/repos/acme/widgets/environments/prod%2Feu/secrets'

let emu: GitHubEmulator
let widgetsId = 0
/** The id of acme/widgets. */
const REPO_ID = () => widgetsId

beforeEach(async () => {
  emu = new GitHubEmulator()
  await emu.start()
  emu.addToken(TOKEN, { label: 'pat' })
  emu.addToken(ACTIONS_TOKEN, { actionsToken: true, label: 'GITHUB_TOKEN' })
  widgetsId = emu.addRepo('acme/widgets').id
  emu.addEnvironment('acme/widgets', 'production')
  emu.addEnvironment('acme/widgets', 'prod/eu')
})

afterEach(async () => {
  await emu.stop()
})

async function call(
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}
): Promise<Answer<Record<string, unknown>>> {
  const token = opts.token === undefined ? TOKEN : opts.token
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    ...(token === null ? {} : { authorization: `token ${token}` }),
    ...opts.headers
  }
  const body =
    opts.body === undefined
      ? undefined
      : typeof opts.body === 'string'
        ? opts.body
        : JSON.stringify(opts.body)
  // json is {} when the body is not JSON (204s, or a fault's raw body)
  return fetchAnswer(emu.url + path, { method, headers, body }, {})
}

/** Seal `value` for a destination's current key, as a correct client does. */
async function sealedFor(target: SecretTarget, value: string) {
  const { key_id, key } = emu.publicKey(target)
  return { encrypted_value: await seal(value, key), key_id }
}

describe('public keys', () => {
  it('gives every repository and environment its own key pair', async () => {
    const repo = await call('GET', `${REPO_SECRETS}/public-key`)
    const env = await call('GET', `${ENV_SECRETS}/public-key`)
    expect(repo.status).toBe(200)
    expect(env.status).toBe(200)
    expect(repo.json).toEqual(emu.publicKey(REPO))
    expect(env.json).toEqual(emu.publicKey(ENV))
    expect(repo.json.key).not.toBe(env.json.key)
    expect(repo.json.key_id).not.toBe(env.json.key_id)
    for (const k of [repo.json, env.json]) {
      expect(k.key_id).toMatch(/^[1-9]\d{17}$/)
      expect(k.key).toMatch(/^[A-Za-z0-9+/]{43}=$/) // 32 bytes, standard base64, padded
      expect(Buffer.from(k.key as string, 'base64')).toHaveLength(32)
    }
  })

  it('gives another repository another key pair', async () => {
    emu.addRepo('acme/gadgets')
    const other = await call('GET', '/repos/acme/gadgets/actions/secrets/public-key')
    expect(other.json.key).not.toBe(emu.publicKey(REPO).key)
  })

  it('decodes URL-encoded environment names (a "/" arrives as %2F)', async () => {
    const res = await call('GET', `${SLASH_ENV_SECRETS}/public-key`)
    expect(res.status).toBe(200)
    expect(res.json).toEqual(emu.publicKey(SLASH_ENV))
    expect(res.json.key).not.toBe(emu.publicKey(ENV).key)
  })
})

describe('writing a secret', () => {
  it('stores a value sealed for the right key: 201 when created, 204 when updated', async () => {
    const first = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, {
      body: await sealedFor(REPO, 'hv_first')
    })
    expect(first.status).toBe(201)
    expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBe('hv_first')

    const second = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, {
      body: await sealedFor(REPO, 'ключ-🔑-キー')
    })
    expect(second.status).toBe(204)
    expect(second.text).toBe('')
    expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBe('ключ-🔑-キー')
    expect(emu.secretWrites(REPO)).toBe(2)
    expect(emu.secretWrites(ENV)).toBe(0)
    expect(emu.secretWrites()).toBe(2)
  })

  it('stores names upper-case, and reads them back case-insensitively, never with a value', async () => {
    const put = await call('PUT', `${REPO_SECRETS}/hive_key`, {
      body: await sealedFor(REPO, 'v')
    })
    expect(put.status).toBe(201)
    expect(emu.secretValue(REPO, 'HIVE_KEY')).toBe('v')

    const got = await call('GET', `${REPO_SECRETS}/Hive_Key`)
    expect(got.status).toBe(200)
    expect(Object.keys(got.json).sort()).toEqual(['created_at', 'name', 'updated_at'])
    expect(got.json.name).toBe('HIVE_KEY')
    expect(got.json.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect((await call('GET', `${REPO_SECRETS}/NOPE`)).status).toBe(404)
  })

  it('stores an environment secret with the environment key, apart from the repository', async () => {
    const res = await call('PUT', `${ENV_SECRETS}/HIVE_API_KEY`, {
      body: await sealedFor(ENV, 'hv_env')
    })
    expect(res.status).toBe(201)
    expect(emu.secretValue(ENV, 'HIVE_API_KEY')).toBe('hv_env')
    expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBeUndefined()
    expect(emu.secretWrites(ENV)).toBe(1)
  })

  it('answers 404 to an environment name whose "/" is not encoded, as GitHub does', async () => {
    const raw = '/repos/acme/widgets/environments/prod/eu/secrets'
    for (const [method, path] of [
      ['GET', `${raw}/public-key`],
      ['GET', `${raw}/HIVE_API_KEY`],
      ['GET', raw],
      ['PUT', `${raw}/HIVE_API_KEY`]
    ]) {
      const res = await call(method, path, {
        body: method === 'PUT' ? await sealedFor(SLASH_ENV, 'hv_eu') : undefined
      })
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 })
    }
    expect(emu.secretValue(SLASH_ENV, 'HIVE_API_KEY')).toBeUndefined()
  })

  it('writes to an environment whose name holds a "/"', async () => {
    const res = await call('PUT', `${SLASH_ENV_SECRETS}/HIVE_API_KEY`, {
      body: await sealedFor(SLASH_ENV, 'hv_eu')
    })
    expect(res.status).toBe(201)
    expect(emu.secretValue(SLASH_ENV, 'HIVE_API_KEY')).toBe('hv_eu')
    expect(emu.secretValue(ENV, 'HIVE_API_KEY')).toBeUndefined()
  })

  it('refuses a box sealed for the REPOSITORY key sent to the ENVIRONMENT, storing nothing', async () => {
    const repoKey = emu.publicKey(REPO)
    // Even with the environment's key_id (the key_id check alone would not catch it).
    const body = {
      encrypted_value: await seal('hv_wrong', repoKey.key),
      key_id: emu.publicKey(ENV).key_id
    }
    const res = await call('PUT', `${ENV_SECRETS}/HIVE_API_KEY`, { body })
    expect(res.status).toBe(422)
    expect(res.json.message).toMatch(/could not be decrypted/)
    expect(res.json.status).toBe('422')
    expect(emu.secretValue(ENV, 'HIVE_API_KEY')).toBeUndefined()
    expect(emu.secretWrites()).toBe(0)
  })

  it('refuses a box sealed for the repository key with the repository key_id, too', async () => {
    const res = await call('PUT', `${ENV_SECRETS}/HIVE_API_KEY`, {
      body: await sealedFor(REPO, 'hv_wrong')
    })
    expect(res.status).toBe(422)
    expect(emu.secretValue(ENV, 'HIVE_API_KEY')).toBeUndefined()
  })

  it('keeps the old value when an update does not open', async () => {
    emu.setSecretPlain(REPO, 'HIVE_API_KEY', 'hv_old')
    const body = await sealedFor(REPO, 'hv_new')
    const box = Buffer.from(body.encrypted_value, 'base64')
    box[box.length - 1] ^= 1 // flip a bit of the MAC
    const res = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, {
      body: { ...body, encrypted_value: box.toString('base64') }
    })
    expect(res.status).toBe(422)
    expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBe('hv_old')
  })

  it('refuses plaintext dressed as base64', async () => {
    const fake = Buffer.from('x'.repeat(60)).toString('base64') // passes GitHub's pattern
    const res = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, {
      body: { encrypted_value: fake, key_id: emu.publicKey(REPO).key_id }
    })
    expect(res.status).toBe(422)
    expect(res.text).not.toContain(fake) // values are never echoed
    expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBeUndefined()
  })

  it('refuses URL-safe base64 and base64 without padding', async () => {
    // Find a box whose encoding holds '+' or '/' and padding, so both variants differ.
    let body = await sealedFor(REPO, 'hv_x')
    while (!/[+/]/.test(body.encrypted_value) || !body.encrypted_value.endsWith('=')) {
      body = await sealedFor(REPO, 'hv_x') // sealing is randomised: try again
    }
    const urlSafe = body.encrypted_value.replace(/\+/g, '-').replace(/\//g, '_')
    const unpadded = body.encrypted_value.replace(/=+$/, '')
    for (const encrypted_value of [urlSafe, urlSafe.replace(/=+$/, ''), unpadded]) {
      const res = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, {
        body: { ...body, encrypted_value }
      })
      expect(res.status).toBe(422)
    }
    expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBeUndefined()
    // The control: the standard encoding of the same box is accepted.
    expect((await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, { body })).status).toBe(201)
  })

  it('refuses a wrong key_id, and the previous key_id after a key rotation', async () => {
    const body = await sealedFor(REPO, 'hv_x')
    const wrong = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, {
      body: { ...body, key_id: '123456789012345678' }
    })
    expect(wrong.status).toBe(422)
    expect(wrong.json.message).toMatch(/key_id/)

    emu.rotateKey(REPO)
    const stale = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, { body })
    expect(stale.status).toBe(422)
    expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBeUndefined()
  })

  it("refuses a body missing key_id or encrypted_value, naming what's missing", async () => {
    const { encrypted_value, key_id } = await sealedFor(REPO, 'hv_x')
    const noKeyId = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, {
      body: { encrypted_value }
    })
    expect(noKeyId.status).toBe(422)
    expect(noKeyId.json.message).toMatch(/"key_id" wasn't supplied/)

    const noValue = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, { body: { key_id } })
    expect(noValue.status).toBe(422)
    expect(noValue.json.message).toMatch(/"encrypted_value" wasn't supplied/)
    expect(emu.secretWrites()).toBe(0)
  })

  it("validates against GitHub's published schema", async () => {
    const { encrypted_value } = await sealedFor(REPO, 'hv_x')
    const numericKeyId = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, {
      body: { encrypted_value, key_id: 42 }
    })
    expect(numericKeyId.status).toBe(422)
    expect(numericKeyId.json.message).toMatch(/\/key_id/)

    const notBase64 = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, {
      body: { encrypted_value: 'not base64!', key_id: emu.publicKey(REPO).key_id }
    })
    expect(notBase64.status).toBe(422)
    expect(notBase64.json.message).toMatch(/\/encrypted_value/)
    expect(notBase64.text).not.toContain('not base64!')

    const notJson = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, { body: '{nope' })
    expect(notJson.status).toBe(400)
    expect(notJson.json.message).toBe('Problems parsing JSON')
  })

  it.each([
    ['BAD-NAME', 'BAD-NAME'],
    ['a space', 'a%20space'],
    ['digit first', '1ABC'],
    ['GITHUB_ prefix', 'GITHUB_TOKEN'],
    ['github_ prefix, any case', 'github_thing'],
    ['non-ASCII', 'CL%C3%89']
  ])('refuses a bad secret name (%s)', async (_why, encodedName) => {
    const res = await call('PUT', `${REPO_SECRETS}/${encodedName}`, {
      body: await sealedFor(REPO, 'hv_x')
    })
    expect(res.status).toBe(422)
    expect(emu.secretWrites()).toBe(0)
  })

  it('accepts a name starting with an underscore', async () => {
    const res = await call('PUT', `${REPO_SECRETS}/_KEY`, { body: await sealedFor(REPO, 'v') })
    expect(res.status).toBe(201)
  })
})

describe('seeding and reading', () => {
  it('seeds secrets sealed with the destination key', async () => {
    emu.setSecretPlain(ENV, 'seeded', 'hv_seed')
    expect(emu.secretValue(ENV, 'SEEDED')).toBe('hv_seed')
    expect(emu.secretValue(REPO, 'SEEDED')).toBeUndefined()
    expect((await call('GET', `${ENV_SECRETS}/SEEDED`)).status).toBe(200)
    expect(emu.secretWrites()).toBe(0) // seeding is not a PUT
  })

  it('keeps a stored secret readable across a key rotation', () => {
    emu.setSecretPlain(REPO, 'K', 'before')
    emu.rotateKey(REPO)
    expect(emu.secretValue(REPO, 'K')).toBe('before')
  })

  it('throws for an unknown destination in its own API', () => {
    expect(() => emu.publicKey({ owner: 'acme', repo: 'nope' })).toThrow(/no such destination/)
    expect(() => emu.addEnvironment('acme/nope', 'x')).toThrow(/before its environments/)
  })

  it('answers GET /repos/{owner}/{repo}', async () => {
    const { id } = emu.addRepo('acme/gadgets')
    const res = await call('GET', '/repos/acme/gadgets')
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({
      id,
      name: 'gadgets',
      full_name: 'acme/gadgets',
      owner: { login: 'acme' }
    })
  })
})

describe('authentication and authorisation', () => {
  it('answers 401 Bad credentials to a missing or unknown token', async () => {
    for (const token of [null, 'ghp_unknown']) {
      const res = await call('GET', `${REPO_SECRETS}/public-key`, { token })
      expect(res.status).toBe(401)
      expect(res.json).toEqual({
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401'
      })
    }
  })

  it('with workflowTokens, takes an unknown ghs_ token as the workflow’s GITHUB_TOKEN (403), any other as unknown (401)', async () => {
    const other = new GitHubEmulator({ workflowTokens: true })
    await other.start()
    try {
      other.addRepo('acme/widgets')
      const get = (token: string) =>
        fetchAnswer<Record<string, unknown>>(
          `${other.url}${REPO_SECRETS}/public-key`,
          {
            headers: { authorization: `token ${token}` }
          },
          {}
        )
      const pasted = await get('ghs_pastedFromAWorkflow000000000000')
      expect(pasted.status).toBe(403)
      expect(pasted.json.message).toBe('Resource not accessible by integration')
      expect((await get('ghp_unknown')).status).toBe(401)
      expect(other.requests.map(r => `${r.status} ${r.token}`)).toEqual([
        '403 workflow GITHUB_TOKEN (ghs_…)',
        '401 (unknown)'
      ])
    } finally {
      await other.stop()
    }
    // Without the option (the default), GitHub's answer to a token it never issued: 401.
    const unknown = await call('GET', `${REPO_SECRETS}/public-key`, {
      token: 'ghs_pastedFromAWorkflow000000000000'
    })
    expect(unknown.status).toBe(401)
  })

  it('accepts the Bearer scheme', async () => {
    const res = await call('GET', `${REPO_SECRETS}/public-key`, {
      token: null,
      headers: { authorization: `Bearer ${TOKEN}` }
    })
    expect(res.status).toBe(200)
  })

  it("answers 403 to the workflow's GITHUB_TOKEN on every secrets endpoint", async () => {
    const body = await sealedFor(REPO, 'hv_x')
    for (const [method, path] of [
      ['PUT', `${REPO_SECRETS}/HIVE_API_KEY`],
      ['PUT', `${ENV_SECRETS}/HIVE_API_KEY`],
      ['GET', `${REPO_SECRETS}/public-key`],
      ['GET', `${ENV_SECRETS}/public-key`]
    ]) {
      const res = await call(method, path, {
        token: ACTIONS_TOKEN,
        body: method === 'PUT' ? body : undefined
      })
      expect(res.status).toBe(403)
      expect(res.json.message).toBe('Resource not accessible by integration')
      expect(res.headers.get('x-accepted-github-permissions')).toMatch(/^secrets=(read|write)/)
    }
    const put = await call('PUT', `${REPO_SECRETS}/K`, { token: ACTIONS_TOKEN, body })
    expect(put.headers.get('x-accepted-github-permissions')).toBe('secrets=write')
    expect(emu.secretWrites()).toBe(0)
    // It can still see the repository.
    expect((await call('GET', '/repos/acme/widgets', { token: ACTIONS_TOKEN })).status).toBe(200)
  })

  it('refuse(403) on writes: the PUT is refused with the permission header, reads work', async () => {
    emu.refuse(REPO, { status: 403 })
    expect((await call('GET', `${REPO_SECRETS}/public-key`)).status).toBe(200)
    const res = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, {
      body: await sealedFor(REPO, 'hv_x')
    })
    expect(res.status).toBe(403)
    expect(res.json).toMatchObject({
      message: 'Resource not accessible by personal access token',
      status: '403'
    })
    expect(res.headers.get('x-accepted-github-permissions')).toBe('secrets=write')
    expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBeUndefined()
    // Other destinations are unaffected.
    const env = await call('PUT', `${ENV_SECRETS}/HIVE_API_KEY`, {
      body: await sealedFor(ENV, 'hv_x')
    })
    expect(env.status).toBe(201)
  })

  it('refuse(403) on an environment names both permissions', async () => {
    emu.refuse(ENV, { status: 403, on: 'both' })
    const res = await call('GET', `${ENV_SECRETS}/public-key`)
    expect(res.status).toBe(403)
    expect(res.headers.get('x-accepted-github-permissions')).toMatch(/secrets=read/)
    expect(res.headers.get('x-accepted-github-permissions')).toMatch(/environments=read/)
  })

  it('refuse(404) on both hides the destination', async () => {
    emu.refuse(ENV, { status: 404, on: 'both' })
    const key = await call('GET', `${ENV_SECRETS}/public-key`)
    expect(key.status).toBe(404)
    expect(key.json).toMatchObject({ message: 'Not Found', status: '404' })
    const put = await call('PUT', `${ENV_SECRETS}/HIVE_API_KEY`, {
      body: await sealedFor(ENV, 'hv_x')
    })
    expect(put.status).toBe(404)
    expect(emu.secretWrites()).toBe(0)
  })

  it('refuse on read only leaves writes alone', async () => {
    emu.refuse(REPO, { status: 403, on: 'read' })
    expect((await call('GET', `${REPO_SECRETS}/public-key`)).status).toBe(403)
    const put = await call('PUT', `${REPO_SECRETS}/K`, { body: await sealedFor(REPO, 'v') })
    expect(put.status).toBe(201)
  })

  it('answers 404 Not Found for an unknown repository, environment or route', async () => {
    for (const path of [
      '/repos/acme/nope/actions/secrets/public-key',
      '/repos/acme/widgets/environments/staging/secrets/public-key',
      '/repos/nope/widgets/environments/production/secrets/K',
      '/repos/acme/nope',
      '/repos/acme/widgets/actions/unknown'
    ]) {
      const res = await call('GET', path)
      expect(res.status).toBe(404)
      expect(res.json).toMatchObject({ message: 'Not Found', status: '404' })
    }
  })

  it('treats owner, repository and environment names case-insensitively', async () => {
    const res = await call('GET', '/repos/ACME/Widgets/environments/Production/secrets/public-key')
    expect(res.json).toEqual(emu.publicKey(ENV))
  })
})

describe('API version header', () => {
  it('accepts 2022-11-28 or no header, and answers 400 to another version', async () => {
    const path = `${REPO_SECRETS}/public-key`
    expect((await call('GET', path)).status).toBe(200)
    const bare = await fetch(emu.url + path, { headers: { authorization: `token ${TOKEN}` } })
    expect(bare.status).toBe(200)
    const other = await call('GET', path, { headers: { 'x-github-api-version': '2021-01-01' } })
    expect(other.status).toBe(400)
  })
})

describe('faults', () => {
  it('fails the nth matching call, `times` times, and changes nothing meanwhile', async () => {
    emu.addFault({ method: 'PUT', path: `${REPO_SECRETS}/K`, nth: 2, times: 2, status: 502 })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const res = await call('PUT', `${REPO_SECRETS}/K`, { body: await sealedFor(REPO, `v${i}`) })
      statuses.push(res.status)
    }
    expect(statuses).toEqual([201, 502, 502, 204])
    expect(emu.secretWrites(REPO)).toBe(2)
    expect(emu.secretValue(REPO, 'K')).toBe('v3')
  })

  it('only counts calls matching its method and path', async () => {
    emu.addFault({ method: 'PUT', path: /\/secrets\/K$/, status: 500 })
    expect((await call('GET', `${REPO_SECRETS}/public-key`)).status).toBe(200)
    expect((await call('GET', `${REPO_SECRETS}/K`)).status).toBe(404)
    const put = await call('PUT', `${ENV_SECRETS}/K`, { body: await sealedFor(ENV, 'v') })
    expect(put.status).toBe(500)
    expect(put.json).toMatchObject({ message: 'Internal Server Error', status: '500' })
  })

  it('comes before authentication, with its own headers and body', async () => {
    emu.addFault({
      path: `${REPO_SECRETS}/public-key`,
      status: 429,
      headers: { 'retry-after': '1' },
      body: 'slow down',
      contentType: 'text/plain'
    })
    const res = await call('GET', `${REPO_SECRETS}/public-key`, { token: null })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(res.headers.get('content-type')).toBe('text/plain')
    expect(res.text).toBe('slow down')
    expect((await call('GET', `${REPO_SECRETS}/public-key`, { token: null })).status).toBe(401)
  })

  it('matches the decoded path too, and clearFaults removes every fault', async () => {
    emu.addFault({
      path: '/repos/acme/widgets/environments/prod/eu/secrets/public-key',
      times: Infinity,
      status: 503
    })
    expect((await call('GET', `${SLASH_ENV_SECRETS}/public-key`)).status).toBe(503)
    expect((await call('GET', `${SLASH_ENV_SECRETS}/public-key`)).status).toBe(503)
    emu.clearFaults()
    expect((await call('GET', `${SLASH_ENV_SECRETS}/public-key`)).status).toBe(200)
  })

  it('holds the answer for delayMs', async () => {
    emu.addFault({ path: `${REPO_SECRETS}/public-key`, status: 200, body: '{}', delayMs: 300 })
    const started = Date.now()
    const res = await call('GET', `${REPO_SECRETS}/public-key`)
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(280)
  })

  it('can reset the connection', async () => {
    emu.addFault({ path: `${REPO_SECRETS}/public-key`, status: 0, reset: true })
    await expect(call('GET', `${REPO_SECRETS}/public-key`)).rejects.toThrow()
    expect((await call('GET', `${REPO_SECRETS}/public-key`)).status).toBe(200)
  })

  it('refuses nonsensical counts', () => {
    expect(() => emu.addFault({ path: '/', nth: 0, status: 500 })).toThrow(/nth/)
    expect(() => emu.addFault({ path: '/', times: 0.5, status: 500 })).toThrow(/times/)
  })
})

describe('the request log', () => {
  it('records method, path, status and token label, never a token or a sealed value', async () => {
    const body = await sealedFor(REPO, 'hv_secret_value')
    await call('GET', `${REPO_SECRETS}/public-key`)
    await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, { body })
    await call('GET', `${REPO_SECRETS}/public-key`, { token: 'ghp_stranger' })
    await call('GET', `${REPO_SECRETS}/public-key`, { token: null })

    expect(emu.requests.map(r => [r.method, r.path, r.status, r.token])).toEqual([
      ['GET', `${REPO_SECRETS}/public-key`, 200, 'pat'],
      ['PUT', `${REPO_SECRETS}/HIVE_API_KEY`, 201, 'pat'],
      ['GET', `${REPO_SECRETS}/public-key`, 401, '(unknown)'],
      ['GET', `${REPO_SECRETS}/public-key`, 401, undefined]
    ])
    expect(emu.requests[1].body).toMatchObject({ key_id: body.key_id })
    const log = JSON.stringify(emu.requests)
    expect(log).not.toContain(TOKEN)
    expect(log).not.toContain('ghp_stranger')
    expect(log).not.toContain(body.encrypted_value)
    expect(log).not.toContain('hv_secret_value')
  })
})

describe('lifecycle', () => {
  it('adds latencyMs to every answer', async () => {
    const slow = new GitHubEmulator({ latencyMs: 200 })
    await slow.start()
    try {
      slow.addToken(TOKEN)
      const started = Date.now()
      const res = await fetch(`${slow.url}/repos/acme/nope`, {
        headers: { authorization: `token ${TOKEN}` }
      })
      expect(res.status).toBe(404)
      expect(Date.now() - started).toBeGreaterThanOrEqual(180)
    } finally {
      await slow.stop()
    }
  })

  it('stops promptly even with a keep-alive connection and a pending delayed answer', async () => {
    emu.addFault({ path: '/slow', status: 200, delayMs: 60_000 })
    await call('GET', `${REPO_SECRETS}/public-key`) // leaves a keep-alive connection open
    const pending = fetch(`${emu.url}/slow`).then(
      () => 'answered',
      () => 'failed'
    )
    await new Promise(resolve => setTimeout(resolve, 50))
    const started = Date.now()
    const url = emu.url
    await emu.stop()
    expect(Date.now() - started).toBeLessThan(2000)
    expect(await pending).toBe('failed')
    await expect(fetch(`${url}/repos/acme/widgets`)).rejects.toThrow()
    await emu.start() // afterEach stops it again
  })
})

describe('org secrets: visibility and selected repositories', () => {
  const ORG = targetOf('org:acme')
  const ORG_SECRETS = '/orgs/acme/actions/secrets'

  beforeEach(() => emu.addOrg('acme'))

  it('gives each org kind and each repository kind its own key pair', () => {
    const keys = [
      'org:acme',
      'dependabot-org:acme',
      'codespaces-org:acme',
      'repo:acme/widgets',
      'dependabot:acme/widgets',
      'codespaces:acme/widgets'
    ].map(l => emu.publicKey(targetOf(l)).key)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('requires visibility on an org PUT, and integer ids of its own repositories, only with selected', async () => {
    const url = `${ORG_SECRETS}/HIVE_API_KEY`
    const sealed = await sealedFor(ORG, 'hv_org')
    const other = emu.addRepo('elsewhere/x').id
    const own = REPO_ID()
    for (const [body, message] of [
      [{ ...sealed }, 'visibility'],
      [{ ...sealed, visibility: 'all', selected_repository_ids: [own] }, 'only be given with'],
      [{ ...sealed, visibility: 'selected', selected_repository_ids: [String(own)] }, 'integers'],
      [{ ...sealed, visibility: 'selected', selected_repository_ids: [other] }, 'outside acme']
    ] as const) {
      const res = await call('PUT', url, { body })
      expect({ status: res.status, message: res.json.message }).toEqual({
        status: 422,
        message: expect.stringContaining(message)
      })
    }
    expect(emu.secretValue(ORG, 'HIVE_API_KEY')).toBeUndefined()
    const ok = await call('PUT', url, {
      body: { ...sealed, visibility: 'selected', selected_repository_ids: [own] }
    })
    expect(ok.status).toBe(201)
    expect(emu.orgSecretAccess(ORG, 'HIVE_API_KEY')).toEqual({
      visibility: 'selected',
      selectedRepositoryIds: [own]
    })
  })

  it('clears the selected repositories of a PUT that says selected without ids', async () => {
    emu.setSecretPlain(ORG, 'HIVE_API_KEY', 'hv_old', {
      visibility: 'selected',
      selectedRepositoryIds: [REPO_ID()]
    })
    const body = { ...(await sealedFor(ORG, 'hv_new')), visibility: 'selected' }
    expect((await call('PUT', `${ORG_SECRETS}/HIVE_API_KEY`, { body })).status).toBe(204)
    expect(emu.orgSecretAccess(ORG, 'HIVE_API_KEY')).toEqual({
      visibility: 'selected',
      selectedRepositoryIds: []
    })
  })

  it('answers visibility on GET, and lists selected repositories in pages with Link headers', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => emu.addRepo(`acme/r${i}`).id)
    emu.setSecretPlain(ORG, 'HIVE_API_KEY', 'hv', {
      visibility: 'selected',
      selectedRepositoryIds: ids
    })
    const get = await call('GET', `${ORG_SECRETS}/HIVE_API_KEY`)
    expect(get.json).toMatchObject({ name: 'HIVE_API_KEY', visibility: 'selected' })
    const first = await call('GET', `${ORG_SECRETS}/HIVE_API_KEY/repositories?per_page=100`)
    expect(first.json.total_count).toBe(150)
    expect((first.json.repositories as { id: number }[]).map(r => r.id)).toEqual(ids.slice(0, 100))
    expect(first.headers.get('link')).toContain('page=2>; rel="next"')
    const second = await call('GET', `${ORG_SECRETS}/HIVE_API_KEY/repositories?per_page=100&page=2`)
    expect((second.json.repositories as { id: number }[]).map(r => r.id)).toEqual(ids.slice(100))
    expect(second.headers.get('link')).not.toContain('rel="next"')
  })
})

describe('GitHub Apps', () => {
  const APP_ID = '77'
  const keys = rsaKeyPair('emulator-app', 'pkcs8')

  function jwt(claims: Record<string, unknown>, key: KeyLike = keys.privateKey, alg = 'RS256') {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const data = `${part({ alg, typ: 'JWT' })}.${part(claims)}`
    return `${data}.${sign('RSA-SHA256', Buffer.from(data), key).toString('base64url')}`
  }
  const now = () => Math.floor(Date.now() / 1000)
  const good = () => ({ iss: APP_ID, iat: now() - 30, exp: now() + 540 })

  beforeEach(() => {
    emu.addApp(APP_ID, keys.publicKey)
    emu.installApp(APP_ID, 'acme')
  })

  it('mints a token for an installation found with a valid JWT; it sees that owner only', async () => {
    const found = await call('GET', '/repos/acme/widgets/installation', { token: jwt(good()) })
    expect(found.status).toBe(200)
    const minted = await call('POST', `/app/installations/${found.json.id}/access_tokens`, {
      token: jwt(good())
    })
    expect(minted.status).toBe(201)
    const token = minted.json.token as string
    expect(emu.installationTokens()).toEqual([token])
    expect((await call('GET', `${REPO_SECRETS}/public-key`, { token })).status).toBe(200)
    emu.addRepo('other/repo')
    const elsewhere = await call('GET', '/repos/other/repo/actions/secrets/public-key', { token })
    expect(elsewhere.status).toBe(404)
  })

  it.each([
    [
      'signed by another key',
      () => jwt(good(), rsaKeyPair('emulator-other-app', 'pkcs8').privateKey)
    ],
    ['naming another app', () => jwt({ ...good(), iss: '78' })],
    ['expired', () => jwt({ ...good(), iat: now() - 700, exp: now() - 60 })],
    ['living longer than 10 minutes', () => jwt({ ...good(), exp: now() + 3600 })],
    ['with alg none', () => jwt(good(), keys.privateKey, 'none')],
    ['that is not a JWT at all', () => 'a.b.c']
  ])('refuses a JWT %s with 401', async (_what, make) => {
    const res = await call('GET', '/orgs/acme/installation', { token: make() })
    expect(res.status).toBe(401)
  })

  it('answers 404 for an account without the installation, and keeps the JWT off secrets', async () => {
    emu.addRepo('other/repo')
    expect(
      (await call('GET', '/repos/other/repo/installation', { token: jwt(good()) })).status
    ).toBe(404)
    expect((await call('GET', `${REPO_SECRETS}/public-key`, { token: jwt(good()) })).status).toBe(
      403
    )
  })
})

describe('secondary rate limit and GitHub Enterprise Server', () => {
  it('answers 403 with retry-after to the next writes, then works again; reads pass', async () => {
    emu.secondaryRateLimit({ times: 1, retryAfterSeconds: 7 })
    expect((await call('GET', `${REPO_SECRETS}/public-key`)).status).toBe(200)
    const body = await sealedFor(REPO, 'hv')
    const limited = await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, { body })
    expect(limited.status).toBe(403)
    expect(limited.headers.get('retry-after')).toBe('7')
    expect(limited.json.message).toMatch(/secondary rate limit/)
    expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBeUndefined()
    expect((await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, { body })).status).toBe(201)
  })

  it('serves below basePath only, as GHES serves /api/v3', async () => {
    const ghes = new GitHubEmulator({ basePath: '/api/v3' })
    await ghes.start()
    try {
      ghes.addToken(TOKEN)
      ghes.addRepo('acme/widgets')
      expect(ghes.url).toMatch(/\/api\/v3$/)
      const headers = { authorization: `token ${TOKEN}` }
      const inside = await fetch(`${ghes.url}${REPO_SECRETS}/public-key`, { headers })
      expect(inside.status).toBe(200)
      const outside = await fetch(`${ghes.url.replace('/api/v3', '')}${REPO_SECRETS}/public-key`, {
        headers
      })
      expect(outside.status).toBe(404)
      await Promise.all([inside.text(), outside.text()])
    } finally {
      await ghes.stop()
    }
  })
})

describe('listing secrets, clock, and hostile modes', () => {
  const next = (a: Answer<Record<string, unknown>>) =>
    /<([^<>]+)>;\s*rel="next"/.exec(a.headers.get('link') ?? '')?.[1]

  it('lists a destination’s secret names and dates, 100 a page, never a value', async () => {
    for (let i = 0; i < 120; i++) emu.setSecretPlain(REPO, `S${i}`, `v${i}`)
    const first = await call('GET', `${REPO_SECRETS}?per_page=100`)
    expect(first.json.total_count).toBe(120)
    const secrets = first.json.secrets as Record<string, unknown>[]
    expect(secrets).toHaveLength(100)
    expect(Object.keys(secrets[0]).sort()).toEqual(['created_at', 'name', 'updated_at'])
    expect(first.text).not.toMatch(/"v\d+"/)
    expect(next(first)).toBe(`${emu.url}${REPO_SECRETS}?per_page=100&page=2`)
    expect((await call('GET', `${ENV_SECRETS}`)).json).toEqual({ total_count: 0, secrets: [] })
  })

  it('seeds a secret as written an hour before, or when told; deletes it; reads its metadata', async () => {
    emu.setSecretPlain(REPO, 'OLD', 'v')
    const old = Date.parse(emu.secretMetadata(REPO, 'OLD')?.updated_at ?? '')
    expect(Date.now() - old).toBeGreaterThan(3_590_000)
    emu.setSecretPlain(REPO, 'AT', 'v', undefined, {
      updatedAt: new Date('2026-01-02T03:04:05.6Z')
    })
    const got = await call('GET', `${REPO_SECRETS}/AT`)
    expect(got.json).toEqual({
      name: 'AT',
      created_at: '2026-01-02T03:04:05Z',
      updated_at: '2026-01-02T03:04:05Z'
    })
    expect(emu.deleteSecret(REPO, 'at')).toBe(true)
    expect(emu.deleteSecret(REPO, 'AT')).toBe(false)
    expect((await call('GET', `${REPO_SECRETS}/AT`)).status).toBe(404)
  })

  it('answers every Date header, and stamps writes, from its own clock when given one', async () => {
    const clocked = new GitHubEmulator({ now: () => new Date('2030-05-06T07:08:09.5Z') })
    await clocked.start()
    try {
      clocked.addToken(TOKEN)
      clocked.addRepo('acme/widgets')
      const { key_id, key } = clocked.publicKey(REPO)
      const put = await fetchAnswer(
        `${clocked.url}${REPO_SECRETS}/K`,
        {
          method: 'PUT',
          headers: { authorization: `token ${TOKEN}` },
          body: JSON.stringify({ encrypted_value: await seal('v', key), key_id })
        },
        {}
      )
      expect(put.status).toBe(201)
      expect(put.headers.get('date')).toBe('Mon, 06 May 2030 07:08:09 GMT')
      expect(clocked.secretMetadata(REPO, 'K')?.updated_at).toBe('2030-05-06T07:08:09Z')
    } finally {
      await clocked.stop()
    }
  })

  it('hostilePages: a next link to another origin, to the same page, or on and on', async () => {
    emu.setSecretPlain(REPO, 'A', 'v')
    emu.hostilePages({ path: REPO_SECRETS, link: { url: 'http://127.0.0.1:9/steal' } })
    expect(next(await call('GET', REPO_SECRETS))).toBe('http://127.0.0.1:9/steal')

    const self = new GitHubEmulator()
    await self.start()
    try {
      self.addToken(TOKEN)
      self.addRepo('acme/widgets')
      self.addEnvironment('acme/widgets', 'production')
      self.hostilePages({ path: /\/actions\/secrets$/, link: 'self' })
      const page = await fetchAnswer(
        `${self.url}${REPO_SECRETS}?per_page=5`,
        { headers: { authorization: `token ${TOKEN}` } },
        {}
      )
      expect(next(page)).toBe(`${self.url}${REPO_SECRETS}?per_page=5`)
      self.hostilePages({ path: ENV_SECRETS, link: 'endless' })
      const env = await fetchAnswer(
        `${self.url}${ENV_SECRETS}?per_page=5&page=7`,
        { headers: { authorization: `token ${TOKEN}` } },
        {}
      )
      expect(next(env)).toBe(`${self.url}${ENV_SECRETS}?per_page=5&page=8`)
    } finally {
      await self.stop()
    }
  })

  it('a fault can stream a huge body, or an endless one until the client goes away', async () => {
    emu.addFault({ path: `${REPO_SECRETS}/public-key`, status: 200, stream: 300_000 })
    const whole = await call('GET', `${REPO_SECRETS}/public-key`)
    expect(whole.text).toHaveLength(300_000)
    expect(emu.requests.at(-1)?.bytesSent).toBe(300_000)

    emu.addFault({ path: `${REPO_SECRETS}/public-key`, status: 200, stream: 'endless' })
    const controller = new AbortController()
    const response = await fetch(`${emu.url}${REPO_SECRETS}/public-key`, {
      headers: { authorization: `token ${TOKEN}` },
      signal: controller.signal
    })
    const reader = response.body!.getReader()
    let read = 0
    while (read < 2_000_000) read += (await reader.read()).value?.length ?? 0
    controller.abort()
    await reader.cancel().catch(() => undefined)
    // The emulator notices the client is gone and stops writing.
    for (let i = 0; i < 100 && emu.requests.at(-1)?.bytesSent === undefined; i++) {
      await new Promise(resolve => setImmediate(resolve))
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    expect(emu.requests.at(-1)?.bytesSent).toBeGreaterThanOrEqual(2_000_000)
  })

  it('dropWrites: a checked PUT answered 201, then 204, that stores nothing', async () => {
    emu.dropWrites(2)
    const first = await call('PUT', `${REPO_SECRETS}/K`, { body: await sealedFor(REPO, 'v1') })
    expect(first.status).toBe(201)
    expect(emu.secretValue(REPO, 'K')).toBeUndefined()
    emu.setSecretPlain(REPO, 'K', 'seeded')
    const second = await call('PUT', `${REPO_SECRETS}/K`, { body: await sealedFor(REPO, 'v2') })
    expect(second.status).toBe(204)
    expect(emu.secretValue(REPO, 'K')).toBe('seeded')
    // A PUT that fails its checks is still refused; dropping ends after `times`.
    const bad = await call('PUT', `${REPO_SECRETS}/K`, {
      body: { encrypted_value: 'x', key_id: '1' }
    })
    expect(bad.status).toBe(422)
    await call('PUT', `${REPO_SECRETS}/K`, { body: await sealedFor(REPO, 'v3') })
    expect(emu.secretValue(REPO, 'K')).toBe('v3')
    expect(emu.secretWrites(REPO)).toBe(1)
  })

  it('freezeUpdatedAt: the value changes, the metadata does not', async () => {
    emu.setSecretPlain(REPO, 'K', 'old')
    const before = emu.secretMetadata(REPO, 'K')
    emu.freezeUpdatedAt(REPO, 'K')
    await call('PUT', `${REPO_SECRETS}/K`, { body: await sealedFor(REPO, 'new') })
    expect(emu.secretValue(REPO, 'K')).toBe('new')
    expect((await call('GET', `${REPO_SECRETS}/K`)).json.updated_at).toBe(before?.updated_at)
    expect(() => emu.freezeUpdatedAt(REPO, 'NONE')).toThrow(/no secret NONE/)
  })
})

describe('onAnswered: a hook after every request took effect', () => {
  it('is called once per request, with its status, after the effect and before the answer', async () => {
    const seen: { record: GitHubRequestRecord; status: number; stored?: string }[] = []
    emu.onAnswered = record => {
      seen.push({ record, status: record.status, stored: emu.secretValue(REPO, 'HIVE_API_KEY') })
    }
    await call('GET', `${REPO_SECRETS}/public-key`)
    await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, { body: await sealedFor(REPO, 'hv_one') })
    await call('GET', `${REPO_SECRETS}/public-key`, { token: 'ghp_stranger' })
    expect(seen.map(s => [s.record.method, s.status, s.stored])).toEqual([
      ['GET', 200, undefined],
      ['PUT', 201, 'hv_one'],
      ['GET', 401, 'hv_one']
    ])
    expect(seen.map(s => s.record)).toEqual(emu.requests)
    expect(new Set(seen.map(s => s.record)).size).toBe(3)
  })

  it('includes faulted requests (a reset has status 0), before the fault delay', async () => {
    emu.addFault({ path: `${REPO_SECRETS}/public-key`, status: 503, delayMs: 200 })
    emu.addFault({ path: `${REPO_SECRETS}/public-key`, nth: 2, status: 0, reset: true })
    emu.addFault({
      method: 'PUT',
      path: `${REPO_SECRETS}/HIVE_API_KEY`,
      status: 502,
      afterEffect: true
    })
    const calls: [number, number][] = []
    emu.onAnswered = record => calls.push([record.status, performance.now()])
    const started = performance.now()
    expect((await call('GET', `${REPO_SECRETS}/public-key`)).status).toBe(503)
    const answeredAt = performance.now()
    expect(calls).toHaveLength(1)
    expect(calls[0][0]).toBe(503)
    expect(calls[0][1] - started).toBeLessThan(answeredAt - started - 150)
    await expect(call('GET', `${REPO_SECRETS}/public-key`)).rejects.toThrow()
    const body = await sealedFor(REPO, 'hv_two')
    expect((await call('PUT', `${REPO_SECRETS}/HIVE_API_KEY`, { body })).status).toBe(502)
    expect(calls.map(c => c[0])).toEqual([503, 0, 502])
    expect(emu.requests.map(r => r.status)).toEqual([503, 0, 502])
    expect(emu.secretValue(REPO, 'HIVE_API_KEY')).toBe('hv_two')
  })

  it('logs and ignores what the hook throws', async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      emu.onAnswered = () => {
        throw new Error('invariant broken')
      }
      expect((await call('GET', `${REPO_SECRETS}/public-key`)).status).toBe(200)
      expect(logged).toHaveBeenCalledTimes(1)
      expect(String(logged.mock.calls[0][1])).toContain('invariant broken')
    } finally {
      logged.mockRestore()
    }
  })
})
