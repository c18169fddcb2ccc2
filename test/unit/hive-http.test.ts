import { afterEach, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  HiveHttp,
  HiveHttpError,
  MAX_BODY_BYTES,
  MAX_RETRY_AFTER_MS,
  type HiveHttpOptions,
  type HiveRequest
} from '../../src/hive/http.js'
import { redact, sanitize } from '../../src/text.js'
import { LoopbackServer } from '../emulators/loopback.js'
import { rejection } from '../support/rejection.js'

// Real HTTP servers on 127.0.0.1; only the clock (sleep, random, now) is injected.

const KEY = 'hv_live_S3cr3tKeyValue_0123456789'
const HTML = '<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>'

interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}
interface Reply {
  status?: number
  headers?: Record<string, string>
  /** An object is sent as JSON. */
  body?: unknown
  /** Never answer (to test timeouts). */
  hang?: boolean
}

const servers: LoopbackServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map(server => server.close()))
})

/** A server answering its nth request with replies[n] (the last one repeats). */
async function serve(...replies: Reply[]): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = new LoopbackServer()
  servers.push(server)
  const url = await server.listen((req, res) => {
    let body = ''
    req.on('data', chunk => (body += chunk))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const reply = replies[Math.min(seen.length, replies.length) - 1] ?? {}
      if (reply.hang) return
      const isJson = reply.body !== undefined && typeof reply.body !== 'string'
      const text = isJson ? JSON.stringify(reply.body) : ((reply.body as string | undefined) ?? '')
      res.writeHead(reply.status ?? 200, {
        ...(isJson ? { 'Content-Type': 'application/json' } : {}),
        ...reply.headers
      })
      res.end(text)
    })
  })
  return { url, seen }
}

