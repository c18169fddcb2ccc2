/**
 * mode audit's rules: each active key held against Hive's own advice (rotate every 30 to 90 days,
 * set an expiry, the least permission, specific engagements rather than all, revoke unused keys,
 * watch for unusual errors), and against what this action's rotations may leave behind. Pure:
 * the keys, their usage and the clock in, findings out; nothing here reads or prints.
 *
 * Each rule's boundary, as docs/audit.md's table says it:
 *   no-expiry          high    expires_at is null
 *   broad-write        high    admin or read-write, with scope all
 *   lifetime-over-max  medium  expires_at - created_at  >  audit-max-age-days
 *   older-than-max     medium  now - created_at         >  audit-max-age-days
 *   unused             medium  now - last use           >= audit-unused-days (never used: since
 *                              created_at); said only when Hive has usage data for the key
 *   errors             medium  errors_24h >= 10 and errors_24h >= requests_24h / 5 (usage data)
 *   expires-soon       low     expires_at <= now + rotate-if-expiring-within-days
 *   leftover           medium  named as a key of a rotation (key-name, rotation/names.ts) and
 *                              not the newest key of that rotation
 *   scope-all          low     read-only with scope all
 */
import type { HiveKey, KeyUsage } from '../hive/types.js'
import type { FailOn } from '../settings.js'
import { parseKeyName } from '../rotation/names.js'
import { sanitize } from '../text.js'

export type Severity = 'high' | 'medium' | 'low'
/** Worst first: the order of the summary's counts, and of a key's findings. */
export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low']

/** Every rule and its severity, in the order a key's findings are listed. */
export const RULES = {
  'no-expiry': 'high',
  'broad-write': 'high',
  'lifetime-over-max': 'medium',
  'older-than-max': 'medium',
  unused: 'medium',
  errors: 'medium',
  leftover: 'medium',
  'expires-soon': 'low',
  'scope-all': 'low'
} as const satisfies Record<string, Severity>
export type Rule = keyof typeof RULES

export interface Finding {
  rule: Rule
  severity: Severity
  /** One line, for people: what is wrong and what to do. Holds no text from Hive but ids. */
  reason: string
}

/** The windows the rules use, from the inputs of the same names. */
export interface AuditLimits {
  maxAgeDays: number
  unusedDays: number
  /** rotate-if-expiring-within-days (7 in mode audit when not given). */
  expiringWithinDays: number
}

/** The errors rule: at least this many errors in 24 h ... */
export const ERRORS_MIN = 10
/** ... and at least this share of the requests (a fifth). */
export const ERRORS_SHARE = 1 / 5

const DAY_MS = 86_400_000

/** Why a key is a leftover: the rotation it belongs to, and the newest key of that rotation. */
export interface LeftoverOf {
  keyName: string
  newest: HiveKey
}

/**
 * The leftovers among the active keys: for each key-name, every key named as that rotation names
 * its keys (parseKeyName), but the newest one (by Hive's created_at, then the name's timestamp,
 * then id, so that exactly one is newest). A key is counted for the first key-name it matches.
 */
export function findLeftovers(
  keys: HiveKey[],
  keyNames: readonly string[]
): Map<string, LeftoverOf> {
  const groups = new Map<string, { key: HiveKey; stamp: string }[]>()
  for (const key of keys) {
    for (const keyName of keyNames) {
      const parsed = parseKeyName(keyName, key.name)
      if (parsed === undefined) continue
      const group = groups.get(keyName) ?? []
      group.push({ key, stamp: parsed.createdAt })
      groups.set(keyName, group)
      break
    }
  }
  const leftovers = new Map<string, LeftoverOf>()
  for (const [keyName, group] of groups) {
    const newest = group.reduce((a, b) => (newer(b, a) ? b : a)).key
    for (const { key } of group) {
      if (key.id !== newest.id) leftovers.set(key.id, { keyName, newest })
    }
  }
  return leftovers
}

function newer(a: { key: HiveKey; stamp: string }, b: { key: HiveKey; stamp: string }): boolean {
  const created = Date.parse(a.key.created_at) - Date.parse(b.key.created_at)
  if (created !== 0) return created > 0
  const stamped = Date.parse(a.stamp) - Date.parse(b.stamp)
  if (stamped !== 0) return stamped > 0
  return a.key.id > b.key.id
}

/**
 * The findings of one key, in the order of RULES. `usage` null: Hive has no usage data for it
 * (404), and the rules unused and errors say nothing.
 */
