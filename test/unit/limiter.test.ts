/**
 * Bottleneck, the limiter both Octokit plugins queue every GitHub request through (throttling's
 * groups, and one limiter retry makes per request).
 *
 * Bottleneck yields to the event loop with `setTimeout(resolve, 0)` at each step of a job, and
 * Node makes every such timer at least 1 ms: twelve such timers a read, a rotation at zero latency
 * idle about 40 ms on them (docs/performance.md). octokit.ts makes a zero-length yield
 * `setImmediate` (promptBottleneckYields); the queueing itself, the write spacing included, is
 * Bottleneck's, unchanged.
 *
 * These tests count the zero-length timers a read costs (what is left is Bottleneck starting each
 * of a request's three jobs). That writes are still spaced 1 s apart by default, with these
 * yields, is test/e2e/write-spacing.e2e.test.ts's, against the bundled action.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createGitHubClient, promptBottleneckYields } from '../../src/github/octokit.js'
import { GitHubEmulator } from '../emulators/github.js'

const TOKEN = 'github_pat_limiter_test'
let github: GitHubEmulator

beforeEach(async () => {
  github = new GitHubEmulator()
  await github.start()
  github.addToken(TOKEN)
  github.addRepo('octo/app')
})
afterEach(async () => {
  await github.stop()
})

function client(writeSpacingMs = 0) {
  return createGitHubClient({
    token: TOKEN,
    baseUrl: github.url,
    warn: () => undefined,
    debug: () => undefined,
    writeSpacingMs
  })
}

/** Runs `fn`, counting the timers of less than 1 ms (Node makes them 1 ms) it starts. */
async function zeroTimers(fn: () => Promise<unknown>): Promise<number> {
  const original = globalThis.setTimeout
  let count = 0
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    if (!(Number(ms) >= 1)) count++
    return original(callback, ms)
  }) as typeof setTimeout
  try {
    await fn()
  } finally {
    globalThis.setTimeout = original
  }
  return count
}

describe("the GitHub clients' limiter", () => {
  it('starts at most three zero-length timers a read, one per Bottleneck job (twelve before)', async () => {
    const octokit = client()
    await octokit.request('GET /repos/{owner}/{repo}/actions/secrets/public-key', {
      owner: 'octo',
      repo: 'app'
    })
    const reads = 10
    const count = await zeroTimers(async () => {
      for (let i = 0; i < reads; i++) {
        await octokit.request('GET /repos/{owner}/{repo}/actions/secrets/public-key', {
          owner: 'octo',
          repo: 'app'
        })
      }
    })
    expect(github.requests.length).toBe(reads + 1)
    expect(count).toBeLessThanOrEqual(3 * reads)
  })

  it('is replaced once per process, and says so', () => {
    expect(promptBottleneckYields()).toBe(true)
    expect(promptBottleneckYields()).toBe(true)
  })
})