/** A port nothing listens on. */
async function closedPort(): Promise<string> {
  const server = http.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

function setup(baseUrl: string, options: Partial<HiveHttpOptions> = {}) {
  const sleeps: number[] = []
  const debugs: string[] = []
  const hive = new HiveHttp({
    baseUrl,
    sleep: async ms => {
      sleeps.push(ms)
    },
    random: () => 0.5,
    debug: message => debugs.push(message),
    ...options
  })
  return { hive, sleeps, debugs }
}

const get = (extra: Partial<HiveRequest> = {}): HiveRequest => ({
  method: 'GET',
  path: '/api-keys/current',
  apiKey: KEY,
  doing: 'reading the current key',
  ...extra
})
const post = (extra: Partial<HiveRequest> = {}): HiveRequest => ({
  method: 'POST',
  path: '/api-keys',
  apiKey: KEY,
  body: { name: 'n' },
  doing: 'creating the new key',
  ...extra
})

const failure = (promise: Promise<unknown>) => rejection(promise, HiveHttpError)

const ok = { status: 200, body: { ok: true } }
const unavailable = { status: 503, headers: { 'Content-Type': 'text/html' }, body: HTML }

describe('origin pinning', () => {
  it('joins the path to hive-url, keeping its path prefix, and sends the headers', async () => {
    for (const suffix of ['/api', '/api/']) {
      const { url, seen } = await serve(ok)
      const { hive } = setup(url + suffix)
      const response = await hive.request(get())
      expect(response.body).toEqual({ ok: true })
      expect(seen[0].url).toBe('/api/api-keys/current')
      expect(seen[0].headers['x-api-key']).toBe(KEY)
      expect(seen[0].headers.accept).toBe('application/json')
      expect(seen[0].headers['user-agent']).toBe('hive-rotate-key')
    }
  })

  it('sends JSON bodies as application/json', async () => {
    const { url, seen } = await serve({ status: 201, body: { id: 'k' } })
    const { hive } = setup(url)
    await hive.request(post({ body: { name: 'x', scope: { type: 'all' } } }))
    expect(seen[0].method).toBe('POST')
    expect(seen[0].headers['content-type']).toBe('application/json')
    expect(JSON.parse(seen[0].body)).toEqual({ name: 'x', scope: { type: 'all' } })
  })

  it.each([
    '//evil.example/x',
    'https://evil.example/x',
    'http://127.0.0.1:1/x',
    'evil.example/x',
    '',
    '/../x',
    '/api-keys/../../x',
    '/%2e%2e/x',
    '/.%2E/x',
    '/./x',
    '\\\\evil.example\\x',
    '/x\\..\\y',
    '/x\n/y',
    '/x\t/y',
    '/x#fragment',
    '/x?next=https://evil.example'
  ])('refuses the path %j without sending anything', async path => {
    const calls: unknown[] = []
    const fakeFetch = (async (...args: unknown[]) => {
      calls.push(args)
      return new Response('{}')
    }) as typeof fetch
    for (const base of ['https://hive.example', 'https://hive.example/api']) {
      const { hive } = setup(base, { fetch: fakeFetch })
      const error = await failure(hive.request(get({ path })))
      expect(error.kind).toBe('refused')
      expect(error.message).toMatch(/^Refused to send the key while reading the current key/)
      expect(error.message).not.toContain(KEY)
    }
    expect(calls).toHaveLength(0)
  })

  it('refuses a key that could not be a header value, without quoting it', async () => {
    const calls: unknown[] = []
    const fakeFetch = (async (...args: unknown[]) => {
      calls.push(args)
      return new Response('{}')
    }) as typeof fetch
    const { hive } = setup('https://hive.example', { fetch: fakeFetch })
    for (const apiKey of ['', 'hv_secret\nX-Evil: 1', 'hv_secret key', 'hv_sécret']) {
      const error = await failure(hive.request(get({ apiKey })))
      expect(error.kind).toBe('refused')
      expect(error.message).not.toContain('hv_s')
    }
    expect(calls).toHaveLength(0)
  })
})

describe('plain http', () => {
  it.each([
    'http://example.com',
    'http://10.0.0.1',
    'http://localhost.evil.example',
    'http://127.0.0.1.nip.io',
    'http://[::2]'
  ])('is refused for %s', baseUrl => {
    expect(() => new HiveHttp({ baseUrl })).toThrow(/hive-url must use https/)
  })

  it.each([
    'http://localhost:8080',
    'http://127.0.0.1',
    'http://127.3.4.5:9',
    'http://127.1',
    'http://[::1]:9',
    'https://api.hive.darksidesecurity.io'
  ])('is allowed for loopback, and https anywhere: %s', baseUrl => {
    expect(() => new HiveHttp({ baseUrl })).not.toThrow()
  })

  it.each([
    ['ftp://hive.example', /must be an https URL/],
    ['https://user:pw@hive.example', /must not contain credentials/],
    ['https://hive.example/?x=1', /must not contain a query/],
    ['not a url', /not a valid URL/]
  ])('other bad base URLs are refused: %s', (baseUrl, message) => {
    expect(() => new HiveHttp({ baseUrl })).toThrow(message)
  })
})

describe('redirects', () => {
  it('are not followed: the target receives nothing, and the error names its origin only', async () => {
    const target = await serve(ok)
    const hive = await serve({
      status: 302,
      headers: { Location: `${target.url}/steal/${KEY}?k=${KEY}` }
    })
    const { hive: client, sleeps } = setup(hive.url)
    const error = await failure(client.request(get()))
    expect(error.kind).toBe('redirect')
    expect(error.status).toBe(302)
    expect(error.message).toBe(
      `Hive answered a redirect (302) to ${target.url} while reading the current key. ` +
        'Redirects are not followed: the key was not sent there. ' +
        "Check hive-url: it must be the API's own address."
    )
    expect(target.seen).toHaveLength(0)
    expect(hive.seen).toHaveLength(1) // not retried either
    expect(sleeps).toHaveLength(0)
  })

  it('are not followed to the same origin either', async () => {
    const hive = await serve({ status: 307, headers: { Location: '/elsewhere' } }, ok)
    const { hive: client } = setup(hive.url)
    const error = await failure(client.request(post()))
    expect(error.message).toContain(`redirect (307) to ${hive.url} while creating the new key`)
    expect(hive.seen.map(s => s.url)).toEqual(['/api-keys'])
  })
})

describe('timeouts', () => {
  it('time out each attempt, and a GET is retried', async () => {
    const { url, seen } = await serve({ hang: true }, ok)
    const { hive, sleeps, debugs } = setup(url, { timeoutMs: 100 })
    const response = await hive.request(get())
    expect(response.status).toBe(200)
    expect(seen).toHaveLength(2)
    expect(sleeps).toEqual([500])
    expect(debugs).toEqual([
      'Hive timed out after 0.1s while reading the current key; retrying in 0.5s (attempt 2 of 5)'
    ])
  })

  it('are reported with what was being done once the attempts run out', async () => {
    const { url, seen } = await serve({ hang: true })
    const { hive } = setup(url, { timeoutMs: 100, maxAttempts: 2 })
    const error = await failure(hive.request(get({ method: 'DELETE', doing: 'revoking key k' })))
    expect(error.kind).toBe('timeout')
    expect(error.message).toBe(
      'Hive timed out after 0.1s while revoking key k. Gave up after 2 attempts.'
    )
    expect(seen).toHaveLength(2)
  })

  it('are not retried for a POST', async () => {
    const { url, seen } = await serve({ hang: true }, ok)
    const { hive } = setup(url, { timeoutMs: 100 })
    const error = await failure(hive.request(post()))
    expect(error.message).toMatch(
      /^Hive timed out after 0.1s while creating the new key\. Not retried: Hive may have/
    )
    expect(seen).toHaveLength(1)
  })
})

describe('retries and backoff', () => {
  it('honour a larger Retry-After (seconds) on 429', async () => {
    const { url, seen } = await serve(
      { status: 429, headers: { 'Retry-After': '7' }, body: { error: { code: 'rate_limited' } } },
      ok
    )
    const { hive, sleeps, debugs } = setup(url)
    expect((await hive.request(get())).status).toBe(200)
    expect(seen).toHaveLength(2)
    expect(sleeps).toEqual([7000]) // backoff alone would have been 0.5 * 1000
    expect(debugs[0]).toBe(
      'Hive answered 429 while reading the current key; retrying in 7s (Retry-After 7s) ' +
        '(attempt 2 of 5)'
    )
  })

  it('honour a Retry-After given as an HTTP date', async () => {
    const now = Date.UTC(2026, 10, 28, 11, 0, 0)
    const retryAt = new Date(now + 20_000).toUTCString()
    const { url } = await serve({ status: 503, headers: { 'Retry-After': retryAt } }, ok)
    const { hive, sleeps } = setup(url, { now: () => now })
    await hive.request(get())
    expect(sleeps).toEqual([20_000])
  })

  it('keep the backoff when Retry-After is smaller', async () => {
    const { url } = await serve({ status: 429, headers: { 'Retry-After': '0' } }, ok)
    const { hive, sleeps } = setup(url)
    await hive.request(get())
    expect(sleeps).toEqual([500])
  })

  it(`stop, and say so, when Retry-After exceeds ${MAX_RETRY_AFTER_MS / 1000}s`, async () => {
    const { url, seen } = await serve({ status: 429, headers: { 'Retry-After': '600' } }, ok)
    const { hive, sleeps } = setup(url)
    const error = await failure(hive.request(get()))
    expect(error.message).toBe(
      'Hive answered 429 (rate limited) while reading the current key: rate limited. ' +
        'It sent an empty body. Hive asked to wait 600s before retrying, longer than the 120s ' +
        'this action waits; run it again later.'
    )
    expect(seen).toHaveLength(1)
    expect(sleeps).toHaveLength(0)
  })

  it('grow exponentially; 5xx exhausted gives one clear line', async () => {
    const { url, seen } = await serve(unavailable)
    const { hive, sleeps, debugs } = setup(url)
    const error = await failure(hive.request(get()))
    expect(seen).toHaveLength(5)
    expect(sleeps).toEqual([500, 1000, 2000, 4000]) // random 0.5 × 1s, 2s, 4s, 8s
    expect(debugs).toHaveLength(4)
    expect(debugs[3]).toBe(
      'Hive answered 503 while reading the current key; retrying in 4s (attempt 5 of 5)'
    )
    expect(error.status).toBe(503)
    expect(error.attempts).toBe(5)
    expect(error.message).toBe(
      'Hive answered 503 (unavailable) while reading the current key: Hive is unavailable. ' +
        `It sent a non-JSON body (text/html, ${HTML.length} bytes). Gave up after 5 attempts.`
    )
    expect(error.message).not.toMatch(/\n|\bat \w|<html|SyntaxError/)
  })

  it('never exceed min(maxDelayMs, baseDelayMs * 2^(n-1)), and use the whole jitter range', async () => {
    const { url } = await serve({ status: 500 })
    const high = setup(url, { random: () => 0.999, maxAttempts: 7, maxDelayMs: 3000 })
    await failure(high.hive.request(get()))
    expect(high.sleeps.map(Math.round)).toEqual([999, 1998, 2997, 2997, 2997, 2997])

    const low = setup(url, { random: () => 0, maxAttempts: 3 })
    await failure(low.hive.request(get()))
    expect(low.sleeps).toEqual([0, 0])

    const any = setup(url, { random: Math.random, maxAttempts: 10, maxDelayMs: 30_000 })
    await failure(any.hive.request(get()))
    any.sleeps.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThanOrEqual(Math.min(30_000, 1000 * 2 ** i))
    })
  })

  it('retry a 503 with an HTML body, then return the JSON answer', async () => {
    const { url } = await serve(unavailable, { status: 200, body: { id: 'key_1' } })
    const { hive, sleeps } = setup(url)
    const response = await hive.request(get())
    expect(response.body).toEqual({ id: 'key_1' })
    expect(sleeps).toHaveLength(1)
  })

  it('do not retry a POST on 503: it may have created a key', async () => {
    const { url, seen } = await serve(unavailable, { status: 201, body: { id: 'k' } })
    const { hive, sleeps } = setup(url)
    const error = await failure(hive.request(post()))
    expect(seen).toHaveLength(1)
    expect(sleeps).toHaveLength(0)
    expect(error.message).toBe(
      'Hive answered 503 (unavailable) while creating the new key: Hive is unavailable. ' +
        `It sent a non-JSON body (text/html, ${HTML.length} bytes). Not retried: Hive may have ` +
        'carried out this POST, and repeating it could do it twice.'
    )
  })

  it('retry a POST on 503 when asked to', async () => {
    const { url, seen } = await serve(unavailable, { status: 201, body: { id: 'k' } })
    const { hive } = setup(url)
    expect((await hive.request(post({ retryOn5xx: true }))).status).toBe(201)
    expect(seen).toHaveLength(2)
  })

  it('retry a POST on 429: Hive did not process it', async () => {
    const { url, seen } = await serve(
      { status: 429, headers: { 'Retry-After': '2' } },
      { status: 201, body: { id: 'k' } }
    )
    const { hive, sleeps } = setup(url)
    expect((await hive.request(post())).status).toBe(201)
    expect(seen).toHaveLength(2)
    expect(sleeps).toEqual([2000])
  })

  it('report 429 after the attempts run out', async () => {
    const { url, seen } = await serve({ status: 429, body: { error: { code: 'rate_limited' } } })
    const { hive } = setup(url, { maxAttempts: 3 })
    const error = await failure(hive.request(get()))
    expect(seen).toHaveLength(3)
    expect(error.code).toBe('rate_limited')
    expect(error.message).toBe(
      'Hive answered 429 (rate limited) while reading the current key: rate limited. ' +
        'Gave up after 3 attempts.'
    )
  })

  it('retry network errors for a GET, not for a POST', async () => {
    const url = await closedPort()
    const getting = setup(url, { maxAttempts: 3 })
    const error = await failure(getting.hive.request(get()))
    expect(error.kind).toBe('network')
    expect(error.message).toBe(
      `Could not reach Hive at ${url} while reading the current key: ECONNREFUSED. ` +
        'Gave up after 3 attempts.'
    )
    expect(getting.sleeps).toHaveLength(2)
    expect(getting.debugs[0]).toMatch(/^Could not reach Hive \(ECONNREFUSED\) while reading/)

    const posting = setup(url)
    const postError = await failure(posting.hive.request(post()))
    expect(postError.message).toMatch(/ECONNREFUSED\. Not retried/)
    expect(posting.sleeps).toHaveLength(0)
  })

  it('do not retry other 4xx', async () => {
    const { url, seen } = await serve({ status: 401 })
    const { hive } = setup(url)
    await failure(hive.request(get()))
    expect(seen).toHaveLength(1)
  })
})

