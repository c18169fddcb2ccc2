/**
 * mode audit (shared/design/action.md, "mode: audit"): every active key of the Hive account,
 * with its usage, held against the rules of rules.ts. It sends Hive GETs only (the key list,
 * every page, and each key's usage, at most USAGE_READS_AT_ONCE at once; HiveHttp waits out each
 * 429 as Retry-After says) and GitHub nothing. main.ts loads it only in mode audit, once the
 * settings are valid, writes its report (report.ts) and decides, from fail-on, whether the step
 * fails.
 *
 *   1. list    GET /api-keys, every page (bounded by HiveClient.list): the active keys; and
 *      usage   GET /api-keys/{id}/usage for each key, started as its page arrives; 404 is "no
 *              usage data" for that key
 *   2. judge   the rules, one high finding one annotation; the keys sorted worst first
 */
import type { Settings } from '../settings.js'
import type { HiveKey, KeyUsage } from '../hive/types.js'
import type { ListOptions } from '../hive/client.js'
import { MAX_NAME_LENGTH } from '../hive/parse.js'
import type { Log } from '../rotation/steps.js'
import { sanitize } from '../text.js'
import {
  countBySeverity,
  failsAt,
  findLeftovers,
  judgeKey,
  worstFirst,
  type AuditLimits,
  type Finding
} from './rules.js'

/** Usage reads in flight at once: enough to audit 1,000 keys in seconds, few enough for Hive. */
export const USAGE_READS_AT_ONCE = 8

/**
 * The two reads of Hive the audit makes: HiveClient's list() (which calls `onPage` with each
 * page's keys as it arrives, so that their usage reads start at once) and usage().
 */
export interface AuditHive {
  list(adminKey: string, options?: ListOptions): Promise<HiveKey[]>
  usage(adminKey: string, id: string): Promise<KeyUsage | null>
}

export interface AuditDeps {
  hive: AuditHive
  log: Log
  /** One annotation (`::error::` or `::warning::`) per high finding. */
  annotate(level: 'error' | 'warning', message: string): void
  now(): Date
}

export interface AuditedKey {
  key: HiveKey
  /** The length of the name Hive gave, when it was longer than the contract allows (cut). */
  nameLength?: number
  /** null: Hive has no usage data for it (404). */
  usage: KeyUsage | null
  findings: Finding[]
}

export interface AuditReport {
  /** The audit's clock: ages and windows are counted from it. */
  now: Date
  limits: AuditLimits
  /** Every active key, worst first. */
  keys: AuditedKey[]
}

