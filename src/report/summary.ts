/**
 * Outputs and the job summary, written once at the end of a run from the RotationReport. They hold
 * key ids, prefixes, expiry and timings: never a key value. Every string still passes through
 * `redact`, so that even a Hive or GitHub message that echoed a value could not carry it out.
 */
import type { HiveKey } from '../hive/types.js'
import { describeScope } from '../rotation/plan.js'
import { daysUntilExpiry, heldKey, type RotationReport } from '../rotation/report.js'

export interface OutputSink {
  setOutput(name: string, value: string): void
}

/** The subset of `core.summary` used here, so tests can pass their own. */
export interface SummarySink {
  addHeading(text: string, level?: number): SummarySink
  addRaw(text: string, addEOL?: boolean): SummarySink
  addTable(rows: ({ data: string; header?: boolean } | string)[][]): SummarySink
  addList(items: string[]): SummarySink
  write(): Promise<unknown>
}

export type Redact = (text: string) => string

export function destinationsJson(report: RotationReport): string {
  return JSON.stringify(
    report.destinations.map(d => ({
      destination: d.destination,
      status: d.status,
      ...(d.publicKeyId ? { public_key_id: d.publicKeyId } : {}),
      ...(d.detail ? { detail: d.detail } : {})
    }))
  )
}

export function writeOutputs(
  report: RotationReport,
  out: OutputSink,
  redact: Redact,
  now: Date
): void {
  const held = heldKey(report)
  const days = held ? daysUntilExpiry(held, now) : undefined
  const outputs: Record<string, string> = {
    rotated: String(report.rotated),
    'key-id': held?.id ?? '',
    'key-prefix': held?.prefix ?? '',
    'expires-at': held?.expires_at ?? '',
    'revoked-key-ids': report.revokedKeyIds.join(','),
    destinations: destinationsJson(report),
    'days-until-expiry': days === undefined ? '' : String(days)
  }
  for (const [name, value] of Object.entries(outputs)) out.setOutput(name, redact(value))
}

export async function writeSummary(
  report: RotationReport,
  failure: string | undefined,
  summary: SummarySink,
  redact: Redact,
  now: Date = new Date()
): Promise<void> {
  const cell = (text: string) => escapeHtml(redact(text))
  const header = (...names: string[]) => names.map(data => ({ data, header: true }))
  summary.addHeading(title(report, failure), 2)
  if (failure) summary.addRaw(`<pre>${cell(failure)}</pre>`, true)
  const held = heldKey(report)
  if (held) {
    const days = daysUntilExpiry(held, now)
    const role = report.mode === 'check' ? 'The current key' : 'The key the destinations hold'
    summary.addRaw(
      `<p>${role}: ${cell(`${held.id} (${held.prefix}…)`)}, ` +
        (days === undefined
          ? 'never expires.'
          : `expires ${cell(held.expires_at ?? '')}: ${days} day(s) left.`) +
        '</p>',
      true
    )
  }
  if (report.due) summary.addRaw(`<p>Due: ${cell(report.due)}.</p>`, true)
  if (report.warnings.length > 0) {
    summary.addHeading('Warnings', 3)
    summary.addList(report.warnings.map(w => `⚠️ ${cell(w)}`))
  }

  /** A table under its own heading, left out when it has no rows. */
  const table = (heading: string, names: string[], rows: string[][]) => {
    if (rows.length === 0) return
    summary.addHeading(heading, 3)
    summary.addTable([header(...names), ...rows])
  }

  table(
    'Steps',
    ['Step', 'Result', 'Time', 'Detail'],
    report.steps.map(s => [
      cell(s.step),
      s.status === 'ok' ? '✅ ok' : s.status === 'failed' ? '❌ failed' : '⏭️ skipped',
      `${(s.ms / 1000).toFixed(1)} s`,
      cell(s.detail)
    ])
  )

  const keys: [string, HiveKey | undefined][] = [
    [report.mode === 'check' ? 'Current key' : 'Old key', report.oldKey],
    ['New key', report.newKey],
    ['Admin key', report.adminKey]
  ]
  table(
    'Keys',
    ['Key', 'Id', 'Prefix', 'Permission', 'Scope', 'Expires', 'Now'],
    keys
      .filter((k): k is [string, HiveKey] => k[1] !== undefined)
      .map(([role, k]) => [
        role,
        cell(k.id),
        cell(`${k.prefix}…`),
        cell(k.permission),
        cell(describeScope(k.scope)),
        cell(k.expires_at ?? 'never'),
        cell(keyState(report, k))
      ])
  )

  table(
    'Leftovers of earlier runs',
    ['Id', 'Prefix', 'Why', 'Expires', 'Outcome'],
    report.leftovers.map(l => [
      cell(l.id),
      cell(`${l.prefix}…`),
      cell(l.why),
      cell(l.expiresAt ?? 'never'),
      cell(l.outcome)
    ])
  )

  table(
    'Destinations',
    ['Destination', 'Status', 'Public key id', 'Detail'],
    report.destinations.map(d => [
      cell(d.destination),
      cell(d.status),
      cell(d.publicKeyId ?? ''),
      cell(d.detail ?? '')
    ])
  )

  if (report.dryRun && report.plan.length > 0) {
    summary.addHeading('Plan', 3)
    summary.addList(report.plan.map(cell))
  }
  await summary.write()
}

function title(report: RotationReport, failure: string | undefined): string {
  if (report.mode === 'check') return failure ? 'Hive key check failed' : 'Hive key check: ok'
  const what = report.mode === 'emergency' ? 'Hive emergency key rotation' : 'Hive key rotation'
  if (failure) return `${what} failed`
  if (report.dryRun) return `${what}: dry run, nothing changed`
  if (report.rotated) return report.mode === 'emergency' ? `${what}: done` : 'Hive key rotated'
  return `${what}: nothing changed`
}

/** What became of a key in this run: revoked, given a grace period, or still active. */
function keyState(report: RotationReport, key: HiveKey): string {
  if (report.revokedKeyIds.includes(key.id)) return 'revoked'
  if (key.id === report.oldKey?.id && report.retired === 'grace') {
    return `expires at ${key.expires_at ?? 'never'} (grace)`
  }
  return 'active'
}

/** The summary of a run stopped by its inputs: every problem, nothing else happened. */
export async function writeInputProblems(
  problems: string[],
  summary: SummarySink,
  redact: Redact
): Promise<void> {
  summary.addHeading('Hive key rotation: invalid inputs, nothing changed', 2)
  summary.addList(problems.map(p => escapeHtml(redact(p))))
  await summary.write()
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}
