/**
 * The audit figure of npm run bench (issue 20): mode audit over 1,000 active keys with 50 ms
 * added to every Hive request, the bundled action run as the runner runs it. Its floor is the
 * rounds the audit cannot do without: the first page of the list, then the usage reads at
 * USAGE_READS_AT_ONCE at a time (the later pages arrive while they run, 100 keys a round, faster
 * than 8 reads a round use them up):
 *
 *   floor = (1 + ⌈keys / 8⌉) × latency
 *
 * The emulator's rate limit is off for it: at Hive's own limit per key, an audit of 1,000 keys
 * waits for the next window as 429 and Retry-After say (HiveHttp), whatever its own speed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startWorld } from '../../test/support/world.js'
import { USAGE_READS_AT_ONCE } from '../../src/audit/audit.js'
import { DIST_ARGS, RequestLog, sequentialRounds, timed, type Span } from './measure.js'

export interface AuditRun {
  keys: number
  ms: number
  floorMs: number
  hive: number
  github: number
  rounds: number
  /** The most usage reads the emulator was answering at one moment. */
  mostAtOnce: number
}

/** The most spans open at one moment. */
function mostAtOnce(spans: Span[]): number {
  const edges = spans.flatMap(s => [
    { at: s.start, d: 1 },
    { at: s.end, d: -1 }
  ])
  edges.sort((a, b) => a.at - b.at || a.d - b.d)
  let open = 0
  let most = 0
  for (const e of edges) most = Math.max(most, (open += e.d))
  return most
}

const DAY = 86_400_000
const iso = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** One audit of `keys` active keys (the world's two included) at `latencyMs` per request. */
export async function auditRun(
  log: RequestLog,
  keys: number,
  latencyMs: number
): Promise<AuditRun> {
  const w = await startWorld({ latencyMs, rateLimitPerMinute: 0 })
  const runnerTemp = mkdtempSync(join(tmpdir(), 'rotate-key-bench-audit-'))
  try {
    log.names.set(Number(new URL(w.hive.url).port), 'hive')
    log.names.set(Number(new URL(w.github.url).port), 'github')
    // Keys as an account holds them: most clean, every tenth idle for 60 days, every fiftieth
    // broad and never expiring.
    for (let i = 0; i < keys - 2; i++) {
      const broad = i % 50 === 0
      const { id } = w.hive.seedKey({
        name: `bench key ${i}`,
        permission: broad ? 'read-write' : 'read-only',
        scope: broad ? { type: 'all' } : { type: 'engagements', engagement_ids: [`eng_${i}`] },
        createdAt: iso(-(i % 80) * DAY),
        expiresAt: broad ? null : iso(30 * DAY)
      })
      const idle = i % 10 === 0
      w.hive.seedUsage(id, {
        requests_24h: idle ? 0 : 100,
        errors_24h: 0,
        last_used_at: idle ? iso(-60 * DAY) : iso(-60_000)
      })
    }
    const inputs = w.inputs({ mode: 'audit', 'fail-on': 'never' })
    delete inputs['github-token']
    log.clear()
    const run = await timed(DIST_ARGS, {
      inputs,
      env: { ...w.env, RUNNER_TEMP: runnerTemp },
      timeoutMs: 300_000
    })
    const path = run.outputs['report-path'] ?? ''
    const report = path
      ? (JSON.parse(readFileSync(path, 'utf8')) as { keys: unknown[] })
      : undefined
    if (run.code !== 0 || report?.keys.length !== keys) {
      throw new Error(`the audit of ${keys} keys failed\n${run.stdout}\n${run.stderr}`)
    }
    const spans = [...log.spans]
    return {
      keys,
      ms: run.ms,
      floorMs: (1 + Math.ceil(keys / USAGE_READS_AT_ONCE)) * latencyMs,
      hive: w.hive.requests.length,
      github: w.github.requests.length,
      rounds: sequentialRounds(spans),
      mostAtOnce: mostAtOnce(spans.filter(s => s.url.endsWith('/usage')))
    }
  } finally {
    rmSync(runnerTemp, { recursive: true, force: true })
    await w.stop()
  }
}
