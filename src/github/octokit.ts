import { getOctokit } from '@actions/github'
import { defaults, GitHub } from '@actions/github/lib/utils'
import { createAppAuth } from '@octokit/auth-app'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'

export type GitHubClient = ReturnType<typeof getOctokit>

export interface OctokitOptions {
  baseUrl: string
  warn: (message: string) => void
  debug: (message: string) => void
  /** Multiplies every Retry-After wait (1000 ms per second); tests lower it. */
  retryAfterBaseValue?: number
  /** How long one attempt may wait for GitHub's answer; default 30 s. */
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 30_000

/**
 * The fetch under every request: @actions/github's own (it honours the runner's proxy settings),
 * with two rules added. Each attempt gets a deadline, so an API that never answers fails the run
 * instead of hanging it. A redirect is never followed: a secret PUT that lands elsewhere must not
 * count as a write, and Octokit would take the 2xx of wherever it was sent.
 */
function guardedFetch(timeoutMs: number): typeof fetch {
  const base = (defaults.request?.fetch ?? globalThis.fetch) as typeof fetch
  return async (url, init) => {
    const deadline = AbortSignal.timeout(timeoutMs)
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline
    let response: Response
    try {
      response = await base(url, { ...init, redirect: 'manual', signal })
    } catch (error) {
      if (deadline.aborted) {
        throw new Error(`GitHub timed out: no answer within ${timeoutMs} ms`, { cause: error })
      }
      throw error
    }
    if (response.status >= 300 && response.status < 400 && response.status !== 304) {
      await response.body?.cancel()
      throw new Error(
        `GitHub answered a redirect (${response.status}), which is not followed: check the ` +
          'destination’s name (a renamed repository or organization redirects)'
      )
    }
    return response
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
 * `x-ratelimit-reset`. Retry (plugin-retry 8) resends 5xx and network failures. 429 is in retry's
 * doNotRetry, so a rate limit is waited out once, for as long as GitHub asks, not on retry's own
 * schedule ((n+1)² s, ignoring Retry-After).
 */
function pluginOptions(options: OctokitOptions) {
  const onLimit =
    (what: string) =>
    (retryAfter: number, request: { method: string; url: string }, _o: unknown, count: number) => {
      const again = count < RATE_LIMIT_RETRIES
      options.warn(
        `GitHub ${what} on ${request.method} ${request.url}: ` +
          (again ? `waiting ${retryAfter} s, then trying again` : 'giving up')
      )
      return again
    }
  const base =
    options.retryAfterBaseValue !== undefined
      ? { retryAfterBaseValue: options.retryAfterBaseValue }
      : {}
  return {
    baseUrl: options.baseUrl,
    userAgent: 'hive-rotate-key',
    request: { fetch: guardedFetch(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) },
    log: { debug: options.debug, info: options.debug, warn: options.warn, error: options.debug },
    throttle: {
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      ...base
    },
    retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451], retries: 3, ...base }
  }
}

/** A client that authenticates with a token: a PAT, or an installation token minted here. */
export function createGitHubClient(options: OctokitOptions & { token: string }): GitHubClient {
  return withApiVersion(getOctokit(options.token, pluginOptions(options), retry, throttling))
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
  options: OctokitOptions & { appId: string; privateKey: string }
): GitHubClient {
  const App = GitHub.plugin(retry, throttling)
  return withApiVersion(
    new App({
      ...pluginOptions(options),
      authStrategy: createAppAuth,
      auth: { appId: options.appId, privateKey: options.privateKey }
    }) as unknown as GitHubClient
  )
}
