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
 * of a request's three jobs), and check that writes are still spaced.
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

  it('still spaces writes as asked: each arrives at least the spacing after the one before', async () => {
    const spacing = 150
    const octokit = client(spacing)
    // A connection first, so that the first write's arrival is not later by its set-up.
    await octokit.request('GET /repos/{owner}/{repo}/actions/secrets/public-key', {
      owner: 'octo',
      repo: 'app'
    })
    const arrivals: number[] = []
    const push = github.requests.push.bind(github.requests)
    github.requests.push = (...records) => {
      for (const record of records) if (record.method === 'PUT') arrivals.push(performance.now())
      return push(...records)
    }
    // Three writes queued at once; the emulator refuses each (no sealed value): spacing is about
    // when they are sent, whatever the answer.
    await Promise.all(
      ['A', 'B', 'C'].map(name =>
        octokit
          .request('PUT /repos/{owner}/{repo}/actions/secrets/{secret_name}', {
            owner: 'octo',
            repo: 'app',
            secret_name: name,
            encrypted_value: 'not sealed',
            key_id: 'none'
          })
          .catch(() => undefined)
      )
    )
    expect(arrivals).toHaveLength(3)
    // Bottleneck spaces the starts; arrival on loopback varies by a few ms, by tens on a loaded
    // machine (write-spacing.e2e.test.ts). No spacing at all would be about 0.
    for (let i = 1; i < arrivals.length; i++) {
      expect(arrivals[i] - arrivals[i - 1]).toBeGreaterThanOrEqual(spacing - 50)
    }
  })

  it('is replaced once per process, and says so', () => {
    expect(promptBottleneckYields()).toBe(true)
    expect(promptBottleneckYields()).toBe(true)
  })
})