describe('errors', () => {
  const hiveError = (status: number, code: string, message: string): Reply => ({
    status,
    body: { error: { code, message } }
  })

  it.each([
    [
      hiveError(401, 'unauthorized', 'invalid api key'),
      'Hive answered 401 (unauthorized) while creating the new key: the key is invalid, ' +
        'expired or revoked. Hive said: "invalid api key".'
    ],
    [
      hiveError(403, 'forbidden', 'admin permission required'),
      'Hive answered 403 (forbidden) while creating the new key: the key lacks the permission ' +
        'or scope for this. Hive said: "admin permission required".'
    ],
    [
      hiveError(422, 'invalid_request', 'expires_at: at most 365 days ahead'),
      'Hive answered 422 (invalid request) while creating the new key: Hive rejected the ' +
        'request: expires_at: at most 365 days ahead.'
    ],
    [
      { status: 404, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: HTML },
      'Hive answered 404 (not found) while creating the new key: Hive has no such resource ' +
        '(an unknown or revoked key id, or a wrong path). It sent a non-JSON body ' +
        `(text/html, ${HTML.length} bytes).`
    ],
    [
      { status: 418 },
      'Hive answered 418 (unexpected) while creating the new key: a status the Hive API ' +
        'contract does not describe. It sent an empty body.'
    ]
  ])('say what was being done and what the status means (%#)', async (reply, message) => {
    const { url } = await serve(reply)
    const { hive } = setup(url)
    const error = await failure(hive.request(post()))
    expect(error.message).toBe(message)
    expect(error.doing).toBe('creating the new key')
    expect(error.status).toBe(reply.status)
  })

  it('return expected statuses instead of throwing', async () => {
    const { url } = await serve(hiveError(404, 'not_found', 'no such key'))
    const { hive } = setup(url)
    const response = await hive.request(get({ expect: [404] }))
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ error: { code: 'not_found', message: 'no such key' } })
  })

  it("clean and cap Hive's message", async () => {
    const message =
      'line one\nline two\r\n::add-mask::x \u001b[31mred\u001b[0m \u202eevil ' + 'x'.repeat(500)
    const { url } = await serve(hiveError(401, 'unauthorized\n::warning::', message))
    const { hive } = setup(url)
    const error = await failure(hive.request(get()))
    expect(error.hiveMessage).toMatch(/^line one line two ::add-mask::x \[31mred \[0m evil x+…$/)
    expect(Array.from(error.hiveMessage ?? '')).toHaveLength(200)
    expect(error.code).toBe('unauthorized ::warning::')
    expect(error.message).not.toMatch(/[\p{Cc}\p{Cf}]/u)
  })
})

