import { getOctokit } from '@actions/github'
import { GitHub } from '@actions/github/lib/utils'
import type { createAppAuth } from '@octokit/auth-app'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
// @ts-expect-error: bottleneck ships types for its full build only; the light build (the one the
// throttling plugin itself uses, so the bundle holds one copy) has the same Group API.
import BottleneckLight from 'bottleneck/light.js'
import type BottleneckTypes from 'bottleneck'
import { Headers as UndiciHeaders, Response as UndiciResponse } from 'undici'
import { readCapped } from '../body.js'
import { fetch as proxyFetch, loopbackTestHookMs } from '../http/agent.js'
import { sanitize } from '../text.js'
import { CancelledError, neverCancelled, type Cancellation } from '../cancel.js'

export type GitHubClient = ReturnType<typeof getOctokit>

export interface OctokitOptions {
  baseUrl: string
  warn: (message: string) => void
  debug: (message: string) => void
  /** Multiplies every Retry-After wait (1000 ms per second); tests lower it. */
  retryAfterBaseValue?: number
  /** How long one attempt may wait for GitHub's answer, body included; default 30 s. */
  timeoutMs?: number
  /** The longest rate-limit wait the run accepts, in seconds; default 60. */
  maxRateLimitWaitSeconds?: number
  /** The largest answer body read, in bytes; default 1 MiB. */
  maxBodyBytes?: number
  /**
   * Registers a credential with the runner's mask. The fetch wrapper masks every bearer JWT it
   * sends (the GitHub App's, signed inside @octokit/auth-app, is never seen anywhere else).
   */
  mask?: (value: string) => void
  /**
   * The least time between the starts of two writes (any non-GET request), process-wide: GitHub's
   * guidance is one second. Default: writeSpacingFor(baseUrl, process.env). Tests pass 0.
   */
  writeSpacingMs?: number
  /**
   * The run's stop (cancel.ts): no request or retry starts after it, a rate-limit wait ends at
   * it, and a request in flight is aborted at its deadline.
   */
  cancellation?: Cancellation
}

/** GitHub's guidance: writes one at a time, at least a second apart. */
export const WRITE_SPACING_MS = 1000

/**
 * Test hook: HIVE_ROTATE_KEY_WRITE_SPACING_MS sets the write spacing of the bundled action, so
 * that the end-to-end tests (which run dist/index.js against loopback emulators) don't wait a
 * second per write. It is honoured only when GITHUB_API_URL's host is loopback (an emulator): a
 * real GitHub, or anything else, always gets GitHub's one second.
 */
export function writeSpacingFor(baseUrl: string, env: NodeJS.ProcessEnv): number {
  return loopbackTestHookMs('HIVE_ROTATE_KEY_WRITE_SPACING_MS', baseUrl, env) ?? WRITE_SPACING_MS
}

const Bottleneck = BottleneckLight as typeof BottleneckTypes

/**
 * Bottleneck (both Octokit plugins queue every request through it: throttling's groups, and a
 * limiter retry makes per request) yields to the event loop with `setTimeout(resolve, 0)` at
 * each step of a job, about twelve times a read, and Node makes every such timer at least 1 ms:
 * a GitHub request sat idle on them for several ms, a zero-latency rotation for about 40 ms
 * (docs/performance.md). Here a zero-length yield is `setImmediate`: everything else on the event
 * loop still runs first, without the timer's floor. A yield of some length stays a timer, and
 * every wait Bottleneck computes (the write spacing, a job's start) is its own, unchanged.
 *
 * The yield is a method of Bottleneck's in-process datastore, a class it does not export: it is
 * reached through a limiter's store, once per process. Bottleneck's last release (2.19.5, 2019)
 * is the one pinned; test/unit/limiter.test.ts fails if the yield is not replaced.
 */
