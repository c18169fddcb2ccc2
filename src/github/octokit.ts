import { getOctokit } from '@actions/github'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'

export type GitHubClient = ReturnType<typeof getOctokit>

export interface OctokitOptions {
  token: string
  baseUrl: string
  warn: (message: string) => void
  debug: (message: string) => void
  /** Multiplies every Retry-After wait (1000 ms per second); tests lower it. */
  retryAfterBaseValue?: number
}

/** How many times a request is sent again after GitHub's primary or secondary rate limit. */
const RATE_LIMIT_RETRIES = 3

/**
 * One Octokit for every GitHub call, with the two plugins that carry GitHub's own guidance:
 * throttling (writes one at a time, a second apart; waits out `retry-after` and
 * `x-ratelimit-reset`) and retry (5xx). 429 is left to throttling alone, so a rate limit is
 * waited out once, for as long as GitHub asks, not on retry's own schedule.
 */
export function createGitHubClient(options: OctokitOptions): GitHubClient {
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
  return getOctokit(
    options.token,
    {
      baseUrl: options.baseUrl,
      userAgent: 'hive-rotate-key',
      log: {
        debug: options.debug,
        info: options.debug,
        warn: options.warn,
        error: options.debug
      },
      throttle: {
        onRateLimit: onLimit('rate limit'),
        onSecondaryRateLimit: onLimit('secondary rate limit'),
        ...(options.retryAfterBaseValue !== undefined
          ? { retryAfterBaseValue: options.retryAfterBaseValue }
          : {})
      },
      retry: {
        doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
        retries: 3,
        ...(options.retryAfterBaseValue !== undefined
          ? { retryAfterBaseValue: options.retryAfterBaseValue }
          : {})
      }
    },
    retry,
    throttling
  )
}
