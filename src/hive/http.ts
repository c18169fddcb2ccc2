/**
 * The one door between this action and Hive: every request that carries `X-Api-Key` goes through
 * `HiveHttp.request`. This file is where invariant 6 of shared/design/action.md is kept:
 *
 * - the key goes only to the origin of hive-url: each path is checked, then the joined URL is
 *   compared with the base's origin, before anything is sent;
 * - never over plain http, unless the host is loopback (a local emulator), and then direct, never
 *   through a proxy (http/agent.ts routes it);
 * - never along a redirect: fetch is told not to follow, and any 3xx is an error.
 *
 * And invariant 3, for HTTP: no message built here contains the key or a request body. The only
 * text taken from Hive's answers (its `error.message`, a content type, a redirect's origin) is
 * cleaned of control characters, capped, and has the key redacted, in case a server echoes it.
 */

import { readCapped } from '../body.js'
import { fetch as proxyFetch, isLoopbackHost } from '../http/agent.js'
import { redact, sanitize } from '../text.js'
import { neverCancelled, type Cancellation } from '../cancel.js'

export interface HiveHttpOptions {
  /** hive-url, already validated by settings; a path prefix (https://h/api) is kept. */
  baseUrl: string
  /** Per attempt, body included. Default 15 000. */
  timeoutMs?: number
  /** First try plus retries. Default 5. */
  maxAttempts?: number
  /** Backoff before the first retry, before jitter. Default 1 000. */
  baseDelayMs?: number
  /** Backoff ceiling, before jitter. Default 30 000. */
  maxDelayMs?: number
  /** Injected so tests don't wait. */
  sleep?: (ms: number) => Promise<void>
  /** Injected for jitter; returns [0, 1). */
  random?: () => number
  /** Injected clock, used to read a Retry-After given as an HTTP date. */
  now?: () => number
  /** Default: undici's, through the process's proxy-aware dispatcher (http/agent.ts). */
  fetch?: typeof fetch
  /**
   * The run's stop (cancel.ts): no attempt starts after it, a wait between attempts ends at it,
   * and an attempt in flight is aborted at its deadline.
   */
  cancellation?: Cancellation
  /** Receives one line per retry. Never the key, never a body. */
  debug?: (message: string) => void
}

export type HiveMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE'

export interface HiveRequest {
  method: HiveMethod
  /** Starts with a single '/', relative to hive-url (its path prefix included). */
  path: string
  apiKey: string
  /** Sent as JSON. */
  body?: unknown
  /** What the request is for, in words: 'creating the new key'. Used in every message. */
  doing: string
  /** Retry a POST on 5xx, timeouts and network errors too. Default false: it may have been done. */
  retryOn5xx?: boolean
  /** Statuses returned to the caller rather than thrown, e.g. [404]. */
  expect?: number[]
  /** A 2xx other than 204 must carry JSON. Default true. */
  expectJson?: boolean
}

export interface HiveResponse {
  status: number
  headers: Headers
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown
  /** The raw body. The answer to POST /api-keys holds a key value here: never log it. */
  text: string
}

export type HiveHttpErrorKind =
  | 'status' // Hive answered a status that is neither 2xx nor expected
  | 'redirect' // Hive answered 3xx; not followed
  | 'timeout'
  | 'network' // no answer: connection refused, DNS, reset…
  | 'invalid-response' // a 2xx whose body is not what was expected
  | 'refused' // this module refused to send the request (a bad path or key)

export class HiveHttpError extends Error {
  override readonly name = 'HiveHttpError'
  readonly kind: HiveHttpErrorKind
  /** What was being done, as given by the caller. */
  readonly doing: string
  readonly status?: number
  /** Hive's `error.code`, cleaned. */
  readonly code?: string
  /** Hive's `error.message`, cleaned, capped and redacted. */
  readonly hiveMessage?: string
  /** Requests sent, retries included (0 when refused before sending). */
  readonly attempts: number

  constructor(
    message: string,
    details: {
      kind: HiveHttpErrorKind
      doing: string
      status?: number
      code?: string
      hiveMessage?: string
      attempts?: number
    }
  ) {
    super(message)
    this.kind = details.kind
    this.doing = details.doing
    this.status = details.status
    this.code = details.code
    this.hiveMessage = details.hiveMessage
    this.attempts = details.attempts ?? 0
  }
}