export function judgeKey(
  key: HiveKey,
  usage: KeyUsage | null,
  leftover: LeftoverOf | undefined,
  limits: AuditLimits,
  now: Date
): Finding[] {
  const found: Finding[] = []
  const add = (rule: Rule, reason: string) => found.push({ rule, severity: RULES[rule], reason })
  const nowMs = now.getTime()
  const created = Date.parse(key.created_at)
  const expires = key.expires_at === null ? undefined : Date.parse(key.expires_at)
  const maxAgeMs = limits.maxAgeDays * DAY_MS

  if (expires === undefined) {
    add('no-expiry', 'never expires: set an expiry (Hive advises 30 to 90 days)')
  }
  if (key.scope.type === 'all' && key.permission !== 'read-only') {
    add(
      'broad-write',
      `${key.permission} with scope all: it may change every engagement; give the least ` +
        'permission, scoped to specific engagements'
    )
  }
  if (expires !== undefined && expires - created > maxAgeMs) {
    add(
      'lifetime-over-max',
      `lives ${days(expires - created)} days (created ${key.created_at}, expires ` +
        `${key.expires_at}), longer than audit-max-age-days (${limits.maxAgeDays})`
    )
  }
  if (nowMs - created > maxAgeMs) {
    add(
      'older-than-max',
      `created ${days(nowMs - created)} days ago (${key.created_at}), longer ago than ` +
        `audit-max-age-days (${limits.maxAgeDays}): rotate it`
    )
  }
  if (usage !== null) {
    const used = lastUse(key, usage)
    const since = used === null ? created : Date.parse(used)
    if (nowMs - since >= limits.unusedDays * DAY_MS) {
      add(
        'unused',
        (used === null
          ? `never used in the ${days(nowMs - since)} days since its creation`
          : `not used for ${days(nowMs - since)} days (last use ${used})`) +
          `, at least audit-unused-days (${limits.unusedDays}): revoke it if nothing needs it`
      )
    }
    const { errors_24h: errors, requests_24h: requests } = usage
    if (errors >= ERRORS_MIN && errors >= requests * ERRORS_SHARE) {
      const share = requests > 0 ? ` (${Math.round((errors / requests) * 100)}%)` : ''
      add(
        'errors',
        `${errors} of ${requests} requests in 24 h failed${share}: look for misuse or a ` +
          'consumer that is broken'
      )
    }
  }
  if (leftover !== undefined) {
    add(
      'leftover',
      `an earlier key of the rotation "${sanitize(leftover.keyName, [], 60)}", whose newest ` +
        `key is ${leftover.newest.id} (created ${leftover.newest.created_at}): revoke it`
    )
  }
  if (expires !== undefined && expires <= nowMs + limits.expiringWithinDays * DAY_MS) {
    add(
      'expires-soon',
      `expires in ${days(Math.max(0, expires - nowMs))} day(s) (${key.expires_at}), within ` +
        `rotate-if-expiring-within-days (${limits.expiringWithinDays}): rotate it`
    )
  }
  if (key.scope.type === 'all' && key.permission === 'read-only') {
    add('scope-all', 'read-only with scope all: scope it to the engagements it reads')
  }
  return found
}

/** The later of the key object's last use and the usage answer's (either may be null). */
export function lastUse(key: HiveKey, usage: KeyUsage | null): string | null {
  const uses = [key.last_used_at, usage?.last_used_at ?? null].filter(
    (t): t is string => t !== null
  )
  if (uses.length === 0) return null
  return uses.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a))
}

/** Whole days, rounded down, as mode check counts them (the exact times are in the reason). */
function days(ms: number): number {
  return Math.floor(ms / DAY_MS)
}

const RANK: Record<Severity, number> = { high: 3, medium: 2, low: 1 }
const THRESHOLD: Record<FailOn, number> = { high: 3, medium: 2, low: 1, never: Infinity }

/** True when a finding at or above `failOn` turns the step red. */
export function failsAt(severity: Severity, failOn: FailOn): boolean {
  return RANK[severity] >= THRESHOLD[failOn]
}

/** How many findings of each severity. */
export function countBySeverity(findings: readonly { severity: Severity }[]) {
  const counts: Record<Severity, number> = { high: 0, medium: 0, low: 0 }
  for (const f of findings) counts[f.severity]++
  return counts
}

/**
 * Worst first: the key with more high findings, then more medium, then more low; among equals the
 * oldest (created first), then by id, so that the order is the same on every run.
 */
export function worstFirst(
  a: { key: HiveKey; findings: readonly Finding[] },
  b: { key: HiveKey; findings: readonly Finding[] }
): number {
  const ca = countBySeverity(a.findings)
  const cb = countBySeverity(b.findings)
  for (const s of SEVERITIES) if (ca[s] !== cb[s]) return cb[s] - ca[s]
  const age = Date.parse(a.key.created_at) - Date.parse(b.key.created_at)
  if (age !== 0) return age
  return a.key.id < b.key.id ? -1 : a.key.id > b.key.id ? 1 : 0
}
