import { afterEach, describe, expect, it } from '@jest/globals'
import { HiveClient, MAX_PAGES } from '../../src/hive/client.js'
import { HiveHttp, HiveHttpError } from '../../src/hive/http.js'
import type { CreateKeyRequest } from '../../src/hive/types.js'
import { LoopbackServer } from '../emulators/loopback.js'
import { rejection } from '../support/rejection.js'

// A real HTTP server on 127.0.0.1 whose answers each test writes; the clock is injected.

const ADMIN = 'hv_admin_S3cr3t_0123456789'
const NEW_VALUE = 'hv_3f9a_V4lue_9876543210'

interface Seen {
  method: string
  url: string
  apiKey: string | undefined
  body: unknown
}
type Answer = { status: number; body?: unknown }
type Route = (request: Seen) => Answer

const servers: LoopbackServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map(server => server.close()))
})

async function hive(route: Route) {
  const seen: Seen[] = []
  const server = new LoopbackServer()
  servers.push(server)
  const url = await server.listen((req, res) => {
    let text = ''
    req.on('data', chunk => (text += chunk))
    req.on('end', () => {
      const request: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        apiKey: req.headers['x-api-key'] as string | undefined,
        body: text ? JSON.parse(text) : undefined
      }
      seen.push(request)
      const answer = route(request)
      const body = answer.body === undefined ? '' : JSON.stringify(answer.body)
      res.writeHead(answer.status, body ? { 'Content-Type': 'application/json' } : {})
      res.end(body)
    })
  })

  // HiveHttp's own retries take no time; the client's propagation clock is fake.
  let time = 0
  const waits: number[] = []
  const debugs: string[] = []
  const httpLayer = new HiveHttp({
    baseUrl: url,
    sleep: async () => {},
    random: () => 0,
    debug: message => debugs.push(message)
  })
  const client = new HiveClient(httpLayer, {
    now: () => time,
    sleep: async ms => {
      waits.push(ms)
      time += ms
    }
  })
  return { client, seen, waits, debugs, url }
}

const key = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `hive-rotate-key octo/app HIVE_API_KEY ${id}`,
  prefix: 'hv_3f9a',
  permission: 'read-only',
  scope: { type: 'engagements', engagement_ids: ['eng_12'] },
  created_at: '2026-11-28T11:00:00Z',
  expires_at: '2027-02-26T11:00:00Z',
  last_used_at: null,
  revoked_at: null,
  ...extra
})
const notFound = { status: 404, body: { error: { code: 'not_found', message: 'no such key' } } }
const unauthorized = { status: 401, body: { error: { code: 'unauthorized', message: 'bad key' } } }
const forbidden = { status: 403, body: { error: { code: 'forbidden', message: 'no' } } }

const failure = (promise: Promise<unknown>) => rejection(promise, HiveHttpError)

describe('current and get', () => {
  it('current() reads /api-keys/current and copies only the contract fields', async () => {
    const { client, seen } = await hive(() => ({
      status: 200,
      body: key('key_1', { key: 'should-not-travel', extra: 1 })
    }))
    const current = await client.current(ADMIN)
    expect(current).toEqual(key('key_1'))
    expect(current).not.toHaveProperty('key')
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api-keys/current', apiKey: ADMIN })
  })

  it('current() rejects an answer that is not a key object, naming the field', async () => {
    const { client } = await hive(() => ({
      status: 200,
      body: key('key_1', { permission: 'root' })
    }))
    const error = await failure(client.current(ADMIN, 'checking the admin key'))
    expect(error.message).toBe(
      'Hive answered 200 while checking the admin key, but its answer is not what the Hive API ' +
        'contract describes: "permission" is not one it knows.'
    )
  })

  it('get() encodes the id and answers null on 404', async () => {
    const { client, seen } = await hive(request =>
      request.url === '/api-keys/key_1' ? { status: 200, body: key('key_1') } : notFound
    )
    expect(await client.get(ADMIN, 'key_1')).toEqual(key('key_1'))
    expect(await client.get(ADMIN, 'a/b?c=d#e')).toBeNull()
    expect(seen[1].url).toBe('/api-keys/a%2Fb%3Fc%3Dd%23e')
  })

  it('an id of ".." is refused before anything is sent', async () => {
    const { client, seen } = await hive(() => notFound)
    const error = await failure(client.get(ADMIN, '..'))
    expect(error.kind).toBe('refused')
    expect(seen).toHaveLength(0)
  })
})