export async function auditKeys(s: Settings, deps: AuditDeps): Promise<AuditReport> {
  const { hive, log } = deps
  const adminKey = s.hiveAdminKey
  const limits: AuditLimits = {
    maxAgeDays: s.auditMaxAgeDays,
    unusedDays: s.auditUnusedDays,
    expiringWithinDays: s.rotateIfExpiringWithinDays ?? 7
  }

  const long = new Map<string, number>()
  // Each page's usage reads start as the page arrives, while the next page is read.
  const { keys, usages } = await log.group(
    'List the active keys and read their usage',
    async () => {
      const limiter = new Limiter(USAGE_READS_AT_ONCE)
      const reads: Promise<KeyUsage | null>[] = []
      const read = (key: HiveKey) => {
        const usage = limiter.run(() => hive.usage(adminKey, key.id))
        usage.catch(() => undefined) // handled by limiter.all, once the list has ended
        reads.push(usage)
      }
      let listed: HiveKey[]
      try {
        listed = await hive.list(adminKey, {
          onLongName: (id, length) => long.set(id, length),
          onPage: page => page.forEach(read)
        })
        // A port that gave no pages: the rest is read now.
        listed.slice(reads.length).forEach(read)
      } catch (error) {
        // The reads in flight end first; none starts after this.
        limiter.stop(error)
        await Promise.allSettled(reads)
        if ((error as { status?: number }).status !== 403) throw error
        throw new Error(
          'mode audit lists every key, which needs an admin key: give hive-admin-key, or an ' +
            `admin hive-api-key. ${(error as Error).message}`,
          { cause: error }
        )
      }
      log.info(`Hive lists ${listed.length} active key(s).`)
      for (const [id, length] of long) {
        log.warning(
          `Hive gave key ${id} a name of ${length} characters, longer than the ` +
            `${MAX_NAME_LENGTH} its API allows: it is shown cut.`
        )
      }
      const usages = await limiter.all(reads)
      const unknown = usages.filter(u => u === null).length
      log.info(
        `Read the usage of ${listed.length - unknown} key(s), at most ${USAGE_READS_AT_ONCE} at ` +
          'once' +
          (unknown > 0 ? `; Hive has no usage data for ${unknown} (the report says unknown).` : '.')
      )
      return { keys: listed, usages }
    }
  )

  return log.group('Hold each key against the rules', async () => {
    const now = deps.now()
    const leftovers = findLeftovers(keys, s.auditKeyNames)
    const audited: AuditedKey[] = keys.map((key, i) => ({
      key,
      ...(long.has(key.id) ? { nameLength: long.get(key.id) } : {}),
      usage: usages[i],
      findings: judgeKey(key, usages[i], leftovers.get(key.id), limits, now)
    }))
    audited.sort(worstFirst)
    // A high finding fails the step unless fail-on is never: an error then, else a warning.
    const level = failsAt('high', s.failOn) ? 'error' : 'warning'
    for (const { key, findings } of audited) {
      if (findings.length === 0) continue
      log.info(`${describeKey(key)}: ` + findings.map(f => `${f.rule} (${f.severity})`).join(', '))
      for (const f of findings.filter(f => f.severity === 'high')) {
        deps.annotate(level, `Hive key ${describeKey(key)}: ${f.rule} (high): ${f.reason}`)
      }
    }
    const counts = countBySeverity(audited.flatMap(a => a.findings))
    const clean = audited.filter(a => a.findings.length === 0).length
    log.info(
      `${audited.length} key(s): ${counts.high} high, ${counts.medium} medium and ${counts.low} ` +
        `low finding(s); ${clean} key(s) with none.`
    )
    return { now, limits, keys: audited }
  })
}

/** A key for a log line or annotation: its id, prefix and name, the name as capped plain text. */
export function describeKey(key: HiveKey): string {
  return `${key.id} (${key.prefix}…) "${sanitize(key.name, [], 60)}"`
}

/**
 * Runs calls at most `limit` at once, in the order they were asked for. The first failure (or a
 * stop) starts no new call: the calls waiting reject with it, the calls in flight end.
 */
export class Limiter {
  private running = 0
  private readonly waiting: (() => void)[] = []
  private failure?: { error: unknown }

  constructor(readonly limit: number) {}

  async run<R>(fn: () => Promise<R>): Promise<R> {
    if (this.running < this.limit) this.running++
    else await new Promise<void>(resolve => this.waiting.push(resolve)) // a slot handed over
    try {
      if (this.failure !== undefined) throw this.failure.error
      return await fn()
    } catch (error) {
      this.stop(error)
      throw error
    } finally {
      const next = this.waiting.shift()
      if (next !== undefined) next()
      else this.running--
    }
  }

  /** No call starts from now on; the waiting ones reject with `error`. */
  stop(error: unknown): void {
    this.failure ??= { error }
  }

  /** Every result, in order, once every call has ended; or the first failure, thrown then. */
  async all<R>(calls: Promise<R>[]): Promise<R[]> {
    const settled = await Promise.allSettled(calls)
    if (this.failure !== undefined) throw this.failure.error
    return settled.map(s => (s as PromiseFulfilledResult<R>).value)
  }
}

/** `fn` over every item, at most `limit` at once (a Limiter), results in the items' order. */
export async function atMost<T, R>(
  limit: number,
  items: readonly T[],
  fn: (item: T) => Promise<R>
): Promise<R[]> {
  const limiter = new Limiter(limit)
  return limiter.all(items.map(item => limiter.run(() => fn(item))))
}
