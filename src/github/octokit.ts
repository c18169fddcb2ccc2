import { getOctokit } from '@actions/github'
import { GitHub } from '@actions/github/lib/utils'
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
  return getOctokit(options.token, pluginOptions(options), retry, throttling)
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
  return new App({
    ...pluginOptions(options),
    authStrategy: createAppAuth,
    auth: { appId: options.appId, privateKey: options.privateKey }
  }) as unknown as GitHubClient
}