export function promptBottleneckYields(): boolean {
  const store = Object.getPrototypeOf(
    (new Bottleneck() as unknown as { _store: object })._store
  ) as { yieldLoop?: unknown; promptYields?: true }
  if (store.promptYields) return true
  const timerYield = store.yieldLoop
  if (typeof timerYield !== 'function') return false
  store.yieldLoop = function (this: { Promise: PromiseConstructor }, ms = 0) {
    if (ms > 0) return (timerYield as (ms: number) => Promise<void>).call(this, ms)
    return new this.Promise<void>(resolve => setImmediate(resolve))
  }
  store.promptYields = true
  return true
}
promptBottleneckYields()
/**
 * The throttling plugin's write group, built here so that its spacing (`minTime`, fixed at 1 s
 * inside the plugin) can be set: one group per spacing, shared by every client of the process as
 * the plugin's own is, so all writes of a run queue one behind the other whichever client (each
 * App installation has its own) sends them.
 */
const writeGroups = new Map<number, BottleneckTypes.Group>()
function writeGroup(spacingMs: number): BottleneckTypes.Group {
  let group = writeGroups.get(spacingMs)
  if (group === undefined) {
    group = new Bottleneck.Group({
      id: `octokit-write-${spacingMs}`,
      maxConcurrent: 1,
      minTime: spacingMs,
      timeout: 2 * 60 * 1000 // the plugin's own: how long an idle key's limiter is kept
    })
    writeGroups.set(spacingMs, group)
  }
  return group
}

const DEFAULT_TIMEOUT_MS = 30_000
/**
 * GitHub's own advice for a secondary limit without retry-after is to wait a minute. A longer
 * wait (a primary limit an hour from reset, a retry-after of a day) is not waited out: the run
 * fails safe and says so, instead of holding a half-done rotation open for hours.
 */
export const MAX_RATE_LIMIT_WAIT_SECONDS = 60
/** Every answer this action reads is small; a secret listing of 100 names is ~10 KB. */
export const MAX_BODY_BYTES = 1024 * 1024

/**
 * A request the guard refused to send (another origin), or an answer it refused to read (too
 * large). Never retried: the same request would be refused the same way.
 */
export class GitHubGuardError extends Error {
  override readonly name = 'GitHubGuardError'
  constructor(
    message: string,
    /** False when nothing was sent; true when GitHub answered and the answer was refused. */
    readonly sent: boolean
  ) {
    super(message)
  }
}

/**
 * The fetch under every request: undici's, through the process's one proxy-aware dispatcher
 * (http/agent.ts: HTTPS_PROXY, HTTP_PROXY, NO_PROXY), the same as Hive's, with four rules added, so that they hold for every request Octokit makes, pages and App token
 * minting included:
 *
 * - only the origin of GITHUB_API_URL: any other URL (a `Link: rel="next"` that paginate would
 *   follow, say) is refused before a byte is sent, so the token never leaves that origin;
 * - each attempt gets a deadline, body included, so an API that never answers (or answers
 *   forever) fails the run instead of hanging it;
 * - a redirect is never followed: a secret PUT that lands elsewhere must not count as a write,
 *   and Octokit would take the 2xx of wherever it was sent;
 * - the body is read here, streamed, and refused past `maxBodyBytes`, so a huge or endless answer
 *   costs at most that much memory.
 */