describe('list', () => {
  it('follows next_cursor through every page', async () => {
    const pages: Record<string, { items: unknown[]; next_cursor: string | null }> = {
      '': { items: [key('k1'), key('k2')], next_cursor: 'c/2+more==' },
      'c/2+more==': { items: [key('k3')], next_cursor: 'c3' },
      c3: { items: [], next_cursor: null }
    }
    const { client, seen } = await hive(request => {
      const cursor = new URL(request.url, 'http://x').searchParams.get('cursor') ?? ''
      return { status: 200, body: pages[cursor] }
    })
    const keys = await client.list(ADMIN)
    expect(keys.map(k => k.id)).toEqual(['k1', 'k2', 'k3'])
    expect(seen.map(s => s.url)).toEqual([
      '/api-keys',
      '/api-keys?cursor=c%2F2%2Bmore%3D%3D',
      '/api-keys?cursor=c3'
    ])
  })

  it('stops on a cursor loop', async () => {
    const { client, seen } = await hive(request => ({
      status: 200,
      body: {
        items: [key(`k${seen.length}`)],
        next_cursor: request.url.endsWith('c1') ? 'c2' : 'c1'
      }
    }))
    const error = await failure(client.list(ADMIN))
    expect(error.message).toMatch(/page cursor it had given before \(a loop\)/)
    expect(seen).toHaveLength(3) // first page, c1, c2 → c1 again
  })

  it('rejects a page without items', async () => {
    const { client } = await hive(() => ({ status: 200, body: { keys: [] } }))
    await expect(client.list(ADMIN)).rejects.toThrow('it has no "items" list')
  })
})

describe('create and update', () => {
  const request: CreateKeyRequest = {
    name: 'hive-rotate-key octo/app HIVE_API_KEY 2026-11-28T11:00:00Z',
    permission: 'read-only',
    scope: { type: 'engagements', engagement_ids: ['eng_12'] },
    expires_at: '2026-12-28T11:00:00Z'
  }

  it('posts the request and returns the key with its value', async () => {
    const { client, seen } = await hive(() => ({
      status: 201,
      body: { ...key('key_new'), key: NEW_VALUE }
    }))
    const created = await client.create(ADMIN, request)
    expect(created).toEqual({ ...key('key_new'), key: NEW_VALUE })
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api-keys', body: request })
  })

  it('hands a new value to mask() before it checks the rest of the answer', async () => {
    const masked: string[] = []
    const { url } = await hive(() => ({
      status: 201,
      body: { ...key('key_new', { prefix: '' }), key: NEW_VALUE }
    }))
    const client = new HiveClient(new HiveHttp({ baseUrl: url }), { mask: v => masked.push(v) })
    await failure(client.create(ADMIN, request))
    expect(masked).toEqual([NEW_VALUE])
  })

  it.each([
    [{ ...key('key_new') }, 'its "key" is missing'],
    [{ ...key('key_new'), key: '' }, 'its "key" is missing'],
    [{ ...key('key_new'), key: 'two\nlines' }, 'its "key" is not visible ASCII without spaces'],
    [{ ...key('key_new', { prefix: '' }), key: NEW_VALUE }, '"prefix" is missing']
  ])('rejects an answer without a usable key, naming the id (%#)', async (body, problem) => {
    const { client } = await hive(() => ({ status: 201, body }))
    const error = await failure(client.create(ADMIN, request))
    expect(error.message).toContain(problem)
    expect(error.message).toContain('Hive may have created key key_new.')
    expect(error.message).not.toContain(NEW_VALUE)
    expect(error.message).not.toContain('two')
  })

  it('rejects an answer without an id', async () => {
    const { client } = await hive(() => ({ status: 201, body: { key: NEW_VALUE } }))
    const error = await failure(client.create(ADMIN, request))
    expect(error.message).toContain('"id" is missing or empty.')
    expect(error.message).not.toContain(NEW_VALUE)
  })

  it('does not retry a POST that answered 503', async () => {
    const { client, seen } = await hive(() => ({ status: 503 }))
    await failure(client.create(ADMIN, request))
    expect(seen).toHaveLength(1)
  })

  it('update() patches the key', async () => {
    const { client, seen } = await hive(r => ({
      status: 200,
      body: key('key_1', r.body as Record<string, unknown>)
    }))
    const updated = await client.update(ADMIN, 'key_1', { expires_at: '2026-11-28T12:00:00Z' })
    expect(updated.expires_at).toBe('2026-11-28T12:00:00Z')
    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      url: '/api-keys/key_1',
      body: { expires_at: '2026-11-28T12:00:00Z' }
    })
  })
})

