/**
 * Outputs and the job summary, written once at the end of a run from the RotationReport. They hold
 * key ids, prefixes, expiry and timings: never a key value. Every string still passes through
 * text.ts (redacted, withheld when a secret hides in it, one line), so that even a Hive or GitHub
 * message that echoed a value could not carry it out.
 *
 * The summary is Markdown that GitHub renders with cmark-gfm, in which raw HTML is allowed. Each
 * piece here is one line of HTML: a `<table>` or `<ul>` line is an HTML block that ends at a blank
 * line, after which the rest would be read as Markdown (links, images). So no text put in it may
 * hold a line break, HTML is escaped, and the characters that start Markdown links, images and
 * autolinks are written as character references (which render as themselves, never as syntax).
 */
import type { HiveKey } from '../hive/types.js'
import { hidesSecret, oneLine, redact, WITHHELD } from '../text.js'
import { describeScope } from '../rotation/plan.js'
import {
  daysUntilExpiry,
  heldKey,
  type RotationReport,
  type StepStatus
} from '../rotation/report.js'

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

/** The secret values known to the run: redacted from (or withholding) every text written. */
export type Secrets = readonly string[]

/** The `destinations` output: each field cleaned on its own, so the JSON stays valid. */
export function destinationsJson(report: RotationReport, secrets: Secrets = []): string {
  const clean = (text: string) => oneLine(text, secrets)
  return JSON.stringify(
    report.destinations.map(d => ({
      destination: clean(d.destination),
      status: clean(d.status),
      ...(d.publicKeyId ? { public_key_id: clean(d.publicKeyId) } : {}),
      ...(d.detail ? { detail: clean(d.detail) } : {})
    }))
  )
}

/** The `canary` output: one object per canary run; '[]' without canary-workflows. */
export function canaryJson(report: RotationReport, secrets: Secrets = []): string {
  const clean = (text: string) => oneLine(text, secrets)
  return JSON.stringify(
    (report.canary ?? []).map(c => ({
      workflow: clean(c.workflow),
      url: clean(c.url),
      conclusion: clean(c.conclusion),
      'used-new-key': c.usedNewKey
    }))
  )
}

/** Every output is one line: redacted, no line break, no workflow command. */
export function writeOutputs(
  report: RotationReport,
  out: OutputSink,
  secrets: Secrets,
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
    destinations: destinationsJson(report, secrets),
    'days-until-expiry': days === undefined ? '' : String(days),
    canary: canaryJson(report, secrets)
  }
  for (const [name, value] of Object.entries(outputs)) out.setOutput(name, oneLine(value, secrets))
}

export async function writeSummary(
  report: RotationReport,
  failure: string | undefined,
  summary: SummarySink,
  secrets: Secrets,
  now: Date = new Date()
): Promise<void> {
  const cell = (text: string) => escapeCell(text, secrets)
  const header = (...names: string[]) => names.map(data => ({ data, header: true }))
  summary.addHeading(title(report, failure), 2)
  if (failure) summary.addRaw(preformatted(failure, secrets), true)
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
  if (report.oldKeyDied) {
    const { said, from, to } = report.oldKeyDied
    summary.addRaw(
      `<p>⛔ The old key stopped answering during the run (${cell(said)}): the destinations ` +
        `held a dead key from ${cell(from)} ` +
        (to ? `until ${cell(to)}, when the last of them was given the new key.` : 'on, and ') +
        (to ? '' : 'some still do: see the destinations below.') +
        '</p>',
      true
    )
  }
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
      STATUS[s.status],
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

  table(
    'Canary runs (Test the applications)',
    ['Workflow', 'Run', 'Conclusion', 'Used the new key', 'Failed jobs and steps'],
    (report.canary ?? []).map(c => [
      cell(c.workflow),
      cell(c.url || '(no run)'),
      cell(c.conclusion + (c.detail ? `: ${c.detail}` : '')),
      cell(String(c.usedNewKey)),
      cell(c.failed.join(', '))
    ])
  )

  if (report.dryRun && report.plan.length > 0) {
    summary.addHeading('Plan', 3)
    summary.addList(report.plan.map(cell))
  }
  await summary.write()
}

const STATUS: Record<StepStatus, string> = {
  ok: '✅ ok',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
  cancelled: '🛑 cancelled'
}

function title(report: RotationReport, failure: string | undefined): string {
  if (report.mode === 'check') return failure ? 'Hive key check failed' : 'Hive key check: ok'
  const what = report.mode === 'emergency' ? 'Hive emergency key rotation' : 'Hive key rotation'
  if (report.cancelled)
    return `${what} cancelled (${report.cancelled.signal}) during "${report.cancelled.step}"`
  if (failure) return `${what} failed`
  if (report.dryRun) return `${what}: dry run, nothing changed`
  if (report.rotated && report.recovery !== undefined)
    return 'Hive key recovered: a dead key replaced'
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
  secrets: Secrets
): Promise<void> {
  summary.addHeading('Hive key rotation: invalid inputs, nothing changed', 2)
  summary.addList(problems.map(p => escapeCell(p, secrets)))
  await summary.write()
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/**
 * Text for one cell (or list item, or paragraph) of the summary: one line (text.ts), HTML escaped,
 * and what could start Markdown written as character references: brackets (links, images), the
 * backtick, pipes, backslashes, `!`, and the `://`, `www.` and `@` of GFM's autolinks. Emphasis
 * marks (`_`, `*`) are left: every cell sits inside an HTML block, which GFM does not read as
 * Markdown, and ids, timestamps and scopes keep their `_`, `:` and `-` as they are.
 */
export function escapeCell(text: string, secrets: Secrets): string {
  return escapeHtml(oneLine(text, secrets))
    .replace(/[[\]`|\\!]/g, c => `&#${c.charCodeAt(0)};`)
    .replace(/:\/\//g, '&#58;//')
    .replace(/\bwww\./gi, m => `${m.slice(0, 3)}&#46;`)
    .replace(/@/g, '&#64;')
}

/**
 * The failure, in a `<pre>` block, line by line, each line escaped as a cell: its line breaks are
 * written as `&#10;` so the block stays one Markdown line (nothing after it can be read as
 * Markdown) and still shows as several lines.
 */
export function preformatted(failure: string, secrets: Secrets): string {
  // Checked whole first: a secret split across two lines is in no single line.
  if (hidesSecret(redact(failure, secrets), secrets)) return `<pre>${WITHHELD}</pre>`
  const lines = failure.split(/\r\n|[\r\n\u2028\u2029]/).map(line => escapeCell(line, secrets))
  return `<pre>${lines.join('&#10;')}</pre>`
}
