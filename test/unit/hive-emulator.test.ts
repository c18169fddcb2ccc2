/**
 * The Hive emulator against shared/design/hive-api.md, over real HTTP (fetch against 127.0.0.1).
 * The end-to-end tests trust this emulator, so it is tested on its own first.
 */

import { performance } from 'node:perf_hooks'

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'

import type { HiveKey, KeyUsage, NewHiveKey } from '../../src/hive/types.js'
import { HiveEmulator, hiveErrorBody, type HiveRequestRecord } from '../emulators/hive.js'
import { fetchAnswer, type Answer } from '../support/fetch-answer.js'

const DAY_MS = 24 * 60 * 60 * 1000

let emu: HiveEmulator
/** A movable clock for the emulator: tests set `clock` to jump in time. */
const START = Date.parse('2026-11-28T11:00:00Z')
let clock = START
let admin: { id: string; value: string }

beforeEach(async () => {
  clock = START
  emu = new HiveEmulator({ now: () => new Date(clock) })
  await emu.start()
  admin = emu.seedKey({ name: 'admin' })
})

afterEach(async () => {
  await emu.stop()
})

async function call(
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown
): Promise<Answer<unknown>> {
  const headers: Record<string, string> = {}
  if (key !== undefined) headers['X-Api-Key'] = key
  let payload: string | undefined
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = typeof body === 'string' ? body : JSON.stringify(body)
  }
  const init: RequestInit = { method, headers, body: payload, redirect: 'manual' }
  return fetchAnswer(emu.url + path, init, undefined)
}

function inDays(days: number): string {
  return new Date(clock + days * DAY_MS).toISOString().replace('.000Z', 'Z')
}

function createBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'rotated',
    permission: 'read-only',
    scope: { type: 'engagements', engagement_ids: ['eng_12'] },
    expires_at: inDays(30),
    ...overrides
  }
}

async function create(key: string, overrides: Record<string, unknown> = {}): Promise<NewHiveKey> {
  const res = await call('POST', '/api-keys', key, createBody(overrides))
  expect(res.status).toBe(201)
  return res.json as NewHiveKey
}

