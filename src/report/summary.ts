/**
 * Outputs and the job summary, written once at the end of a run from the RotationReport. They hold
 * key ids, prefixes, expiry and timings: never a key value. Every string still passes through
 * `redact`, so that even a Hive or GitHub message that echoed a value could not carry it out.
 */
import type { HiveKey } from '../hive/types.js'
import { describeScope } from '../rotation/plan.js'
import { heldKey, type RotationReport } from '../rotation/report.js'

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

export function writeOutputs(report: RotationReport, out: OutputSink, redact: Redact): void {
  const held = heldKey(report)
  const outputs: Record<string, string> = {
    rotated: String(report.rotated),
    'key-id': held?.id ?? '',
    'key-prefix': held?.prefix ?? '',
    'expires-at': held?.expires_at ?? '',
    'revoked-key-ids': report.revokedKeyIds.join(','),
    destinations: destinationsJson(report)
  }
  for (const [name, value] of Object.entries(outputs)) out.setOutput(name, redact(value))
}

export async function writeSummary(
  report: RotationReport,
  failure: string | undefined,
  summary: SummarySink,
  redact: Redact
): Promise<void> {
  const cell = (text: string) => escapeHtml(redact(text))
  const header = (...names: string[]) => names.map(data => ({ data, header: true }))
  const title = failure
    ? 'Hive key rotation failed'
    : report.dryRun
      ? 'Hive key rotation: dry run, nothing changed'
      : report.rotated
        ? 'Hive key rotated'
        : 'Hive key rotation: nothing changed'
  summary.addHeading(title, 2)
  if (failure) summary.addRaw(`<pre>${cell(failure)}</pre>`, true)

  if (report.steps.length > 0) {
    summary.addHeading('Steps', 3)
    summary.addTable([
      header('Step', 'Result', 'Time', 'Detail'),
      ...report.steps.map(s => [
        cell(s.step),
        s.status === 'ok' ? '✅ ok' : s.status === 'failed' ? '❌ failed' : '⏭️ skipped',
        `${(s.ms / 1000).toFixed(1)} s`,
        cell(s.detail)
      ])
    ])
  }

  const keys: [string, HiveKey | undefined][] = [
    ['Old key', report.oldKey],
    ['New key', report.newKey],
    ['Admin key', report.adminKey]
  ]
  const known = keys.filter((k): k is [string, HiveKey] => k[1] !== undefined)
  if (known.length > 0) {
    summary.addHeading('Keys', 3)
    summary.addTable([
      header('Key', 'Id', 'Prefix', 'Permission', 'Scope', 'Expires', 'Now'),
      ...known.map(([role, k]) => [
        role,
        cell(k.id),
        cell(`${k.prefix}…`),
        cell(k.permission),
        cell(describeScope(k.scope)),
        cell(k.expires_at ?? 'never'),
        report.revokedKeyIds.includes(k.id) ? 'revoked' : 'active'
      ])
    ])
  }

  if (report.destinations.length > 0) {
    summary.addHeading('Destinations', 3)
    summary.addTable([
      header('Destination', 'Status', 'Public key id', 'Detail'),
      ...report.destinations.map(d => [
        cell(d.destination),
        cell(d.status),
        cell(d.publicKeyId ?? ''),
        cell(d.detail ?? '')
      ])
    ])
  }

  if (report.dryRun && report.plan.length > 0) {
    summary.addHeading('Plan', 3)
    summary.addList(report.plan.map(cell))
  }
  await summary.write()
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