describe('bodies', () => {
  it('a 200 that is not JSON is an error', async () => {
    const { url } = await serve({
      status: 200,
      headers: { 'Content-Type': 'text/html' },
      body: HTML
    })
    const { hive } = setup(url)
    const error = await failure(hive.request(get()))
    expect(error.kind).toBe('invalid-response')
    expect(error.message).toBe(
      'Hive answered 200 with a body that is not JSON while reading the current key ' +
        `(a non-JSON body (text/html, ${HTML.length} bytes)). ` +
        'Check hive-url: it must point at the Hive API, not a web page.'
    )
  })

  it('an empty 200 is an error; an empty 204 is not', async () => {
    const { url } = await serve({ status: 200 }, { status: 204 })
    const { hive } = setup(url)
    expect((await failure(hive.request(get()))).message).toContain('(an empty body)')
    const response = await hive.request(get({ method: 'DELETE' }))
    expect(response.status).toBe(204)
    expect(response.body).toBeUndefined()
  })

  it('a caller may accept a 2xx that is not JSON', async () => {
    const { url } = await serve({ status: 200, body: 'fine' })
    const { hive } = setup(url)
    const response = await hive.request(get({ expectJson: false }))
    expect(response).toMatchObject({ status: 200, body: undefined, text: 'fine' })
  })
})