/** Resolves after `ms` of real time. */
function pause(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** Polls `test` every 10 ms (for at most `limitMs`); resolves to performance.now() once true. */
async function until(test: () => boolean, limitMs = 900): Promise<number> {
  const deadline = performance.now() + limitMs
  while (!test()) {
    if (performance.now() > deadline) throw new Error('until: still false')
    await pause(10)
  }
  return performance.now()
}

function errorCode(answer: Answer<unknown>): string {
  return (answer.json as { error: { code: string } }).error.code
}

function errorMessage(answer: Answer<unknown>): string {
  return (answer.json as { error: { message: string } }).error.message
}

const KEY_FIELDS = [
  'created_at',
  'expires_at',
  'id',
  'last_used_at',
  'name',
  'permission',
  'prefix',
  'revoked_at',
  'scope'
]

describe('key lifecycle', () => {
  it('creates, reads, lists, patches, revokes and reports usage', async () => {
    // Create: 201, the key object plus its value, shown once.
    const created = await create(admin.value)
    expect(Object.keys(created).sort()).toEqual([...KEY_FIELDS, 'key'].sort())
    expect(created.key).toMatch(/^hv_[0-9a-f]{40}$/)
    expect(created.prefix).toBe(created.key.slice(0, 7))
    expect(created.id).toMatch(/^key_[0-9A-Za-z]{8}$/)
    expect(created).toMatchObject({
      name: 'rotated',
      permission: 'read-only',
      scope: { type: 'engagements', engagement_ids: ['eng_12'] },
      created_at: '2026-11-28T11:00:00Z',
      expires_at: '2026-12-28T11:00:00Z',
      last_used_at: null,
      revoked_at: null
    })
    expect(emu.accepts(created.key)).toBe(true)
    expect(emu.key(created.id)?.value).toBe(created.key)

    // The new key reads itself; that sets its last_used_at.
    clock += 60_000
    const current = await call('GET', '/api-keys/current', created.key)
    expect(current.status).toBe(200)
    expect(current.json).toMatchObject({ id: created.id, last_used_at: '2026-11-28T11:01:00Z' })
    expect(await call('GET', '/executions-cli/executions', created.key)).toMatchObject({
      status: 200,
      json: { items: [] }
    })
    expect((await call('GET', `/api-keys/${created.id}`, created.key)).status).toBe(200)
    expect((await call('GET', `/api-keys/${created.id}`, admin.value)).json).toMatchObject({
      id: created.id
    })

    // Both keys are active at once.
    const list = await call('GET', '/api-keys', admin.value)
    expect(list.status).toBe(200)
    const page = list.json as { items: HiveKey[]; next_cursor: string | null }
    expect(page.items.map(k => k.id)).toEqual([admin.id, created.id])
    expect(page.next_cursor).toBeNull()

    // Patch: shorten the expiry and rename.
    const patched = await call('PATCH', `/api-keys/${created.id}`, admin.value, {
      name: 'renamed',
      expires_at: inDays(1)
    })
    expect(patched.status).toBe(200)
    expect(patched.json).toMatchObject({ name: 'renamed', expires_at: '2026-11-29T11:01:00Z' })
    expect(emu.key(created.id)?.name).toBe('renamed')

    // Usage counts the requests the key itself authenticated (4 so far, one of them a 403).
    expect((await call('GET', `/api-keys/${admin.id}`, created.key)).status).toBe(403)
    const usage = await call('GET', `/api-keys/${created.id}/usage`, admin.value)
    expect(usage.status).toBe(200)
    expect(usage.json as KeyUsage).toEqual({
      requests_24h: 4,
      errors_24h: 1,
      last_used_at: '2026-11-28T11:01:00Z'
    })
    expect((await call('GET', '/api-keys/key_nope/usage', admin.value)).status).toBe(404)

    // Revoke: 204, no body, immediate; a second revocation is 404.
    const revoked = await call('DELETE', `/api-keys/${created.id}`, admin.value)
    expect(revoked.status).toBe(204)
    expect(revoked.text).toBe('')
    expect(emu.key(created.id)?.revoked_at).toBe('2026-11-28T11:01:00Z')
    expect(emu.accepts(created.key)).toBe(false)
    expect((await call('GET', '/api-keys/current', created.key)).status).toBe(401)
    expect((await call('DELETE', `/api-keys/${created.id}`, admin.value)).status).toBe(404)
    expect((await call('GET', `/api-keys/${created.id}`, admin.value)).status).toBe(404)
    expect(
      (await call('PATCH', `/api-keys/${created.id}`, admin.value, { name: 'x' })).status
    ).toBe(404)
    const after = (await call('GET', '/api-keys', admin.value)).json as { items: HiveKey[] }
    expect(after.items.map(k => k.id)).toEqual([admin.id])
    expect(emu.keys().map(k => k.id)).toEqual([admin.id, created.id])
    expect(emu.activeKeys().map(k => k.id)).toEqual([admin.id])
  })

  it('lets a non-admin key read and revoke itself, but nothing else', async () => {
    const own = emu.seedKey({ permission: 'read-write' })
    const other = emu.seedKey({ permission: 'read-only' })
    expect((await call('GET', `/api-keys/${own.id}`, own.value)).status).toBe(200)
    expect((await call('GET', `/api-keys/${other.id}`, own.value)).status).toBe(403)
    // No existence oracle: an unknown id is 403 too for a non-admin.
    expect((await call('GET', '/api-keys/key_unknown', own.value)).status).toBe(403)
    expect((await call('DELETE', `/api-keys/${other.id}`, own.value)).status).toBe(403)
    expect(emu.accepts(other.value)).toBe(true)
    expect((await call('DELETE', `/api-keys/${own.id}`, own.value)).status).toBe(204)
    expect(emu.accepts(own.value)).toBe(false)
  })

  it('answers 404 not_found for unknown ids and routes', async () => {
    for (const [method, path] of [
      ['GET', '/api-keys/key_unknown'],
      ['DELETE', '/api-keys/key_unknown'],
      ['GET', '/nope'],
      ['PUT', '/api-keys']
    ]) {
      const res = await call(method, path, admin.value)
      expect(res.status).toBe(404)
      expect(errorCode(res)).toBe('not_found')
    }
  })
})

describe('backdate', () => {
  it('moves created_at back, as GET /api-keys/{id} then shows it', async () => {
    const key = emu.seedKey({ name: 'made by a killed run' })
    emu.backdate(key.id, 11 * 60_000 + 500)
    const read = await call('GET', `/api-keys/${key.id}`, admin.value)
    expect(read.json).toMatchObject({ created_at: '2026-11-28T10:48:59Z' })
    expect(() => emu.backdate('key_nope', 1)).toThrow('no key key_nope')
  })
})

describe('401 unauthorized', () => {
  it('refuses a missing, unknown, revoked or expired key', async () => {
    const revoked = emu.seedKey({ permission: 'read-only' })
    expect((await call('DELETE', `/api-keys/${revoked.id}`, admin.value)).status).toBe(204)
    const expiring = emu.seedKey({ expiresAt: '2026-11-28T12:00:00Z' })

    for (const key of [undefined, '', 'hv_' + '0'.repeat(40), revoked.value]) {
      const res = await call('GET', '/api-keys/current', key)
      expect(res.status).toBe(401)
      expect(errorCode(res)).toBe('unauthorized')
    }

    expect((await call('GET', '/executions-cli/executions', expiring.value)).status).toBe(200)
    clock = Date.parse('2026-11-28T12:00:00Z') // expires_at <= now: expired
    const res = await call('GET', '/executions-cli/executions', expiring.value)
    expect(res.status).toBe(401)
    expect(emu.accepts(expiring.value)).toBe(false)
    expect(emu.activeKeys().map(k => k.id)).toEqual([admin.id])
    const listed = (await call('GET', '/api-keys', admin.value)).json as { items: HiveKey[] }
    expect(listed.items.map(k => k.id)).toEqual([admin.id])
  })

  it('does not record the key value, only the id of the key that authenticated', async () => {
    await call('GET', '/api-keys/current', admin.value)
    await call('GET', '/api-keys/current', 'hv_wrong')
    const [ok, bad] = emu.requests
    expect(ok).toMatchObject({ method: 'GET', path: '/api-keys/current', status: 200 })
    expect(ok.keyId).toBe(admin.id)
    expect(bad.status).toBe(401)
    expect(bad.keyId).toBeUndefined()
    expect(bad.sentApiKey).toBe(true)
    expect(JSON.stringify(emu.requests)).not.toContain(admin.value)
  })
})

describe('403 forbidden', () => {
  it('refuses admin routes to non-admin keys', async () => {
    const rw = emu.seedKey({ permission: 'read-write' })
    const target = emu.seedKey({ permission: 'read-only' })
    for (const [method, path, body] of [
      ['GET', '/api-keys', undefined],
      ['POST', '/api-keys', createBody()],
      ['PATCH', `/api-keys/${target.id}`, { name: 'x' }],
      ['GET', `/api-keys/${target.id}/usage`, undefined]
    ] as const) {
      const res = await call(method, path, rw.value, body)
      expect(res.status).toBe(403)
      expect(errorCode(res)).toBe('forbidden')
    }
  })

  it('refuses to grant a scope wider than the caller holds', async () => {
    const scopedAdmin = emu.seedKey({
      permission: 'admin',
      scope: { type: 'engagements', engagement_ids: ['eng_12', 'eng_40'] }
    })
    // An admin may grant admin; within its scope all is fine.
    await create(scopedAdmin.value, {
      permission: 'admin',
      scope: { type: 'engagements', engagement_ids: ['eng_40'] }
    })
    // A wider scope than the caller's is refused, in every shape.
    for (const scope of [
      { type: 'all' },
      { type: 'engagements', engagement_ids: ['eng_12', 'eng_99'] },
      { type: 'campaigns', campaign_ids: ['cmp_1'] }
    ]) {
      const res = await call('POST', '/api-keys', scopedAdmin.value, createBody({ scope }))
      expect(res.status).toBe(403)
      expect(errorMessage(res)).toMatch(/^scope/)
    }
  })

  it('refuses campaign-scoped callers anything beyond their campaigns', async () => {
    const campaignAdmin = emu.seedKey({ scope: { type: 'campaigns', campaign_ids: ['c1', 'c2'] } })
    await create(campaignAdmin.value, { scope: { type: 'campaigns', campaign_ids: ['c2'] } })
    const wider = await call(
      'POST',
      '/api-keys',
      campaignAdmin.value,
      createBody({ scope: { type: 'campaigns', campaign_ids: ['c3'] } })
    )
    expect(wider.status).toBe(403)
  })

  it('refuses a PATCH that would widen a key beyond the caller', async () => {
    const scoped = emu.seedKey({ scope: { type: 'engagements', engagement_ids: ['eng_12'] } })
    const child = await create(scoped.value)
    const widen = await call('PATCH', `/api-keys/${child.id}`, scoped.value, {
      scope: { type: 'all' }
    })
    expect(widen.status).toBe(403)
    expect(emu.key(child.id)?.scope).toEqual({ type: 'engagements', engagement_ids: ['eng_12'] })
    const ok = await call('PATCH', `/api-keys/${child.id}`, scoped.value, {
      permission: 'read-write'
    })
    expect(ok.status).toBe(200)
  })
})

describe('422 invalid_request', () => {
  const cases: [string, unknown, RegExp][] = [
    ['malformed JSON', '{"name": ', /^body/],
    ['a JSON array', '[]', /^body/],
    ['JSON null', 'null', /^body/],
    ['missing name', { ...createBody(), name: undefined }, /^name/],
    ['empty name', createBody({ name: '  ' }), /^name/],
    ['numeric name', createBody({ name: 3 }), /^name/],
    ['missing permission', { ...createBody(), permission: undefined }, /^permission/],
    ['unknown permission', createBody({ permission: 'owner' }), /^permission/],
    ['missing scope', { ...createBody(), scope: undefined }, /^scope/],
    ['scope of an unknown type', createBody({ scope: { type: 'org' } }), /^scope/],
    [
      'scope with no engagement ids',
      createBody({ scope: { type: 'engagements', engagement_ids: [] } }),
      /^scope/
    ],
    [
      'scope with no campaign ids',
      createBody({ scope: { type: 'campaigns', campaign_ids: [] } }),
      /^scope/
    ],
    [
      'scope mixing shapes',
      createBody({ scope: { type: 'all', engagement_ids: ['e'] } }),
      /^scope/
    ],
    ['missing expires_at', { ...createBody(), expires_at: undefined }, /^expires_at/],
    ['null expires_at', createBody({ expires_at: null }), /^expires_at/],
    ['unparseable expires_at', createBody({ expires_at: 'next week' }), /^expires_at/],
    ['rolled-over date', createBody({ expires_at: '2026-12-32T00:00:00Z' }), /^expires_at/],
    ['non-UTC expires_at', createBody({ expires_at: '2026-12-20T00:00:00+02:00' }), /^expires_at/],
    ['past expires_at', createBody({ expires_at: '2026-11-28T10:59:59Z' }), /^expires_at/],
    ['expires_at equal to now', createBody({ expires_at: '2026-11-28T11:00:00Z' }), /^expires_at/],
    [
      'expires_at beyond 365 days',
      createBody({ expires_at: '2027-11-28T11:00:01Z' }),
      /^expires_at/
    ],
    ['an unknown field', createBody({ expiresAt: '2026-12-01T00:00:00Z' }), /^expiresAt/]
  ]

  it.each(cases)('POST with %s', async (_label, body, message) => {
    const res = await call('POST', '/api-keys', admin.value, body)
    expect(res.status).toBe(422)
    expect(errorCode(res)).toBe('invalid_request')
    expect(errorMessage(res)).toMatch(message)
    expect(emu.keys()).toHaveLength(1)
  })

  it('accepts expires_at exactly 365 days ahead', async () => {
    await create(admin.value, { expires_at: '2027-11-28T11:00:00Z' })
  })

  it('validates each field given to PATCH', async () => {
    const target = await create(admin.value)
    for (const [body, message] of [
      [{ name: '' }, /^name/],
      [{ permission: 'root' }, /^permission/],
      [{ scope: { type: 'campaigns' } }, /^scope/],
      [{ expires_at: '2020-01-01T00:00:00Z' }, /^expires_at/],
      [{}, /^body/],
      ['not json', /^body/]
    ] as const) {
      const res = await call('PATCH', `/api-keys/${target.id}`, admin.value, body)
      expect(res.status).toBe(422)
      expect(errorMessage(res)).toMatch(message)
    }
    expect(emu.key(target.id)).toMatchObject({ name: 'rotated', permission: 'read-only' })
  })

  it('rejects a cursor the server did not issue', async () => {
    const res = await call('GET', '/api-keys?cursor=bogus', admin.value)
    expect(res.status).toBe(422)
    expect(errorMessage(res)).toMatch(/^cursor/)
  })
})

describe('pagination', () => {
  it('pages active keys 100 at a time, skipping revoked and expired ones', async () => {
    const ids = [admin.id]
    for (let i = 0; i < 249; i++) ids.push(emu.seedKey({ name: `k${i}` }).id)
    // Two keys that must not show: one revoked, one expired.
    const gone = emu.seedKey()
    await call('DELETE', `/api-keys/${gone.id}`, admin.value)
    emu.seedKey({ expiresAt: '2026-11-28T10:00:00Z' })

    const seen: string[] = []
    const sizes: number[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor === null ? '' : `?cursor=${encodeURIComponent(cursor)}`
      const res = await call('GET', `/api-keys${query}`, admin.value)
      expect(res.status).toBe(200)
      const page = res.json as { items: HiveKey[]; next_cursor: string | null }
      sizes.push(page.items.length)
      seen.push(...page.items.map(k => k.id))
      cursor = page.next_cursor
    } while (cursor !== null)
    expect(sizes).toEqual([100, 100, 50])
    expect(seen).toEqual(ids)
  })

  it('answers exactly 100 keys with a null cursor', async () => {
    for (let i = 0; i < 99; i++) emu.seedKey()
    const page = (await call('GET', '/api-keys', admin.value)).json as {
      items: HiveKey[]
      next_cursor: string | null
    }
    expect(page.items).toHaveLength(100)
    expect(page.next_cursor).toBeNull()
  })
})

describe('propagation', () => {
  it('refuses a new key for its first propagationCalls authentications', async () => {
    emu.options.propagationCalls = 2
    const created = await create(admin.value)
    expect(emu.accepts(created.key)).toBe(true) // accepts() ignores propagation
    expect((await call('GET', '/executions-cli/executions', created.key)).status).toBe(401)
    expect((await call('GET', '/executions-cli/executions', created.key)).status).toBe(401)
    expect((await call('GET', '/executions-cli/executions', created.key)).status).toBe(200)
    // Seeded keys never propagate; the admin was never refused.
    expect(emu.requests.filter(r => r.keyId === admin.id).every(r => r.status < 400)).toBe(true)
  })

  it('refuses a new key until propagationDelayMs have passed', async () => {
    emu.options.propagationDelayMs = 300
    const created = await create(admin.value)
    const first = await call('GET', '/api-keys/current', created.key)
    expect(first.status).toBe(401)
    expect(emu.requests.at(-1)?.presentedKeyId).toBe(created.id)
    expect(emu.key(created.id)?.last_used_at).toBeNull()
    await new Promise(resolve => setTimeout(resolve, 350))
    expect((await call('GET', '/api-keys/current', created.key)).status).toBe(200)
  })
})

describe('faults', () => {
  it('answers the nth..nth+times-1 matching calls with the fault, before auth', async () => {
    emu.addFault({
      method: 'get',
      path: '/executions-cli/executions',
      nth: 2,
      times: 2,
      status: 503
    })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      statuses.push((await call('GET', '/executions-cli/executions', admin.value)).status)
    }
    expect(statuses).toEqual([200, 503, 503, 200])
    // Other methods and paths don't count toward the fault.
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(200)
    const faulted = emu.requests.filter(r => r.fault)
    expect(faulted).toHaveLength(2)
    expect(faulted[0].keyId).toBeUndefined()
    expect(faulted[0].presentedKeyId).toBe(admin.id)
  })

  it('uses the contract error body by default, and fires before authentication', async () => {
    emu.addFault({ path: '/api-keys/current', status: 503 })
    const res = await call('GET', '/api-keys/current', 'hv_not_a_key')
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(errorCode(res)).toBe('unavailable')
  })

  it('serves an HTML proxy page', async () => {
    const html = '<html><body>502 Bad Gateway</body></html>'
    emu.addFault({ path: /^\/api-keys/, status: 502, body: html, contentType: 'text/html' })
    const res = await call('POST', '/api-keys', admin.value, createBody())
    expect(res.status).toBe(502)
    expect(res.headers.get('content-type')).toBe('text/html')
    expect(res.text).toBe(html)
    // A faulted request has no effect on state.
    expect(emu.keys()).toHaveLength(1)
    expect(emu.key(admin.id)?.last_used_at).toBeNull()
  })

  it('sends 429 with Retry-After (default 1, or the one given)', async () => {
    emu.addFault({ path: '/api-keys/current', status: 429 })
    emu.addFault({
      path: '/api-keys/current',
      nth: 2,
      status: 429,
      headers: { 'Retry-After': '7' }
    })
    const first = await call('GET', '/api-keys/current', admin.value)
    expect(first.status).toBe(429)
    expect(errorCode(first)).toBe('rate_limited')
    expect(first.headers.get('retry-after')).toBe('1')
    expect(first.headers.get('x-ratelimit-remaining')).not.toBeNull()
    const second = await call('GET', '/api-keys/current', admin.value)
    expect(second.headers.get('retry-after')).toBe('7')
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(200)
  })

  it('simulates a redirect with a 3xx and a Location header', async () => {
    emu.addFault({
      path: '/api-keys/current',
      status: 302,
      headers: { Location: 'http://127.0.0.1:9/x' }
    })
    const res = await call('GET', '/api-keys/current', admin.value)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('http://127.0.0.1:9/x')
    expect(res.text).toBe('')
  })

  it('holds a response for delayMs, long enough to trip a client timeout', async () => {
    emu.addFault({ path: '/api-keys/current', status: 200, body: '{}', delayMs: 2000 })
    const started = Date.now()
    await expect(
      fetch(`${emu.url}/api-keys/current`, {
        headers: { 'X-Api-Key': admin.value },
        signal: AbortSignal.timeout(200)
      })
    ).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('clears faults', async () => {
    emu.addFault({ path: '/api-keys/current', status: 500, times: 10 })
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(500)
    emu.clearFaults()
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(200)
  })
})

describe('rate limits', () => {
  it('sends X-RateLimit-Remaining and X-RateLimit-Reset on every response', async () => {
    const answers = [
      await call('GET', '/api-keys/current', admin.value),
      await call('GET', '/api-keys/current', admin.value),
      await call('GET', '/api-keys/current', undefined),
      await call('DELETE', `/api-keys/${emu.seedKey().id}`, admin.value),
      await call('GET', '/nope', admin.value)
    ]
    for (const res of answers) {
      expect(res.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/)
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBe(clock / 1000 + 60)
    }
    expect(answers[0].headers.get('x-ratelimit-remaining')).toBe('999')
    expect(answers[1].headers.get('x-ratelimit-remaining')).toBe('998')
  })

  it('answers 429 with Retry-After once a key exceeds its limit', async () => {
    emu.options.rateLimitPerMinute = 2
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(200)
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(200)
    const limited = await call('GET', '/api-keys/current', admin.value)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0')
    clock += 60_000
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(200)
  })
})

describe('key values', () => {
  it('never appear in a key object outside the POST answer', async () => {
    const created = await create(admin.value)
    const answers = [
      await call('GET', '/api-keys/current', created.key),
      await call('GET', '/api-keys/current', admin.value),
      await call('GET', `/api-keys/${created.id}`, admin.value),
      await call('GET', '/api-keys', admin.value),
      await call('PATCH', `/api-keys/${created.id}`, admin.value, { name: 'n' }),
      await call('GET', `/api-keys/${created.id}/usage`, admin.value),
      await call('DELETE', `/api-keys/${created.id}`, admin.value)
    ]
    for (const res of answers) {
      expect(res.status).toBeLessThan(300)
      expect(res.text).not.toContain(created.key)
      expect(res.text).not.toContain(admin.value)
      expect(res.text).not.toMatch(/"key"\s*:/)
    }
    for (const res of answers.slice(0, 3)) {
      expect(Object.keys(res.json as object).sort()).toEqual(KEY_FIELDS)
    }
  })
})

describe('hiveErrorBody', () => {
  it('builds the contract error body', () => {
    expect(JSON.parse(hiveErrorBody(404, 'no such key'))).toEqual({
      error: { code: 'not_found', message: 'no such key' }
    })
    expect(JSON.parse(hiveErrorBody(503, 'x')).error.code).toBe('unavailable')
  })
})

describe('tamper: lies told on the way out', () => {
  it('replaces a field of every key object, or of one key, and changes nothing held', async () => {
    const other = emu.seedKey({ name: 'other' })
    emu.tamper({ method: 'GET', path: '/api-keys', field: { name: 'prefix', value: '::x' } })
    emu.tamper({
      method: 'GET',
      path: '/api-keys/current',
      field: { name: 'scope.type', value: 'everything', keyId: other.id }
    })
    const list = (await call('GET', '/api-keys', admin.value)).json as { items: HiveKey[] }
    expect(list.items.map(k => k.prefix)).toEqual(['::x', '::x'])
    // keyId: only that key's object is changed.
    const own = (await call('GET', '/api-keys/current', admin.value)).json as HiveKey
    const others = (await call('GET', '/api-keys/current', other.value)).json as HiveKey
    expect([own.scope.type, others.scope.type]).toEqual(['all', 'everything'])
    expect(emu.key(admin.id)?.prefix).toBe(admin.value.slice(0, 7))
    expect(emu.requests.map(r => r.tampered ?? false)).toEqual([true, true, true])
  })

  it('computes a value from the honest object: a create whose prefix is its value', async () => {
    emu.tamper({
      method: 'POST',
      path: '/api-keys',
      field: { name: 'prefix', value: (k: Record<string, unknown>) => k.key }
    })
    const created = await create(admin.value)
    expect(created.prefix).toBe(created.key)
    expect(emu.accepts(created.key)).toBe(true) // the honest create took effect
  })

  it('answers a create with an existing key, value included, while the new key exists', async () => {
    const old = emu.seedKey({ name: 'old' })
    emu.tamper({ method: 'POST', path: '/api-keys', answerKey: { id: old.id, withValue: true } })
    const created = await create(admin.value)
    expect([created.id, created.key]).toEqual([old.id, old.value])
    expect(emu.keys().map(k => k.name)).toEqual(['admin', 'old', 'rotated'])
  })

  it('grants another expiry and permission than asked, and answers as granted', async () => {
    emu.tamper({
      method: 'POST',
      path: '/api-keys',
      grant: { expiresInMs: 90_000, permission: 'admin' }
    })
    const created = await create(admin.value)
    expect(created).toMatchObject({ permission: 'admin', expires_at: '2026-11-28T11:01:30Z' })
    expect(emu.key(created.id)).toMatchObject({
      permission: 'admin',
      expires_at: created.expires_at
    })
  })

  it('does not lie about a failure: only 2xx answers are altered', async () => {
    emu.tamper({ field: { name: 'id', value: 'x' } })
    const res = await call('GET', '/api-keys/current', 'hv_unknown')
    expect(res.status).toBe(401)
    expect(emu.requests[0].tampered).toBeUndefined()
  })

  it.each(['loop', 'endless'] as const)('makes next_cursor %s', async mode => {
    emu.tamper({ method: 'GET', path: '/api-keys', cursor: mode })
    const cursors: string[] = []
    let path = '/api-keys'
    for (let i = 0; i < 3; i++) {
      const page = (await call('GET', path, admin.value)).json as {
        items: HiveKey[]
        next_cursor: string
      }
      expect(page.items).toHaveLength(i === 0 ? 1 : 0)
      cursors.push(page.next_cursor)
      path = `/api-keys?cursor=${page.next_cursor}`
    }
    expect(new Set(cursors).size).toBe(mode === 'loop' ? 1 : 3)
  })

  it('streams a huge body as it drains, and stops when the client hangs up', async () => {
    emu.tamper({ method: 'GET', path: '/api-keys/current', hugeBodyBytes: 4 * 1024 * 1024 })
    const whole = await fetch(emu.url + '/api-keys/current', {
      headers: { 'X-Api-Key': admin.value }
    })
    expect((await whole.arrayBuffer()).byteLength).toBe(4 * 1024 * 1024 + 2)
    const controller = new AbortController()
    const cut = await fetch(emu.url + '/api-keys/current', {
      headers: { 'X-Api-Key': admin.value },
      signal: controller.signal
    })
    await cut.body!.getReader().read()
    controller.abort()
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(emu.requests[1].bytesSent).toBeLessThan(4 * 1024 * 1024)
  })

  it('streams an endless body until the client hangs up', async () => {
    emu.tamper({ method: 'GET', path: '/api-keys/current', endlessBody: true })
    const controller = new AbortController()
    const res = await fetch(emu.url + '/api-keys/current', {
      headers: { 'X-Api-Key': admin.value },
      signal: controller.signal
    })
    const reader = res.body!.getReader()
    let bytes = 0
    while (bytes < 3) bytes += (await reader.read()).value?.byteLength ?? 0
    controller.abort()
    expect(res.status).toBe(200)
    expect(emu.requests[0].bytesSent).toBeGreaterThanOrEqual(2)
  })
})

describe("createRevokes: a create that revokes the old key, as Hive's Generate button does", () => {
  it("'caller': the key that made the create answers 401 from then on", async () => {
    const rotating = emu.seedKey({ name: 'old admin' })
    emu.options.createRevokes = 'caller'
    clock += 60_000
    const created = await create(rotating.value, { permission: 'admin', scope: { type: 'all' } })
    expect((await call('GET', '/api-keys/current', rotating.value)).status).toBe(401)
    expect(emu.key(rotating.id)?.revoked_at).toBe('2026-11-28T11:01:00Z')
    expect((await call('GET', '/api-keys/current', created.key)).status).toBe(200)
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(200)
    expect(emu.requests.find(r => r.method === 'POST')?.revokedIds).toEqual([rotating.id])
    // The revoked key is gone from the list, as after a DELETE.
    const list = (await call('GET', '/api-keys', admin.value)).json as { items: HiveKey[] }
    expect(list.items.map(k => k.id)).toEqual([admin.id, created.id])
  })

  it('a function: the key it names (the one being rotated), also when the admin key creates', async () => {
    const ci = emu.seedKey({ name: 'ci', permission: 'read-only' })
    const seen: { callerId: string; created: HiveKey }[] = []
    emu.options.createRevokes = ctx => {
      seen.push(ctx)
      return ci.id
    }
    const created = await create(admin.value)
    expect(seen).toHaveLength(1)
    expect(seen[0].callerId).toBe(admin.id)
    expect(seen[0].created).toMatchObject({ id: created.id, name: 'rotated', revoked_at: null })
    expect(seen[0].created).not.toHaveProperty('key')
    expect((await call('GET', '/executions-cli/executions', ci.value)).status).toBe(401)
    expect((await call('GET', '/executions-cli/executions', created.key)).status).toBe(200)
    expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(200)
    expect(emu.activeKeys().map(k => k.id)).toEqual([admin.id, created.id])
    expect(emu.requests[0].revokedIds).toEqual([ci.id])
  })

  it('never revokes the created key, and ignores unknown or revoked ids and undefined', async () => {
    const gone = emu.seedKey({ permission: 'read-only' })
    expect((await call('DELETE', `/api-keys/${gone.id}`, admin.value)).status).toBe(204)
    const revokedAt = emu.key(gone.id)?.revoked_at
    let name: (created: HiveKey) => string | undefined = created => created.id
    emu.options.createRevokes = ({ created }) => name(created)
    const self = await create(admin.value)
    name = () => 'key_unknown'
    const unknown = await create(admin.value)
    name = () => gone.id
    clock += 60_000
    const again = await create(admin.value)
    name = () => undefined
    const none = await create(admin.value)
    for (const key of [self, unknown, again, none, admin]) {
      const value = 'key' in key ? key.key : key.value
      expect((await call('GET', '/api-keys/current', value)).status).toBe(200)
    }
    expect(emu.key(gone.id)?.revoked_at).toBe(revokedAt)
    const creates = emu.requests.filter(r => r.method === 'POST')
    expect(creates.map(r => r.revokedIds)).toEqual([[], [], [], []])
  })

  it('revokes nothing on a create that fails, and is off by default or when cleared', async () => {
    const ci = emu.seedKey({ permission: 'read-only' })
    emu.options.createRevokes = () => ci.id
    expect((await call('POST', '/api-keys', admin.value, createBody({ name: '' }))).status).toBe(
      422
    )
    emu.addFault({ method: 'POST', path: '/api-keys', status: 503 })
    expect((await call('POST', '/api-keys', admin.value, createBody())).status).toBe(503)
    expect(emu.accepts(ci.value)).toBe(true)
    emu.options.createRevokes = undefined
    await create(admin.value)
    expect(emu.accepts(ci.value)).toBe(true)
    expect(emu.requests.map(r => r.revokedIds)).toEqual([undefined, undefined, undefined])

    const plain = new HiveEmulator()
    expect(plain.options.createRevokes).toBeUndefined()
  })
})

describe('nameMaxLength: a deployment whose name column is shorter', () => {
  const LONG = 'hive-rotate-key octo/app HIVE_API_KEY 2026-11-28T11:00:00Z'

  it('cuts the name a create stores to N characters, and answers it as stored', async () => {
    emu.options.nameMaxLength = 20
    const created = await create(admin.value, { name: LONG })
    expect(created.name).toBe(LONG.slice(0, 20))
    expect(emu.key(created.id)?.name).toBe('hive-rotate-key octo')
    const read = await call('GET', `/api-keys/${created.id}`, admin.value)
    expect((read.json as HiveKey).name).toBe(LONG.slice(0, 20))
    // A name within the limit is kept whole.
    expect((await create(admin.value, { name: 'short' })).name).toBe('short')
  })

  it('cuts the name a patch stores, and checks the name before the cut', async () => {
    const target = await create(admin.value, { name: LONG })
    expect(target.name).toBe(LONG) // off by default
    emu.options.nameMaxLength = 10
    const patched = await call('PATCH', `/api-keys/${target.id}`, admin.value, { name: LONG })
    expect(patched.status).toBe(200)
    expect((patched.json as HiveKey).name).toBe('hive-rotat')
    expect(emu.key(target.id)?.name).toBe('hive-rotat')
    // A patch without a name leaves the stored one alone.
    await call('PATCH', `/api-keys/${target.id}`, admin.value, { permission: 'read-write' })
    expect(emu.key(target.id)?.name).toBe('hive-rotat')
    // Non-empty is checked on the name as sent: a blank one is still refused.
    const blank = await call('PATCH', `/api-keys/${target.id}`, admin.value, { name: '  ' })
    expect(blank.status).toBe(422)
    expect(errorMessage(blank)).toMatch(/^name/)
    // A name cut to leading blanks is stored as cut (the check came first).
    emu.options.nameMaxLength = 2
    const cut = await call('PATCH', `/api-keys/${target.id}`, admin.value, { name: '  x' })
    expect((cut.json as HiveKey).name).toBe('  ')
    emu.options.nameMaxLength = undefined
    const whole = await call('PATCH', `/api-keys/${target.id}`, admin.value, { name: LONG })
    expect((whole.json as HiveKey).name).toBe(LONG)
    expect(emu.contractViolations()).toEqual([])
  })
})

describe('delayCreate: a create that takes effect late, or is answered late', () => {
  it('takes effect after beforeEffectMs, and answers afterEffectMs later', async () => {
    emu.delayCreate({ beforeEffectMs: 250, afterEffectMs: 250 })
    const started = performance.now()
    let answeredAt: number | undefined
    const answer = call('POST', '/api-keys', admin.value, createBody()).then(res => {
      answeredAt = performance.now()
      return res
    })
    await pause(100)
    expect(emu.keys()).toHaveLength(1)
    expect(emu.requests[0]).toMatchObject({ method: 'POST', status: 0 })
    const effectAt = await until(() => emu.keys().length === 2)
    expect(effectAt - started).toBeGreaterThanOrEqual(240)
    // Took effect, status known, not answered yet.
    expect(emu.requests[0].status).toBe(201)
    expect(answeredAt).toBeUndefined()
    const res = await answer
    expect(res.status).toBe(201)
    expect(answeredAt! - started).toBeGreaterThanOrEqual(490)
    expect((res.json as NewHiveKey).id).toBe(emu.keys()[1].id)
    // times defaults to 1: the next create is not delayed.
    const next = performance.now()
    await create(admin.value)
    expect(performance.now() - next).toBeLessThan(200)
  })

  it('takes effect even when the client gave up before it', async () => {
    const ci = emu.seedKey({ permission: 'read-only' })
    emu.options.createRevokes = () => ci.id
    emu.delayCreate({ beforeEffectMs: 200 })
    const controller = new AbortController()
    const gaveUp = fetch(emu.url + '/api-keys', {
      method: 'POST',
      headers: { 'X-Api-Key': admin.value, 'Content-Type': 'application/json' },
      body: JSON.stringify(createBody()),
      signal: controller.signal
    })
    await pause(50)
    controller.abort()
    await expect(gaveUp).rejects.toThrow()
    expect(emu.keys()).toHaveLength(2)
    await until(() => emu.keys().length === 3)
    const created = emu.keys()[2]
    expect(emu.requests[0]).toMatchObject({ status: 201, keyId: admin.id, revokedIds: [ci.id] })
    expect((await call('GET', '/api-keys/current', created.value)).status).toBe(200)
    expect((await call('GET', '/api-keys/current', ci.value)).status).toBe(401)
  })

  it('counts creates as faults count calls: nth and times, faulted creates included', async () => {
    emu.addFault({ method: 'POST', path: '/api-keys', status: 503 })
    emu.delayCreate({ nth: 2, times: 2, afterEffectMs: 150 })
    const timed = async (): Promise<[number, number]> => {
      const started = performance.now()
      const res = await call('POST', '/api-keys', admin.value, createBody())
      return [res.status, performance.now() - started]
    }
    // Other requests are not counted.
    expect((await call('GET', '/api-keys', admin.value)).status).toBe(200)
    const [faulted, second, third, fourth] = [
      await timed(),
      await timed(),
      await timed(),
      await timed()
    ]
    expect(faulted[0]).toBe(503)
    expect(faulted[1]).toBeLessThan(140)
    expect([second[0], third[0], fourth[0]]).toEqual([201, 201, 201])
    expect(second[1]).toBeGreaterThanOrEqual(145)
    expect(third[1]).toBeGreaterThanOrEqual(145)
    expect(fourth[1]).toBeLessThan(140)
  })

  it('is cancelled by stop(): a create stopped before its effect never takes it', async () => {
    emu.delayCreate({ beforeEffectMs: 200 })
    const pending = call('POST', '/api-keys', admin.value, createBody()).catch(() => 'gone')
    // Stopped once the create has arrived (a fixed pause was not always enough on a loaded
    // machine), and well before its effect.
    while (emu.requests.length === 0) await pause(5)
    await emu.stop()
    expect(await pending).toBe('gone')
    await pause(250)
    expect(emu.keys()).toHaveLength(1)
    expect(emu.requests[0].status).toBe(0)
  })

  it('clears, and refuses a bad window or delay', async () => {
    emu.delayCreate({ times: Infinity, beforeEffectMs: 5_000 })
    emu.clearCreateDelays()
    const started = performance.now()
    await create(admin.value)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(() => emu.delayCreate({ nth: 0 })).toThrow('nth')
    expect(() => emu.delayCreate({ times: 1.5 })).toThrow('times')
    expect(() => emu.delayCreate({ beforeEffectMs: -1 })).toThrow('delays')
    expect(() => emu.delayCreate({ afterEffectMs: NaN })).toThrow('delays')
  })
})

describe('onAnswered: a hook after every request took effect', () => {
  it('is called once per request, with its status, after the effect and before the answer', async () => {
    const ci = emu.seedKey({ permission: 'read-only' })
    const seen: { record: HiveRequestRecord; status: number; keys: number; ciLive: boolean }[] = []
    emu.onAnswered = record => {
      seen.push({
        record,
        status: record.status,
        keys: emu.keys().length,
        ciLive: emu.accepts(ci.value)
      })
    }
    const created = await create(admin.value)
    expect((await call('DELETE', `/api-keys/${ci.id}`, admin.value)).status).toBe(204)
    expect((await call('GET', '/api-keys/current', ci.value)).status).toBe(401)
    expect((await call('POST', '/api-keys', admin.value, createBody({ name: '' }))).status).toBe(
      422
    )
    expect(seen.map(s => [s.record.method, s.status])).toEqual([
      ['POST', 201],
      ['DELETE', 204],
      ['GET', 401],
      ['POST', 422]
    ])
    // The state the hook saw is the state after each request: the key stored, then revoked.
    expect(seen.map(s => [s.keys, s.ciLive])).toEqual([
      [3, true],
      [3, false],
      [3, false],
      [3, false]
    ])
    expect(seen.map(s => s.record)).toEqual(emu.requests)
    expect(new Set(seen.map(s => s.record)).size).toBe(4)
    expect(seen[0].record.keyId).toBe(admin.id)
    expect(emu.accepts(created.key)).toBe(true)
  })

  it('includes faulted requests, and comes before latency and fault delays', async () => {
    emu.options.latencyMs = 150
    emu.addFault({ path: '/api-keys/current', status: 503, delayMs: 100 })
    const calls: [number, boolean, number][] = []
    emu.onAnswered = record => calls.push([record.status, record.fault ?? false, performance.now()])
    const started = performance.now()
    const faulted = await call('GET', '/api-keys/current', admin.value)
    const faultedAt = performance.now()
    expect(faulted.status).toBe(503)
    expect(calls).toHaveLength(1)
    expect(calls[0].slice(0, 2)).toEqual([503, true])
    expect(calls[0][2] - started).toBeLessThan(faultedAt - started - 200)
    const honest = await call('GET', '/api-keys/current', admin.value)
    expect(honest.status).toBe(200)
    expect(calls).toHaveLength(2)
    expect(calls[1].slice(0, 2)).toEqual([200, false])
    expect(performance.now() - calls[1][2]).toBeGreaterThanOrEqual(140)
  })

  it('comes when a delayed create takes effect, not when it is answered', async () => {
    emu.delayCreate({ beforeEffectMs: 100, afterEffectMs: 200 })
    const calls: number[] = []
    emu.onAnswered = record => calls.push(record.status)
    const answer = call('POST', '/api-keys', admin.value, createBody())
    await until(() => calls.length === 1)
    expect(calls).toEqual([201])
    expect(emu.keys()).toHaveLength(2)
    expect((await answer).status).toBe(201)
    expect(calls).toEqual([201])
  })

  it('logs and ignores what the hook throws', async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      emu.onAnswered = () => {
        throw new Error('invariant broken')
      }
      expect((await call('GET', '/api-keys/current', admin.value)).status).toBe(200)
      const created = await create(admin.value)
      expect(emu.accepts(created.key)).toBe(true)
      expect(logged).toHaveBeenCalledTimes(2)
      expect(String(logged.mock.calls[0][1])).toContain('invariant broken')
    } finally {
      logged.mockRestore()
    }
  })
})