describe('revoke', () => {
  it('is idempotent: 204 revoked, then 404 already gone', async () => {
    const revoked = new Set<string>()
    const { client, seen } = await hive(request => {
      const id = request.url.split('/').pop() ?? ''
      if (revoked.has(id)) return notFound
      revoked.add(id)
      return { status: 204 }
    })
    expect(await client.revoke(ADMIN, 'key_old')).toBe('revoked')
    expect(await client.revoke(ADMIN, 'key_old')).toBe('already-gone')
    expect(seen.map(s => `${s.method} ${s.url}`)).toEqual([
      'DELETE /api-keys/key_old',
      'DELETE /api-keys/key_old'
    ])
  })

  it('throws on 403', async () => {
    const { client } = await hive(() => forbidden)
    const error = await failure(client.revoke(ADMIN, 'key_old'))
    expect(error.message).toMatch(/^Hive answered 403 \(forbidden\) while revoking key key_old/)
  })
})

describe('usage', () => {
  it('reads usage, and 404 means no data', async () => {
    const usage = { requests_24h: 12, errors_24h: 1, last_used_at: '2026-11-28T10:00:00Z' }
    const { client, seen } = await hive(request =>
      request.url === '/api-keys/key_1/usage' ? { status: 200, body: usage } : notFound
    )
    expect(await client.usage(ADMIN, 'key_1')).toEqual(usage)
    expect(await client.usage(ADMIN, 'key_2')).toBeNull()
    expect(seen[1].url).toBe('/api-keys/key_2/usage')
  })

  it('rejects an answer that is not a usage object', async () => {
    const { client } = await hive(() => ({ status: 200, body: { requests_24h: 'many' } }))
    await expect(client.usage(ADMIN, 'key_1')).rejects.toThrow(
      '"requests_24h" is not a whole number of 0 or more'
    )
  })
})

describe('sentWith', () => {
  it('counts every request sent with a key, retries included, per key', async () => {
    const answers = [{ status: 503 }, { status: 200, body: key('key_1') }]
    const { client, seen } = await hive(request =>
      request.apiKey === ADMIN ? answers[seen.length - 1] : { status: 200, body: {} }
    )
    expect(client.sentWith(ADMIN)).toBe(0)
    await client.current(ADMIN)
    await client.probe(NEW_VALUE, '/executions-cli/executions')
    expect(seen).toHaveLength(3)
    expect([client.sentWith(ADMIN), client.sentWith(NEW_VALUE), client.sentWith('hv_x')]).toEqual([
      2, 1, 0
    ])
  })
})