/** Hive may ask to wait longer than this (Retry-After); the action then stops rather than wait. */
export const MAX_RETRY_AFTER_MS = 120_000

/**
 * The largest answer read. A page of 100 key objects is some 50 KiB; anything past this is a broken
 * or hostile server, and reading on would only fill memory. Read as a stream and cut here.
 */
export const MAX_BODY_BYTES = 1024 * 1024

/** A key is sent as a header, so it must be visible ASCII. Also what a created key must look like. */
export const KEY_PATTERN = /^[\x21-\x7e]+$/

const USER_AGENT = 'hive-rotate-key'

/** Where plain http may go (http/agent.ts sends it there direct, never through a proxy). */
export { isLoopbackHost }

/** Why a request path may not be joined to hive-url, or undefined when it may. */
export function pathProblem(path: string): string | undefined {
  if (typeof path !== 'string' || !path.startsWith('/')) return 'must start with "/"'
  if (path.startsWith('//')) return 'must not start with "//" (that names another host)'
  if (path.includes('\\')) return 'must not contain "\\"'
  if (/[\p{Cc}\p{Cf}\s]/u.test(path)) return 'must not contain spaces or control characters'
  if (path.includes('://')) return 'must not contain a URL scheme'
  if (path.includes('#')) return 'must not contain a fragment ("#")'
  // URL parsers resolve '.', '..' and their percent-encoded spellings (%2e) in the path.
  const segments = path.split('?')[0].split('/')
  if (segments.some(s => /^(\.|%2e){1,2}$/i.test(s))) return 'must not contain "." or ".." segments'
  return undefined
}

const STATUS_WORDS: Record<number, string> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  409: 'conflict',
  422: 'invalid request',
  429: 'rate limited',
  500: 'internal error',
  502: 'bad gateway',
  503: 'unavailable',
  504: 'gateway timeout'
}

function statusMeaning(status: number, hiveMessage: string | undefined): string {
  if (status === 401) return 'the key is invalid, expired or revoked.'
  if (status === 403) return 'the key lacks the permission or scope for this.'
  if (status === 404)
    return 'Hive has no such resource (an unknown or revoked key id, or a wrong path).'
  if (status === 422) return `Hive rejected the request: ${hiveMessage ?? 'no reason given'}.`
  if (status === 429) return 'rate limited.'
  if (status >= 500) return 'Hive is unavailable.'
  return 'a status the Hive API contract does not describe.'
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined // an HTML error page from a proxy, say; described, never thrown
  }
}

/** Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3). */
function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** What one attempt came back with. */
type Outcome =
  | { kind: 'response'; status: number; headers: Headers; text: string; bytes: number }
  | { kind: 'too-large'; status: number }
  | { kind: 'timeout' }
  | { kind: 'network'; detail: string; unresolved?: string }

export class HiveHttp {
  private readonly origin: string
  /** hive-url's path without its trailing '/': '' or e.g. '/api'. */
  private readonly prefix: string
  private readonly timeoutMs: number
  private readonly maxAttempts: number
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly sleep: (ms: number) => Promise<void>
  private readonly random: () => number
  private readonly now: () => number
  private readonly fetch: typeof fetch
  private readonly debug: (message: string) => void
  private readonly cancellation: Cancellation
  /** Attempts sent per key, so a run can tell its own use of a key from anyone else's. */
  private readonly attempts = new Map<string, number>()

  /** hive-url as requests use it: the origin and the path prefix (never credentials). */
  get baseUrl(): string {
    return `${this.origin}${this.prefix}`
  }

