/**
 * The runner's cancel sequence (support/runner.ts: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s
 * after that), checked against small node scripts, so that the tests of the action's own cancel
 * (issue 10, still open: the main step has no signal handling yet) can rely on it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { describe, expect, it } from '@jest/globals'
import { cancelLikeRunner, SIGTERM_AFTER_MS } from '../support/runner.js'

describe("the runner's cancel sequence", () => {
  const script = (code: string) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
    // Resolves once the script has installed its handlers and said so.
    return new Promise<ChildProcess>(resolve => child.stdout.once('data', () => resolve(child)))
  }

  it('a process that stops on SIGINT exits at once, before any SIGTERM', async () => {
    const child = await script(
      "process.on('SIGINT', () => setTimeout(() => process.exit(3), 50)); console.log('ready'); setInterval(() => {}, 1000)"
    )
    const out = await cancelLikeRunner(child)
    expect(out).toMatchObject({ code: 3, sent: ['SIGINT'] })
    expect(out.exitMs).toBeLessThan(SIGTERM_AFTER_MS)
  })

  it('a process deaf to SIGINT gets SIGTERM, and one deaf to both SIGKILL', async () => {
    const deafToInt = await script(
      "process.on('SIGINT', () => {}); console.log('ready'); setInterval(() => {}, 1000)"
    )
    const term = await cancelLikeRunner(deafToInt, { termAfterMs: 300, killAfterMs: 300 })
    expect(term).toMatchObject({ signal: 'SIGTERM', sent: ['SIGINT', 'SIGTERM'] })
    expect(term.exitMs).toBeGreaterThanOrEqual(300)

    const deaf = await script(
      "process.on('SIGINT', () => {}); process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"
    )
    const kill = await cancelLikeRunner(deaf, { termAfterMs: 200, killAfterMs: 200 })
    expect(kill).toMatchObject({ signal: 'SIGKILL', sent: ['SIGINT', 'SIGTERM', 'SIGKILL'] })
    expect(kill.exitMs).toBeGreaterThanOrEqual(400)
  })
})