/**
 * A server that streams its answer: `chunkBytes` every `everyMs`, until `totalBytes` (or forever),
 * with an optional declared Content-Length. `sent` counts what it managed to write before the
 * client hung up: what proves a body was cut rather than downloaded.
 */
async function stream(opts: {
  status?: number
  chunkBytes: number
  everyMs: number
  totalBytes?: number
  contentLength?: number
}) {
  const state = { sent: 0, closed: false, requests: 0 }
  const server = new LoopbackServer()
  servers.push(server)
  const chunk = Buffer.alloc(opts.chunkBytes, 0x20) // spaces: valid JSON whitespace, never ends
  const url = await server.listen((req, res) => {
    state.requests += 1
    res.writeHead(opts.status ?? 200, {
      'Content-Type': 'application/json',
      ...(opts.contentLength !== undefined ? { 'Content-Length': opts.contentLength } : {})
    })
    res.write('{"items": [')
    const timer = setInterval(() => {
      if (opts.totalBytes !== undefined && state.sent >= opts.totalBytes) {
        clearInterval(timer)
        return res.end(']}')
      }
      state.sent += chunk.length
      res.write(chunk)
    }, opts.everyMs)
    res.on('close', () => {
      state.closed = true
      clearInterval(timer)
    })
  })
  return { url, state }
}