  constructor(options: HiveHttpOptions) {
    let base: URL
    try {
      base = new URL(options.baseUrl)
    } catch {
      throw new Error('hive-url is not a valid URL')
    }
    // Settings checks this too; this is the layer that actually sends the key, so it checks again.
    if (base.protocol === 'http:' && !isLoopbackHost(base.hostname)) {
      throw new Error(
        `hive-url must use https: plain http would send the key in clear text to ${base.origin} ` +
          '(http is allowed only for localhost, 127.0.0.0/8 and [::1])'
      )
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new Error('hive-url must be an https URL')
    }
    if (base.username || base.password) throw new Error('hive-url must not contain credentials')
    if (base.search || base.hash) throw new Error('hive-url must not contain a query or fragment')

    this.origin = base.origin
    this.prefix = base.pathname.replace(/\/+$/, '')
    this.timeoutMs = options.timeoutMs ?? 15_000
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5)
    this.baseDelayMs = options.baseDelayMs ?? 1_000
    this.maxDelayMs = options.maxDelayMs ?? 30_000
    this.cancellation = options.cancellation ?? neverCancelled()
    // A stop ends the wait at once (a CancelledError); tests inject their own.
    this.sleep = options.sleep ?? (ms => this.cancellation.sleep(ms))
    this.random = options.random ?? Math.random
    this.now = options.now ?? Date.now
    this.fetch = options.fetch ?? proxyFetch
    this.debug = options.debug ?? (() => {})
  }

  /** How many requests (attempts, retries included) this client has sent with the key. */
  sentWith(apiKey: string): number {
    return this.attempts.get(apiKey) ?? 0
  }

  /** The URL a path is sent to; throws (sending nothing) when it would leave hive-url's origin. */
  url(path: string, doing = 'building a request', secrets: readonly string[] = []): URL {
    const problem = pathProblem(path)
    const url = problem ? undefined : new URL(this.origin + this.prefix + path)
    // Belt and braces after the path checks: same origin, and still under hive-url's path.
    if (!url || url.origin !== this.origin || !url.pathname.startsWith(this.prefix + '/')) {
      const message =
        `Refused to send the key while ${doing}: the path "${sanitize(String(path))}" ` +
        `${problem ?? 'leaves hive-url'}; the key goes only to ${this.origin}${this.prefix}.`
      throw new HiveHttpError(redact(message, secrets), { kind: 'refused', doing })
    }
    return url
  }

  async request(opts: HiveRequest): Promise<HiveResponse> {
    const { method, apiKey, doing } = opts
    const secrets = [apiKey]
    // Every message leaves through these two, redacted: a last guard, not the first one.
    const fail = (message: string, details: ConstructorParameters<typeof HiveHttpError>[1]) =>
      new HiveHttpError(redact(message, secrets), details)
    const debug = (message: string) => this.debug(redact(message, secrets))

    const url = this.url(opts.path, doing, secrets)
    // Checked here because undici's own error for a bad header value quotes the value.
    if (typeof apiKey !== 'string' || !KEY_PATTERN.test(apiKey)) {
      throw fail(
        `Refused to send the key while ${doing}: it is empty or holds characters a key can't ` +
          'have (spaces, line breaks or non-ASCII); check how the secret was stored.',
        { kind: 'refused', doing }
      )
    }
    const headers: Record<string, string> = {
      'X-Api-Key': apiKey,
      Accept: 'application/json',
      'User-Agent': USER_AGENT
    }
    let body: string | undefined
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body)
      headers['Content-Type'] = 'application/json'
    }
    // 429 means Hive did not process the request, so it is always retried. Anything else that
    // failed may have been carried out: retried only where doing it twice is harmless.
    const mayRepeat = method !== 'POST' || opts.retryOn5xx === true
    const notRepeated =
      ' Not retried: Hive may have carried out this POST, and repeating it could do it twice.'

    for (let attempt = 1; ; attempt++) {
      this.cancellation.throwIfStopped()
      this.attempts.set(apiKey, (this.attempts.get(apiKey) ?? 0) + 1)
      const outcome = await this.attempt(url, method, headers, body)
      const gaveUp = attempt > 1 ? ` Gave up after ${attempt} attempts.` : ''
      let error: HiveHttpError
      let retryable: boolean
      let retryAfterMs: number | undefined

      if (outcome.kind === 'too-large') {
        // Not retried: a server that sends this much once will do it again.
        throw fail(
          `Hive answered ${outcome.status} with a body larger than ` +
            `${MAX_BODY_BYTES / 1024 / 1024} MiB while ${doing}; stopped reading it. Nothing ` +
            'was taken from it. Check hive-url: it must point at the Hive API.',
          { kind: 'invalid-response', doing, status: outcome.status, attempts: attempt }
        )
      } else if (outcome.kind === 'timeout') {
        retryable = mayRepeat
        error = fail(
          `Hive timed out after ${seconds(this.timeoutMs)} while ${doing}.` +
            (retryable ? gaveUp : notRepeated),
          { kind: 'timeout', doing, attempts: attempt }
        )
      } else if (outcome.kind === 'network' && outcome.unresolved !== undefined) {
        // The name does not exist (EAI_AGAIN is the transient DNS failure, retried below): asking
        // again only delays the answer. Nothing was sent. Behind a proxy, the proxy resolves it.
        throw fail(
          `Could not reach Hive at ${this.origin} while ${doing}: ENOTFOUND, the name ` +
            `${sanitize(outcome.unresolved || url.hostname, secrets, 100)} does not resolve. ` +
            'Check hive-url, and HTTPS_PROXY when one is set: a runner that reaches the ' +
            "internet only through a proxy needs HTTPS_PROXY (see the README's Proxies " +
            'section). Nothing was sent; not retried.',
          { kind: 'network', doing, attempts: attempt }
        )
      } else if (outcome.kind === 'network') {
        retryable = mayRepeat
        error = fail(
          `Could not reach Hive at ${this.origin} while ${doing}: ` +
            `${sanitize(outcome.detail, secrets)}.` +
            (retryable ? gaveUp : notRepeated),
          { kind: 'network', doing, attempts: attempt }
        )
      } else {
        const { status, headers: responseHeaders, text, bytes } = outcome

        if (status >= 300 && status < 400) {
          // Never followed, never retried: the key must not travel to wherever this points.
          throw fail(
            `Hive answered a redirect (${status}) to ${this.locationOrigin(responseHeaders, url)} ` +
              `while ${doing}. Redirects are not followed: the key was not sent there. ` +
              "Check hive-url: it must be the API's own address.",
            { kind: 'redirect', doing, status, attempts: attempt }
          )
        }

        const parsed = parseJson(text)
        const ok = status >= 200 && status < 300
        if (ok || opts.expect?.includes(status)) {
          if (ok && status !== 204 && opts.expectJson !== false && parsed === undefined) {
            throw fail(
              `Hive answered ${status} with a body that is not JSON while ${doing} ` +
                `(${describeBody(responseHeaders, bytes, secrets)}). ` +
                'Check hive-url: it must point at the Hive API, not a web page.',
              { kind: 'invalid-response', doing, status, attempts: attempt }
            )
          }
          return { status, headers: responseHeaders, body: parsed, text }
        }

        const hive = isObject(parsed) && isObject(parsed.error) ? parsed.error : {}
        const code = typeof hive.code === 'string' ? sanitize(hive.code, secrets, 50) : undefined
        const hiveMessage =
          typeof hive.message === 'string' ? sanitize(hive.message, secrets) : undefined
        const said =
          hiveMessage && status !== 422
            ? ` Hive said: "${hiveMessage}".`
            : parsed === undefined
              ? ` It sent ${describeBody(responseHeaders, bytes, secrets)}.`
              : ''
        retryable = status === 429 || (status >= 500 && mayRepeat)
        retryAfterMs = parseRetryAfter(responseHeaders.get('retry-after'), this.now())
        const head =
          `Hive answered ${status} (${STATUS_WORDS[status] ?? 'unexpected'}) while ${doing}: ` +
          statusMeaning(status, hiveMessage) +
          said
        const details = { kind: 'status' as const, doing, status, code, hiveMessage }
        if (retryable && retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) {
          // Retrying before the time Hive named would only be refused again: stop now, and say why.
          throw fail(
            `${head} Hive asked to wait ${seconds(retryAfterMs)} before retrying, longer than ` +
              `the ${seconds(MAX_RETRY_AFTER_MS)} this action waits; run it again later.${gaveUp}`,
            { ...details, attempts: attempt }
          )
        }
        error = fail(head + (retryable ? gaveUp : status >= 500 && !mayRepeat ? notRepeated : ''), {
          ...details,
          attempts: attempt
        })
      }

      if (!retryable || attempt >= this.maxAttempts) throw error

      // Exponential backoff with full jitter; a longer Retry-After wins.
      const backoff =
        this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1))
      const delay = retryAfterMs !== undefined && retryAfterMs > backoff ? retryAfterMs : backoff
      const what =
        outcome.kind === 'response'
          ? `Hive answered ${outcome.status}`
          : outcome.kind === 'timeout'
            ? `Hive timed out after ${seconds(this.timeoutMs)}`
            : `Could not reach Hive (${sanitize(outcome.detail, secrets, 80)})`
      debug(
        `${what} while ${doing}; retrying in ${seconds(delay)}` +
          (retryAfterMs !== undefined ? ` (Retry-After ${seconds(retryAfterMs)})` : '') +
          ` (attempt ${attempt + 1} of ${this.maxAttempts})`
      )
      await this.sleep(delay)
    }
  }

  /**
   * One request with its own timeout, which covers reading the body too: a body that never ends
   * is cut at the deadline, and one past MAX_BODY_BYTES is cut there.
   */
  private async attempt(
    url: URL,
    method: HiveMethod,
    headers: Record<string, string>,
    body: string | undefined
  ): Promise<Outcome> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), this.timeoutMs)
    // A stop aborts the attempt only at its deadline (cancel.ts); its outcome is then unknown.
    const stop = this.cancellation.signal()
    const onStop = () => controller.abort()
    stop.addEventListener('abort', onStop, { once: true })
    try {
      const response = await this.fetch(url, {
        method,
        headers,
        body,
        redirect: 'manual', // invariant 6: a 3xx comes back to us instead of being followed
        signal: controller.signal
      })
      const bytes = await readCapped(response, MAX_BODY_BYTES, controller.signal)
      if (bytes === undefined) {
        controller.abort() // closes the connection: the rest is never downloaded
        return { kind: 'too-large', status: response.status }
      }
      const text = new TextDecoder().decode(bytes)
      return {
        kind: 'response',
        status: response.status,
        headers: response.headers,
        text,
        bytes: bytes.length
      }
    } catch (error) {
      if (stop.aborted) throw stop.reason
      if (controller.signal.aborted) return { kind: 'timeout' }
      return { kind: 'network', detail: networkDetail(error), unresolved: unresolvedName(error) }
    } finally {
      clearTimeout(timer)
      stop.removeEventListener('abort', onStop)
    }
  }

  /** A redirect's target as an origin only: enough to recognise it, nothing of its path. */
  private locationOrigin(headers: Headers, from: URL): string {
    const location = headers.get('location')
    if (location === null) return 'an unnamed location'
    try {
      const origin = new URL(location, from).origin
      return origin === 'null' ? 'a non-http location' : sanitize(origin)
    } catch {
      return 'an unparsable location'
    }
  }
}

function describeBody(headers: Headers, bytes: number, secrets: readonly string[]): string {
  if (bytes === 0) return 'an empty body'
  const type = sanitize((headers.get('content-type') ?? '').split(';')[0], secrets, 60)
  return `a non-JSON body (${type || 'no content type'}, ${bytes} bytes)`
}

/** The host name a DNS lookup found no such name for (ENOTFOUND): hive-url's, or the proxy's. */
function unresolvedName(error: unknown): string | undefined {
  const cause = isObject(error) && error.cause !== undefined ? error.cause : error
  if (!isObject(cause) || cause.code !== 'ENOTFOUND') return undefined
  return typeof cause.hostname === 'string' ? cause.hostname : ''
}

/** undici says 'fetch failed' and puts the reason in `cause`; its code is the useful part. */
function networkDetail(error: unknown): string {
  // Duck-typed rather than instanceof: undici's errors may come from another realm.
  const cause = isObject(error) && error.cause !== undefined ? error.cause : error
  if (isObject(cause) && typeof cause.code === 'string') return cause.code
  if (isObject(cause) && typeof cause.message === 'string') return cause.message
  return String(cause)
}