describe('probe', () => {
  it('returns 200, 401 and 403 instead of throwing', async () => {
    const answers = [{ status: 200, body: { executions: [] } }, unauthorized, forbidden]
    const { client, seen } = await hive(() => answers[seen.length - 1])
    expect(await client.probe(NEW_VALUE, '/executions-cli/executions')).toBe(200)
    expect(await client.probe(NEW_VALUE, '/executions-cli/executions')).toBe(401)
    expect(await client.probe(NEW_VALUE, '/executions-cli/executions')).toBe(403)
    expect(seen[0]).toMatchObject({ url: '/executions-cli/executions', apiKey: NEW_VALUE })
  })

  it('throws other errors after the HTTP layer retried them', async () => {
    const { client, seen } = await hive(() => ({ status: 500 }))
    const error = await failure(client.probe(NEW_VALUE, '/executions-cli/executions'))
    expect(error.message).toMatch(
      /^Hive answered 500 \(internal error\) while testing a key with GET \/executions-cli\/executions/
    )
    expect(seen).toHaveLength(5)
  })
})

describe('waitUntilAccepted', () => {
  it('retries 401 with backoff until Hive accepts the key', async () => {
    const { client, seen, waits } = await hive(() =>
      seen.length <= 3 ? unauthorized : { status: 200, body: {} }
    )
    const result = await client.waitUntilAccepted(NEW_VALUE, '/executions-cli/executions', 60_000)
    expect(result).toEqual({ accepted: true, status: 200, attempts: 4, elapsedMs: 7_000 })
    expect(waits).toEqual([1_000, 2_000, 4_000])
  })

  it('gives up when the timeout has passed, probing one last time at the deadline', async () => {
    const { client, seen, waits } = await hive(() => unauthorized)
    const result = await client.waitUntilAccepted(NEW_VALUE, '/executions-cli/executions', 30_000)
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 5_000])
    expect(result).toEqual({ accepted: false, status: 401, attempts: 7, elapsedMs: 30_000 })
    expect(seen).toHaveLength(7)
  })

  it('stops at once on 403: a permission problem, not propagation', async () => {
    const { client, waits } = await hive(() => forbidden)
    const result = await client.waitUntilAccepted(NEW_VALUE, '/executions-cli/executions', 60_000)
    expect(result).toEqual({ accepted: false, status: 403, attempts: 1, elapsedMs: 0 })
    expect(waits).toHaveLength(0)
  })
})

describe('confirmRevoked', () => {
  it('is true when the key answers 401, false when it still works', async () => {
    const answers = [unauthorized, { status: 200, body: {} }]
    const { client, seen } = await hive(() => answers[seen.length - 1])
    expect(await client.confirmRevoked(ADMIN, '/executions-cli/executions')).toBe(true)
    expect(await client.confirmRevoked(ADMIN, '/executions-cli/executions')).toBe(false)
  })
})

describe('secrets', () => {
  it('no error or debug message holds the admin key, nor a created key value', async () => {
    const echo = (status: number) => ({
      status,
      body: { error: { code: ADMIN, message: `the key ${ADMIN} may not` } }
    })
    const created = {
      status: 201,
      body: { ...key('key_new', { permission: 'root' }), key: NEW_VALUE }
    }
    const collected: string[] = []
    for (const answer of [echo(401), echo(422), echo(503), created]) {
      const { client, debugs } = await hive(() => answer)
      const calls = [
        () => client.current(ADMIN),
        () => client.list(ADMIN),
        () =>
          client.create(ADMIN, {
            name: 'n',
            permission: 'admin',
            scope: { type: 'all' },
            expires_at: '2027-01-01T00:00:00Z'
          }),
        () => client.update(ADMIN, 'k', { name: 'm' }),
        () => client.usage(ADMIN, 'k')
      ]
      for (const call of calls) {
        const error = await failure(call())
        collected.push(error.message, error.stack ?? '', JSON.stringify(error))
      }
      collected.push(...debugs)
    }
    expect(collected.length).toBeGreaterThan(60)
    for (const text of collected) {
      expect(text).not.toContain(ADMIN)
      expect(text).not.toContain(NEW_VALUE)
    }
  })
})

/** What an attacker puts in a field: each would be a workflow command or markup if printed. */
const HOSTILE = [
  '\n::set-output name=x::y',
  'key_1\r::warning::owned',
  '::stop-commands::x',
  'key_##[group]x',
  '<img src=x>',
  'a'.repeat(65)
]