describe('bounded answers', () => {
  it(`cut a body past ${MAX_BODY_BYTES / 1024 / 1024} MiB, without reading the rest`, async () => {
    const { url, state } = await stream({ chunkBytes: 64 * 1024, everyMs: 1 })
    const { hive, sleeps } = setup(url)
    const error = await failure(hive.request(get()))
    expect(error.kind).toBe('invalid-response')
    expect(error.message).toBe(
      'Hive answered 200 with a body larger than 1 MiB while reading the current key; stopped ' +
        'reading it. Nothing was taken from it. Check hive-url: it must point at the Hive API.'
    )
    // Not retried: a server that sends this much once does it again.
    expect([state.requests, sleeps]).toEqual([1, []])
    await until(() => state.closed)
    expect(state.sent).toBeLessThan(8 * MAX_BODY_BYTES)
  })

  it('refuse a declared Content-Length past the cap before reading the body', async () => {
    const { url, state } = await stream({
      chunkBytes: 1024,
      everyMs: 50,
      contentLength: 700 * 1024 * 1024
    })
    const { hive } = setup(url)
    const error = await failure(hive.request(get({ expect: [500] })))
    expect(error.message).toContain('a body larger than 1 MiB')
    await until(() => state.closed)
    expect(state.sent).toBeLessThan(64 * 1024)
  })

  it('cut an error body past the cap too', async () => {
    const { url } = await stream({ status: 503, chunkBytes: 64 * 1024, everyMs: 1 })
    const { hive } = setup(url)
    const error = await failure(hive.request(get()))
    expect(error.message).toMatch(/^Hive answered 503 with a body larger than 1 MiB/)
  })

  it('read a body of exactly the cap', async () => {
    const filler = ' '.repeat(MAX_BODY_BYTES - '{"ok":true}'.length)
    const { url } = await serve({ status: 200, body: `{"ok":true}${filler}` })
    const { hive } = setup(url)
    expect((await hive.request(get())).body).toEqual({ ok: true })
  })

  it('cut a body that never ends at the deadline of the attempt', async () => {
    const { url, state } = await stream({ chunkBytes: 1, everyMs: 20 })
    const { hive } = setup(url, { timeoutMs: 200, maxAttempts: 2 })
    const started = Date.now()
    const error = await failure(hive.request(get()))
    expect(error.kind).toBe('timeout')
    expect(error.message).toBe(
      'Hive timed out after 0.2s while reading the current key. Gave up after 2 attempts.'
    )
    expect(state.requests).toBe(2)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it.each([
    ['86401', 86_401_000],
    [new Date(Date.UTC(2026, 10, 29, 11, 0, 0)).toUTCString(), 86_400_000]
  ])('stop at once on a Retry-After of a day (%s), without sleeping', async (header, ms) => {
    const now = Date.UTC(2026, 10, 28, 11, 0, 0)
    const { url, seen } = await serve({ status: 429, headers: { 'Retry-After': header } })
    const { hive, sleeps } = setup(url, { now: () => now })
    const error = await failure(hive.request(get()))
    expect(error.status).toBe(429)
    expect(error.message).toContain(
      `rate limited. It sent an empty body. Hive asked to wait ${ms / 1000}s`
    )
    expect([seen.length, sleeps]).toEqual([1, []])
  })
})

/** Polls (real time, briefly) until the condition holds: a server sees a hang-up a moment late. */
async function until(condition: () => boolean) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise(r => setTimeout(r, 10))
  expect(condition()).toBe(true)
}

describe('the key never appears', () => {
  it('in any error or debug message, even when Hive echoes it', async () => {
    const bodySecret = 'BODY-SECRET-do-not-print'
    const echo = { error: { code: KEY, message: `the key ${KEY} is revoked` } }
    const target = await serve(ok)
    const scenarios: Reply[][] = [
      [{ status: 401, body: echo }],
      [{ status: 422, body: echo }],
      [{ status: 503, headers: { 'Retry-After': '1' }, body: echo }],
      [{ status: 429, headers: { 'Retry-After': '9999' }, body: echo }],
      [{ status: 500, headers: { 'Content-Type': `text/${KEY}` }, body: `<p>${KEY}</p>` }],
      [{ status: 200, headers: { 'Content-Type': `text/${KEY}` }, body: `<p>${KEY}</p>` }],
      [{ status: 302, headers: { Location: `${target.url}/${KEY}?key=${KEY}` } }],
      [{ hang: true }]
    ]
    const collected: string[] = []
    {
      const { hive } = setup('https://hive.example')
      const error = await failure(hive.request(get({ path: `//evil.example/${KEY}` })))
      expect(error.kind).toBe('refused')
      collected.push(error.message)
    }
    for (const replies of scenarios) {
      const { url } = await serve(...replies)
      for (const request of [get(), post({ body: { name: bodySecret }, retryOn5xx: true })]) {
        const { hive, debugs } = setup(url, { timeoutMs: 100, maxAttempts: 2 })
        const error = await failure(hive.request(request))
        collected.push(error.message, String(error), error.stack ?? '', JSON.stringify(error))
        collected.push(...debugs)
      }
    }
    expect(collected.length).toBeGreaterThan(40)
    for (const text of collected) {
      expect(text).not.toContain(KEY)
      expect(text).not.toContain(bodySecret)
    }
    expect(target.seen).toHaveLength(0)
  })
})

describe('helpers', () => {
  it('redact replaces every occurrence of every secret', () => {
    expect(redact('a KEY b KEY c OTHER', ['KEY', 'OTHER', ''])).toBe('a *** b *** c ***')
  })

  it('sanitize flattens, redacts after flattening, and caps', () => {
    expect(sanitize('a\n\tb\u0000c')).toBe('a b c')
    expect(sanitize('x hv_secret y', ['hv_secret'])).toBe('x *** y')
    expect(sanitize('abcdef', [], 4)).toBe('abc…')
  })
})