export function guardedFetch(options: {
  baseUrl: string
  timeoutMs: number
  maxBodyBytes: number
  fetch?: typeof fetch
  mask?: (value: string) => void
  cancellation?: Cancellation
}): typeof fetch {
  const base = options.fetch ?? proxyFetch
  const origin = new URL(options.baseUrl).origin
  const { timeoutMs, maxBodyBytes } = options
  const masked = new Set<string>()
  const mask = (value: string) => {
    if (masked.has(value)) return
    masked.add(value)
    options.mask?.(value)
  }
  return async (input, init) => {
    // Octokit passes a string; a Request is read by its url (duck-typed: the global Request class is
    // Node's own copy of undici, which this action does not load).
    const url = typeof input === 'object' && 'url' in input ? input.url : String(input)
    let target: string
    try {
      target = new URL(url).origin
    } catch {
      target = '(not a URL)'
    }
    if (target !== origin) {
      throw new GitHubGuardError(
        `refused to send a request to ${sanitize(target, [], 100)}: only ${origin} ` +
          '(GITHUB_API_URL) gets the token, and a link or page elsewhere is not followed',
        false
      )
    }
    // After a stop nothing new is sent (the error is not retried: noRetryOfGuardRefusals).
    options.cancellation?.throwIfStopped()
    maskBearerJwt(init?.headers, mask)
    const deadline = AbortSignal.timeout(timeoutMs)
    const signals = [deadline, ...(init?.signal ? [init.signal] : [])]
    if (options.cancellation) signals.push(options.cancellation.signal())
    const signal = AbortSignal.any(signals)
    const timedOut = (error: unknown) =>
      new Error(`GitHub timed out: no answer within ${timeoutMs} ms`, { cause: error })
    let response: Response
    try {
      response = await base(input, { ...init, redirect: 'manual', signal })
    } catch (error) {
      if (deadline.aborted) throw timedOut(error)
      throw error
    }
    if (response.status >= 300 && response.status < 400 && response.status !== 304) {
      await response.body?.cancel().catch(() => undefined)
      throw new Error(
        `GitHub answered a redirect (${response.status}), which is not followed: check the ` +
          'destination’s name (a renamed repository or organization redirects)'
      )
    }
    let body: Uint8Array | undefined
    try {
      body = await readCapped(response, maxBodyBytes, signal)
    } catch (error) {
      if (deadline.aborted) throw timedOut(error)
      throw error
    }
    if (body === undefined) {
      throw new GitHubGuardError(
        `GitHub's answer (${response.status}) is larger than ${maxBodyBytes} bytes; it was not read`,
        true
      )
    }
    // A Response of the bytes read; its status, headers and URL are GitHub's.
    const bodyless = [101, 103, 204, 205, 304].includes(response.status)
    const copy = new UndiciResponse(bodyless ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers as unknown as UndiciHeaders
    }) as unknown as Response
    Object.defineProperty(copy, 'url', { value: response.url || url })
    return copy
  }
}

/** How many times a request is sent again after GitHub's primary or secondary rate limit. */
const RATE_LIMIT_RETRIES = 3

/**
 * What every client shares: the two plugins that carry GitHub's own guidance. Throttling
 * (@octokit/plugin-throttling 11) queues every non-GET request in one process-wide group keyed by
 * the throttle id, one at a time and at least 1 s after the previous one started; reads go through
 * a group of at most 10 at once; a 403/429 whose message says "secondary rate" waits out
 * `retry-after` (else 60 s), and one with `x-ratelimit-remaining: 0` waits until
 * `x-ratelimit-reset`, but only up to `maxRateLimitWaitSeconds`: a longer wait is refused, and
 * the request fails as rate-limited. Retry (plugin-retry 8) resends 5xx and network failures.
 * 429 is in retry's doNotRetry, so a rate limit is waited out once, for as long as GitHub asks,
 * not on retry's own schedule ((n+1)² s, ignoring Retry-After).
 */
