/**
 * What mode audit leaves: the outputs `findings` and `report-path`, the report file (a versioned
 * JSON document under RUNNER_TEMP, its schema in docs/audit.md), the job summary, and the sentence
 * with which main.ts fails the step when fail-on says so.
 *
 * Every text from Hive (a key's name above all) is untrusted: it passes through text.ts's
 * sanitize (one line, no control or invisible characters, no workflow command, capped) before it
 * is written anywhere, the file included, and through escapeCell (no markup) in the summary.
 */
import { writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { FailOn, Settings } from '../settings.js'
import type { Scope } from '../hive/types.js'
import { escapeCell, preformatted, type Secrets, type SummarySink } from '../report/summary.js'
import { oneLine, sanitize } from '../text.js'
import { lastUse, countBySeverity, failsAt, RULES, SEVERITIES, type Rule } from './rules.js'
import type { AuditedKey, AuditReport } from './audit.js'
import { isoSeconds } from '../rotation/names.js'

/** The report file's format; a change that would break a script that reads it bumps it. */
export const REPORT_VERSION = 1
/** A key's name in the report file: at most this many characters (Hive allows 200). */
export const FILE_NAME_MAX = 200
/** A key's name in the job summary. */
export const SUMMARY_NAME_MAX = 80
/** A scope's text in the summary (a scope may list up to 1,000 ids). */
const SUMMARY_SCOPE_MAX = 80
/**
 * Rows of the summary's key table: GitHub refuses a step summary over 1 MiB. The keys left out
 * are the cleanest (the table is worst first), and the report file holds them all.
 */
export const SUMMARY_ROWS_MAX = 500

const DAY_MS = 86_400_000

/** The output `findings`: one object per finding, worst key first. */
export function findingsOutput(report: AuditReport, secrets: Secrets): string {
  return JSON.stringify(
    report.keys.flatMap(({ key, findings }) =>
      findings.map(f => ({
        'key-id': key.id,
        prefix: key.prefix,
        rule: f.rule,
        severity: f.severity,
        reason: oneLine(f.reason, secrets)
      }))
    )
  )
}

/** The report file's document (schema: docs/audit.md, "The report file"). */
export function reportDocument(report: AuditReport, s: Settings, secrets: Secrets) {
  const all = report.keys.flatMap(k => k.findings)
  return {
    version: REPORT_VERSION,
    generated_at: isoSeconds(report.now),
    hive_url: s.hiveUrl,
    limits: {
      audit_max_age_days: report.limits.maxAgeDays,
      audit_unused_days: report.limits.unusedDays,
      expiring_within_days: report.limits.expiringWithinDays,
      fail_on: s.failOn
    },
    key_names: s.auditKeyNames.map(n => sanitize(n, secrets, FILE_NAME_MAX)),
    counts: {
      keys: report.keys.length,
      clean: report.keys.filter(k => k.findings.length === 0).length,
      ...countBySeverity(all)
    },
    failed: all.some(f => failsAt(f.severity, s.failOn)),
    keys: report.keys.map(k => keyEntry(k, report.now, secrets))
  }
}

function keyEntry({ key, nameLength, usage, findings }: AuditedKey, now: Date, secrets: Secrets) {
  return {
    id: key.id,
    name: sanitize(key.name, secrets, FILE_NAME_MAX),
    name_truncated: nameLength !== undefined || Array.from(key.name).length > FILE_NAME_MAX,
    prefix: key.prefix,
    permission: key.permission,
    scope: key.scope,
    created_at: key.created_at,
    age_days: Math.floor((now.getTime() - Date.parse(key.created_at)) / DAY_MS),
    expires_at: key.expires_at,
    last_used_at: lastUse(key, usage),
    usage_known: usage !== null,
    requests_24h: usage?.requests_24h ?? null,
    errors_24h: usage?.errors_24h ?? null,
    findings: findings.map(f => ({
      rule: f.rule,
      severity: f.severity,
      reason: oneLine(f.reason, secrets)
    }))
  }
}

/**
 * Writes the document to a new file under `dir` (RUNNER_TEMP): its own name, so two audits in one
 * job keep both. Returns the path.
 */
export async function writeReportFile(document: unknown, dir: string): Promise<string> {
  const path = join(dir, `hive-key-audit-${randomBytes(4).toString('hex')}.json`)
  await writeFile(path, JSON.stringify(document, null, 2) + '\n', { flag: 'wx', mode: 0o644 })
  return path
}

/** The sentence that fails the step, or undefined when no finding reaches fail-on. */
export function verdict(report: AuditReport, failOn: FailOn): string | undefined {
  const failing = report.keys.flatMap(k => k.findings).filter(f => failsAt(f.severity, failOn))
  if (failing.length === 0) return undefined
  const counts = countBySeverity(failing)
  const keys = report.keys.filter(k => k.findings.some(f => failsAt(f.severity, failOn))).length
  const bySeverity = SEVERITIES.filter(s => counts[s] > 0)
    .map(s => `${counts[s]} ${s}`)
    .join(', ')
  return (
    `The audit found ${failing.length} finding(s) at or above fail-on (${failOn}) in ${keys} ` +
    `key(s): ${bySeverity}. See the job summary, and the file of the output report-path. ` +
    'Nothing was changed.'
  )
}

const MARK: Record<string, string> = { high: '🔴', medium: '🟠', low: '🟡' }

/** What each rule says, with the windows of this run, for the summary's table of rules. */
function ruleMeaning(rule: Rule, report: AuditReport): string {
  const { maxAgeDays, unusedDays, expiringWithinDays } = report.limits
  switch (rule) {
    case 'no-expiry':
      return 'never expires'
    case 'broad-write':
      return 'admin or read-write, with scope all'
    case 'lifetime-over-max':
      return `expiry less creation over ${maxAgeDays} days (audit-max-age-days)`
    case 'older-than-max':
      return `created over ${maxAgeDays} days ago (audit-max-age-days)`
    case 'unused':
      return `not used for ${unusedDays} days or more (audit-unused-days; usage data only)`
    case 'errors':
      return 'at least 10 errors in 24 h, and at least a fifth of its requests (usage data only)'
    case 'leftover':
      return 'an earlier key of a rotation (key-name) that is not its newest, still active'
    case 'expires-soon':
      return `expires within ${expiringWithinDays} days (rotate-if-expiring-within-days)`
    case 'scope-all':
      return 'read-only with scope all'
  }
}

/** The job summary of an audit: counts, the rules, the keys worst first; or its failure. */
export async function writeAuditSummary(
  report: AuditReport | undefined,
  s: Settings,
  failure: string | undefined,
  reportPath: string | undefined,
  summary: SummarySink,
  secrets: Secrets
): Promise<void> {
  const cell = (text: string) => escapeCell(text, secrets)
  const header = (...names: string[]) => names.map(data => ({ data, header: true }))
  if (report === undefined) {
    summary.addHeading('Hive key audit failed', 2)
    if (failure) summary.addRaw(preformatted(failure, secrets), true)
    await summary.write()
    return
  }
  const all = report.keys.flatMap(k => k.findings)
  const counts = countBySeverity(all)
  const clean = report.keys.filter(k => k.findings.length === 0).length
  summary.addHeading(
    `Hive key audit: ${counts.high} high, ${counts.medium} medium, ${counts.low} low ` +
      `finding(s) in ${report.keys.length} active key(s)`,
    2
  )
  if (failure) summary.addRaw(preformatted(failure, secrets), true)
  summary.addRaw(
    `<p>${report.keys.length} active key(s), ${clean} with no finding; fail-on ` +
      `${cell(s.failOn)}. Nothing was changed.` +
      (reportPath ? ` Every key and finding is in the report file (output report-path).` : '') +
      '</p>',
    true
  )
  summary.addHeading('Rules', 3)
  summary.addTable([
    header('Rule', 'Severity', 'Keys', 'Finds a key that'),
    ...(Object.keys(RULES) as Rule[]).map(rule => [
      cell(rule),
      `${MARK[RULES[rule]]} ${RULES[rule]}`,
      String(all.filter(f => f.rule === rule).length),
      cell(ruleMeaning(rule, report))
    ])
  ])

  const shown = report.keys.slice(0, SUMMARY_ROWS_MAX)
  summary.addHeading('Keys, worst first', 3)
  summary.addTable([
    header(
      'Name',
      'Id',
      'Prefix',
      'Permission',
      'Scope',
      'Age',
      'Expires',
      'Last use',
      'Requests 24 h',
      'Errors 24 h',
      'Findings'
    ),
    ...shown.map(({ key, usage, findings }) => {
      const days = (ms: number) => `${Math.floor(ms / DAY_MS)} d`
      const expires =
        key.expires_at === null
          ? 'never'
          : `${key.expires_at} (in ${days(Date.parse(key.expires_at) - report.now.getTime())})`
      return [
        cell(sanitize(key.name, secrets, SUMMARY_NAME_MAX)),
        cell(key.id),
        cell(`${key.prefix}…`),
        cell(key.permission),
        cell(sanitize(scopeText(key.scope), secrets, SUMMARY_SCOPE_MAX)),
        days(report.now.getTime() - Date.parse(key.created_at)),
        cell(expires),
        cell(lastUse(key, usage) ?? (usage === null ? 'unknown' : 'never')),
        usage === null ? 'unknown' : String(usage.requests_24h),
        usage === null ? 'unknown' : String(usage.errors_24h),
        (findings.length === 0
          ? '✅ none'
          : findings.map(f => `${MARK[f.severity]} ${cell(f.rule)}`).join(', ')) +
          // Said where it matters: unused and errors could not be judged.
          (usage === null ? ' (usage unknown)' : '')
      ]
    })
  ])
  if (report.keys.length > shown.length) {
    summary.addRaw(
      `<p>${report.keys.length - shown.length} more key(s), the cleanest, are in the report ` +
        'file only (a job summary is at most 1 MiB).</p>',
      true
    )
  }
  await summary.write()
}

/** A scope as the inputs write it: all, engagements:ID,ID or campaigns:ID,ID. */
export function scopeText(scope: Scope): string {
  switch (scope.type) {
    case 'all':
      return 'all'
    case 'engagements':
      return `engagements:${scope.engagement_ids.join(',')}`
    case 'campaigns':
      return `campaigns:${scope.campaign_ids.join(',')}`
  }
}