describe('the formats of the contract, on every key object', () => {
  const fields: [string, Record<string, unknown>, RegExp][] = [
    ['id', { id: '' }, /"id" is missing or empty/],
    ['id', { id: 7 }, /"id" is missing or empty/],
    ['prefix', { prefix: 'hv_3f9a_0123456789' }, /"prefix" is not 1-16 characters/],
    ['name', { name: 'n'.repeat(201) }, /"name" is longer than 200 characters/],
    ['name', { name: null }, /"name" is missing/],
    ['permission', { permission: 'root' }, /"permission" is not one it knows/],
    ['scope', { scope: { type: 'engagements', engagement_ids: [] } }, /at least one id/],
    ['scope', { scope: { type: 'campaigns' } }, /"scope.campaign_ids" is not a list/],
    ['scope', { scope: { type: 'everything' } }, /"scope" is not one it knows/],
    ['scope', { scope: 'all' }, /"scope" is not an object/],
    ['created_at', { created_at: undefined }, /"created_at" is not an ISO-8601 UTC timestamp/],
    ['created_at', { created_at: '2026-02-30T11:00:00Z' }, /"created_at" is not an ISO-8601/],
    ['expires_at', { expires_at: '2027-02-26T11:00:00+01:00' }, /"expires_at" is neither/],
    ['expires_at', { expires_at: '2027-02-26 11:00:00' }, /"expires_at" is neither/],
    ['expires_at', { expires_at: 1796209200 }, /"expires_at" is neither/],
    ['last_used_at', { last_used_at: 'yesterday' }, /"last_used_at" is neither/],
    ['revoked_at', { revoked_at: true }, /"revoked_at" is neither/]
  ]
  it.each(fields)('refuses a bad %s, naming the field', async (_field, change, problem) => {
    const { client } = await hive(() => ({ status: 200, body: key('key_1', change) }))
    const error = await failure(client.current(ADMIN))
    expect(error.kind).toBe('invalid-response')
    expect(error.message).toMatch(problem)
  })

  it.each(HOSTILE)('refuses %j in id, prefix or a scope id, and never quotes it', async text => {
    for (const change of [
      { id: text },
      { prefix: text },
      { scope: { type: 'engagements', engagement_ids: ['eng_1', text] } }
    ]) {
      const { client } = await hive(() => ({ status: 200, body: key('key_1', change) }))
      const error = await failure(client.current(ADMIN))
      expect(error.message).toMatch(/"(id|prefix)" is not 1-\d\d characters|an id in "scope/)
      expect(error.message).not.toContain(text)
      expect(error.message).not.toMatch(/[\r\n]|::|##\[|</)
    }
  })

  it('keeps a name as free text: it is cleaned where it is printed', async () => {
    const { client } = await hive(() => ({
      status: 200,
      body: key('key_1', { name: 'ci key\n::set-output name=x::y' })
    }))
    expect((await client.current(ADMIN)).name).toBe('ci key\n::set-output name=x::y')
  })

  it('accepts fractions of a second, and null or missing optional timestamps', async () => {
    const { client } = await hive(() => ({
      status: 200,
      body: key('key_1', {
        created_at: '2026-11-28T11:00:00.123456Z',
        expires_at: null,
        last_used_at: undefined,
        revoked_at: undefined
      })
    }))
    expect(await client.current(ADMIN)).toMatchObject({
      created_at: '2026-11-28T11:00:00.123456Z',
      expires_at: null,
      last_used_at: null,
      revoked_at: null
    })
  })

  it('checks the keys of every list page, saying which one is wrong', async () => {
    const { client } = await hive(() => ({
      status: 200,
      body: { items: [key('k1'), key('k2', { id: '::stop-commands::x' })], next_cursor: null }
    }))
    const error = await failure(client.list(ADMIN))
    expect(error.message).toContain('key 2 of the page: "id" is not 1-64 characters')
    expect(error.message).not.toContain('stop-commands')
  })
})

describe('the create answer', () => {
  const request: CreateKeyRequest = {
    name: 'hive-rotate-key octo/app HIVE_API_KEY 2026-11-28T11:00:00Z',
    permission: 'read-only',
    scope: { type: 'engagements', engagement_ids: ['eng_12'] },
    expires_at: '2026-12-28T11:00:00Z'
  }
  const cases: [string, Record<string, unknown>, string][] = [
    ['a prefix that is the whole value', { prefix: 'hv_3f9a', key: 'hv_3f9a' }, 'as long as'],
    ['a prefix that is not its start', { prefix: 'hv_0000' }, 'not the start of its "key"'],
    ['a value with a space', { key: 'hv_3f9a two' }, 'not visible ASCII'],
    ['a value over 4096 characters', { key: 'hv_3f9a' + 'x'.repeat(4090) }, 'up to 4096']
  ]
  it.each(cases)('refuses %s, never quoting the value', async (_label, change, problem) => {
    const value = (change.key as string | undefined) ?? NEW_VALUE
    const masked: string[] = []
    const { url } = await hive(() => ({
      status: 201,
      body: { ...key('key_new'), key: NEW_VALUE, ...change }
    }))
    const client = new HiveClient(new HiveHttp({ baseUrl: url }), { mask: v => masked.push(v) })
    const error = await failure(client.create(ADMIN, request))
    expect(error.kind).toBe('invalid-response')
    expect(error.message).toContain(problem)
    expect(error.message).toContain('Hive may have created key key_new.')
    expect(error.message).not.toContain(value)
    expect(masked).toEqual([value])
  })
})

describe('list pages', () => {
  it('refuses a page of more than 100 keys', async () => {
    const items = Array.from({ length: 101 }, (_, i) => key(`k${i}`))
    const { client } = await hive(() => ({ status: 200, body: { items, next_cursor: null } }))
    const error = await failure(client.list(ADMIN))
    expect(error.message).toContain('its page holds 101 keys, more than 100')
  })

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a number', 2],
    ['unsafe', 'c2\n::set-output name=x::y'],
    ['too long', 'c'.repeat(513)]
  ])('refuses a next_cursor that is %s, and asks for no further page', async (_label, next) => {
    const { client, seen } = await hive(() => ({
      status: 200,
      body: { items: [key('k1')], next_cursor: next }
    }))
    const error = await failure(client.list(ADMIN))
    expect(error.message).toContain('"next_cursor" is neither null nor 1-512 characters')
    expect(error.message).not.toContain('set-output')
    expect(seen).toHaveLength(1)
  })

  it('refuses a key listed twice, on two pages', async () => {
    const { client } = await hive(request => ({
      status: 200,
      body: request.url.includes('cursor')
        ? { items: [key('k1')], next_cursor: null }
        : { items: [key('k1')], next_cursor: 'c2' }
    }))
    const error = await failure(client.list(ADMIN))
    expect(error.message).toContain('it lists key k1 twice')
  })

  it(`stops after ${MAX_PAGES} pages of fresh cursors`, async () => {
    const { client, seen } = await hive(() => ({
      status: 200,
      body: { items: [], next_cursor: `c${seen.length}` }
    }))
    const error = await failure(client.list(ADMIN))
    expect(error.message).toBe(
      `Hive kept answering with more pages while listing keys; stopped after ${MAX_PAGES} pages ` +
        `(${MAX_PAGES * 100} keys), a protocol error: nothing was changed.`
    )
    expect(seen).toHaveLength(MAX_PAGES)
  })
})

describe('usage numbers', () => {
  it.each([
    [{ requests_24h: -1, errors_24h: 0 }, 'requests_24h'],
    [{ requests_24h: 1.5, errors_24h: 0 }, 'requests_24h'],
    [{ requests_24h: 1, errors_24h: '0' }, 'errors_24h'],
    [{ requests_24h: 1, errors_24h: 0, last_used_at: 'now' }, 'last_used_at']
  ])('refuses %j', async (body, field) => {
    const { client } = await hive(() => ({ status: 200, body }))
    const error = await failure(client.usage(ADMIN, 'key_1'))
    expect(error.message).toContain(`"${field}"`)
  })
})