function pluginOptions(options: OctokitOptions) {
  const cap = options.maxRateLimitWaitSeconds ?? MAX_RATE_LIMIT_WAIT_SECONDS
  const waitUnit = options.retryAfterBaseValue ?? 1000
  const onLimit =
    (what: string) =>
    async (
      retryAfter: number,
      request: { method: string; url: string },
      _o: unknown,
      count: number
    ) => {
      const where = `GitHub ${what} on ${request.method} ${sanitize(request.url, [], 150)}`
      if (!(retryAfter <= cap)) {
        options.warn(
          `${where}: GitHub asks to wait ${retryAfter} s, longer than the ${cap} s this action ` +
            'waits; giving up (nothing more is sent for this request)'
        )
        return false
      }
      const again = count < RATE_LIMIT_RETRIES && !options.cancellation?.requested
      options.warn(
        `${where}: ` + (again ? `waiting ${retryAfter} s, then trying again` : 'giving up')
      )
      if (!again) return false
      // The wait is ours, not the plugin's (its retryAfterBaseValue is 0), so a stop ends it:
      // the request then fails as rate-limited, and the run stops.
      try {
        await (options.cancellation ?? neverCancelled()).sleep(retryAfter * waitUnit)
        return true
      } catch {
        return false
      }
    }
  const base =
    options.retryAfterBaseValue !== undefined
      ? { retryAfterBaseValue: options.retryAfterBaseValue }
      : {}
  return {
    baseUrl: options.baseUrl,
    userAgent: 'hive-rotate-key',
    request: {
      fetch: guardedFetch({
        baseUrl: options.baseUrl,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
        mask: options.mask,
        cancellation: options.cancellation
      })
    },
    log: { debug: options.debug, info: options.debug, warn: options.warn, error: options.debug },
    throttle: {
      write: writeGroup(options.writeSpacingMs ?? writeSpacingFor(options.baseUrl, process.env)),
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      retryAfterBaseValue: 0
    },
    retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451], retries: 3, ...base }
  }
}

/**
 * Registered before the retry plugin, so it sees a failure first: a request the guard refused, or
 * one stopped by a cancellation, is not sent again (Octokit reports every fetch failure as a 500,
 * which retry would resend).
 */
function noRetryOfGuardRefusals(octokit: { hook: GitHubClient['hook'] }) {
  octokit.hook.error('request', (error, options) => {
    const request = options.request as { retries?: number } | undefined
    const cause = (error as { cause?: unknown }).cause
    if (request && (cause instanceof GitHubGuardError || cause instanceof CancelledError)) {
      request.retries = 0
    }
    throw error
  })
  return {}
}

/** The GitHub guard's refusal behind an Octokit error, if that is what it is. */
export function guardRefusal(error: unknown): GitHubGuardError | undefined {
  if (error instanceof GitHubGuardError) return error
  const cause = (error as { cause?: unknown } | undefined)?.cause
  return cause instanceof GitHubGuardError ? cause : undefined
}

/** A client that authenticates with a token: a PAT, or an installation token minted here. */
export function createGitHubClient(options: OctokitOptions & { token: string }): GitHubClient {
  return withApiVersion(
    getOctokit(options.token, pluginOptions(options), noRetryOfGuardRefusals, retry, throttling)
  )
}

/** Every request names the REST API version this code was written against. */
function withApiVersion(client: GitHubClient): GitHubClient {
  client.hook.before('request', request => {
    request.headers['x-github-api-version'] = '2022-11-28'
  })
  return client
}

/**
 * The GitHub App's own client: @octokit/auth-app signs a JWT for the app's endpoints (finding an
 * installation) and mints installation tokens on `auth({ type: 'installation' })`. It is never
 * used for a secret: see auth.ts.
 */
export function createAppClient(
  options: OctokitOptions & {
    appId: string
    privateKey: string
    /** @octokit/auth-app's createAppAuth, loaded by the caller only when app-id is used. */
    authStrategy: typeof createAppAuth
  }
): GitHubClient {
  const App = GitHub.plugin(noRetryOfGuardRefusals, retry, throttling)
  return withApiVersion(
    new App({
      ...pluginOptions(options),
      authStrategy: options.authStrategy,
      auth: { appId: options.appId, privateKey: options.privateKey }
    }) as unknown as GitHubClient
  )
}

/** A JWT sent as `Authorization: bearer <jwt>` is a credential: it goes to the mask first. */
function maskBearerJwt(headers: RequestInit['headers'], mask: (value: string) => void) {
  if (headers === undefined) return
  const authorization =
    new UndiciHeaders(headers as ConstructorParameters<typeof UndiciHeaders>[0]).get(
      'authorization'
    ) ?? ''
  const jwt = /^bearer\s+([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(authorization.trim())?.[1]
  if (jwt !== undefined) mask(jwt)
}
