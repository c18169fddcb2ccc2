/**
 * End to end, mode audit (issue 20) on the bundled action (dist/index.js) as the runner runs it:
 * every rule fires on a key planted to break it and none on a clean key; Hive sees only GETs and
 * GitHub nothing; fail-on turns the step red at and above its level; hostile key names stay plain
 * text in the log, the summary, the outputs and the report file; and no GitHub code loads.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from '@jest/globals'
import type { Permission, Scope } from '../../src/hive/types.js'
import type { World } from '../support/world.js'
import { ROOT } from '../support/run-action.js'
import {
  commandLines,
  foreignCommands,
  foreignMarkup,
  renderSummary
} from '../support/runner-view.js'
import {
  act,
  errors,
  expectCleanFailure,
  expectNoLeaks,
  expectNothingChanged,
  fromNow,
  ROTATION,
  snapshot,
  useWorld,
  warnings,
  without
} from './helpers.js'

const DAY = 86_400_000
const HOUR = 3_600_000
const world = useWorld()

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rotate-key-audit-'))
  dirs.push(dir)
  return dir
}

interface Plant {
  name?: string
  permission?: Permission
  scope?: Scope
  /** ms from now; default a day ago. */
  created?: number
  /** ms from now, or null (never); default 30 days ahead. */
  expires?: number | null
  /** Default: 50 requests, no error, last use an hour ago. `404`: Hive has no usage data. */
  usage?: { requests_24h: number; errors_24h: number; last_used_at: string | null } | 404
}

/** Plants a key that breaks no rule, but for what `p` changes. Returns its id. */
function plant(w: World, p: Plant = {}): string {
  const { id } = w.hive.seedKey({
    name: p.name ?? 'planted key',
    permission: p.permission ?? 'read-only',
    scope: p.scope ?? { type: 'engagements', engagement_ids: ['eng_12'] },
    createdAt: fromNow(p.created ?? -DAY),
    expiresAt: p.expires === null ? null : fromNow(p.expires ?? 30 * DAY)
  })
  if (p.usage === 404) {
    w.hive.addFault({ method: 'GET', path: `/api-keys/${id}/usage`, status: 404, times: Infinity })
  } else {
    w.hive.seedUsage(
      id,
      p.usage ?? { requests_24h: 50, errors_24h: 0, last_used_at: fromNow(-HOUR) }
    )
  }
  return id
}

/** The inputs of an audit: the world's, without a GitHub token, in mode audit. */
function auditInputs(w: World, extra: Record<string, string> = {}) {
  return without(w.inputs({ mode: 'audit', ...extra }), 'github-token')
}

interface ReportKey {
  id: string
  name: string
  name_truncated: boolean
  usage_known: boolean
  requests_24h: number | null
  findings: { rule: string; severity: string; reason: string }[]
}
interface Report {
  version: number
  counts: Record<string, number>
  failed: boolean
  keys: ReportKey[]
}

/** Runs the audit with RUNNER_TEMP in a folder of the test's, and reads its report file. */
async function audit(
  w: World,
  extra: Record<string, string> = {},
  env: Record<string, string> = {}
) {
  const runnerTemp = tempDir()
  const outcome = await act(w, auditInputs(w, extra), { env: { RUNNER_TEMP: runnerTemp, ...env } })
  const path = outcome.run.outputs['report-path'] ?? ''
  const text = path ? readFileSync(path, 'utf8') : ''
  return {
    outcome,
    run: outcome.run,
    runnerTemp,
    path,
    text,
    report: (text ? JSON.parse(text) : undefined) as Report | undefined
  }
}

/** Rule ids by key id, from the report file. */
function rulesById(report: Report | undefined): Record<string, string[]> {
  return Object.fromEntries((report?.keys ?? []).map(k => [k.id, k.findings.map(f => f.rule)]))
}

/**
 * What a run sent that could change something: every Hive request but a GET, and every GitHub
 * request. The fixture below shows that it sees a rotation's.
 */
function changesSent(w: World): string[] {
  return [
    ...w.hive.requests.filter(r => r.method !== 'GET').map(r => `hive ${r.method} ${r.path}`),
    ...w.github.requests.map(r => `github ${r.method} ${r.path}`)
  ]
}

describe('mode audit', () => {
  it('finds every rule on a key planted to break it, none on a clean key, changing nothing', async () => {
    const w = world()
    const ids = {
      clean: plant(w, { name: 'clean: engagements, 30 days, used' }),
      noExpiry: plant(w, { expires: null, created: -2 * DAY }), // older: first of its rank
      broadWrite: plant(w, { permission: 'read-write', scope: { type: 'all' } }),
      lifetime: plant(w, { expires: 100 * DAY }),
      older: plant(w, { created: -100 * DAY, expires: 10 * DAY }),
      unused: plant(w, {
        created: -40 * DAY,
        expires: 20 * DAY,
        usage: { requests_24h: 0, errors_24h: 0, last_used_at: null }
      }),
      stale: plant(w, {
        usage: { requests_24h: 0, errors_24h: 0, last_used_at: fromNow(-31 * DAY) }
      }),
      errors: plant(w, {
        usage: { requests_24h: 40, errors_24h: 10, last_used_at: fromNow(-HOUR) }
      }),
      soon: plant(w, { expires: 3 * DAY }),
      scopeAll: plant(w, { scope: { type: 'all' } }),
      leftover: plant(w, {
        name: `${ROTATION} ${fromNow(-20 * DAY)} replaces key_gone`,
        created: -20 * DAY,
        expires: 10 * DAY
      }),
      newest: plant(w, {
        name: `${ROTATION} ${fromNow(-2 * DAY)} replaces key_gone`,
        created: -2 * DAY
      }),
      // Idle for 60 days, but Hive has no usage data: unused says nothing.
      noUsage: plant(w, { created: -60 * DAY, expires: 20 * DAY, usage: 404 })
    }
    const before = snapshot(w)
    const { outcome, run, report, text, runnerTemp, path } = await audit(w)

    // The world's admin key never expires and has scope all; its CI key expires in 5 days.
    expect(rulesById(report)).toEqual({
      [w.admin.id]: ['no-expiry', 'broad-write'],
      [ids.noExpiry]: ['no-expiry'],
      [ids.broadWrite]: ['broad-write'],
      [ids.older]: ['lifetime-over-max', 'older-than-max'],
      [ids.unused]: ['unused'],
      [ids.stale]: ['unused'],
      [ids.errors]: ['errors'],
      [ids.leftover]: ['leftover'],
      [ids.lifetime]: ['lifetime-over-max'],
      [ids.soon]: ['expires-soon'],
      [w.ci.id]: ['expires-soon'],
      [ids.scopeAll]: ['scope-all'],
      [ids.clean]: [],
      [ids.newest]: [],
      [ids.noUsage]: []
    })
    // Worst first: the admin key (two high), the high ones, then medium, then low, then clean.
    expect(report!.keys[0].id).toBe(w.admin.id)
    expect(
      report!.keys
        .slice(1, 3)
        .map(k => k.id)
        .sort()
    ).toEqual([ids.noExpiry, ids.broadWrite].sort())
    expect(report!.keys.slice(-3).every(k => k.findings.length === 0)).toBe(true)
    expect(report!.version).toBe(1)
    expect(report!.counts).toEqual({ keys: 15, clean: 3, high: 4, medium: 7, low: 3 })
    const noUsage = report!.keys.find(k => k.id === ids.noUsage)!
    expect([noUsage.usage_known, noUsage.requests_24h]).toEqual([false, null])

    // Nothing changed, only GETs reached Hive, nothing reached GitHub, no value leaked.
    expectNothingChanged(w, outcome, before)
    expect(changesSent(w)).toEqual([])
    const paths = new Set(w.hive.requests.map(r => r.path.replace(/key_[A-Za-z0-9]+/, '{id}')))
    expect(paths).toEqual(new Set(['/api-keys', '/api-keys/{id}/usage']))
    expect(w.hive.requests.filter(r => r.path.endsWith('/usage'))).toHaveLength(15)
    expectNoLeaks(outcome)
    expect(text).not.toContain(w.admin.value)

    // fail-on high (the default): red, one annotation per high finding, then the verdict.
    expectCleanFailure(run)
    expect(errors(run)).toEqual([
      expect.stringMatching(new RegExp(`^Hive key ${w.admin.id} .*: no-expiry \\(high\\)`)),
      expect.stringMatching(new RegExp(`^Hive key ${w.admin.id} .*: broad-write \\(high\\)`)),
      expect.stringMatching(new RegExp(`^Hive key ${ids.noExpiry} .*: no-expiry \\(high\\)`)),
      expect.stringMatching(new RegExp(`^Hive key ${ids.broadWrite} .*: broad-write \\(high\\)`)),
      'The audit found 4 finding(s) at or above fail-on (high) in 3 key(s): 4 high. See the job ' +
        'summary, and the file of the output report-path. Nothing was changed.'
    ])

    // The outputs: findings as the file has them, and the file under RUNNER_TEMP.
    expect(path.startsWith(runnerTemp + '/')).toBe(true)
    const findings = JSON.parse(run.outputs.findings) as Record<string, string>[]
    expect(findings).toEqual(
      report!.keys.flatMap(k =>
        k.findings.map(f => ({ 'key-id': k.id, prefix: expect.any(String), ...f }))
      )
    )
    expect(Object.keys(findings[0])).toEqual(['key-id', 'prefix', 'rule', 'severity', 'reason'])

    // The summary: counts, every key with its rule ids, usage unknown said so.
    expect(run.summary).toContain(
      'Hive key audit: 4 high, 7 medium, 3 low finding(s) in 15 active key(s)'
    )
    const rendered = renderSummary(run.summary)
    expect(foreignMarkup(rendered)).toEqual([])
    const row = (id: string) => rendered.split('<tr>').find(r => r.includes(`<td>${id}</td>`)) ?? ''
    expect(row(ids.leftover)).toContain('🟠 leftover')
    expect(row(ids.clean)).toContain('✅ none')
    expect(row(ids.noUsage)).toContain(
      '<td>unknown</td><td>unknown</td><td>unknown</td><td>✅ none (usage unknown)</td>'
    )
  }, 60_000)

  it('needs no GitHub token and loads no GitHub code', async () => {
    const w = world()
    const log = tempDir()
    const file = join(log, 'loads')
    const hook = pathToFileURL(join(ROOT, 'test/support/load-log.mjs')).href
    const { run } = await audit(
      w,
      { 'fail-on': 'never' },
      {
        NODE_OPTIONS: `--import=${hook}`,
        ROTATE_KEY_LOAD_LOG: file
      }
    )
    expect(run.code).toBe(0)
    const dist = join(ROOT, 'dist')
    const loaded = [
      ...new Set(
        readFileSync(file, 'utf8')
          .split('\n')
          .filter(url => url.startsWith('file:'))
          .map(url => fileURLToPath(url))
          .filter(p => p.startsWith(dist + '/'))
      )
    ]
    expect(loaded.length).toBeGreaterThan(1) // the entry and the audit's chunks
    const code = loaded.map(p => readFileSync(p, 'utf8')).join('\n')
    // A string of each GitHub-side package's own code (as test/e2e/lazy-load.e2e.test.ts finds them).
    for (const marker of [
      'sodium_version_string',
      '[@octokit/auth-app] appId option is required',
      'process.env.GITHUB_EVENT_PATH',
      'plugin-throttling error:',
      'This limiter has been stopped'
    ]) {
      expect({ marker, loaded: code.includes(marker) }).toEqual({ marker, loaded: false })
    }
  }, 60_000)

  it('fails naming the admin key it needs when the key may not list keys, changing nothing', async () => {
    const w = world()
    const before = snapshot(w)
    const { outcome, run } = await audit(w, { 'hive-admin-key': '' })
    expectCleanFailure(run)
    expectNothingChanged(w, outcome, before)
    expect(errors(run)).toEqual([
      expect.stringMatching(
        /^mode audit lists every key, which needs an admin key: give hive-admin-key, or an admin hive-api-key\. Hive answered 403/
      )
    ])
    expect(run.outputs).toEqual({})
    expect(run.summary).toContain('Hive key audit failed')
  }, 30_000)

  it('is seen by the check of what a run sent (its fixture: a rotation changes things)', async () => {
    const w = world()
    const { run } = await act(w, w.inputs())
    expect(run.code).toBe(0)
    expect(changesSent(w)).toEqual(expect.arrayContaining(['hive POST /api-keys']))
    expect(changesSent(w).some(c => c.startsWith('github PUT '))).toBe(true)
  }, 30_000)
})

describe('fail-on', () => {
  /**
   * A world whose worst finding is `worst`: the world's own keys revoked, audited with an admin key
   * that breaks no rule (scoped to one engagement, expiring in 30 days), and one key planted.
   */
  async function worldWhoseWorst(worst: 'high' | 'medium' | 'low' | 'none') {
    const w = world()
    const auditor = w.hive.seedKey({
      name: 'auditor',
      permission: 'admin',
      scope: { type: 'engagements', engagement_ids: ['eng_12'] },
      expiresAt: fromNow(30 * DAY)
    })
    for (const id of [w.admin.id, w.ci.id]) {
      const answer = await fetch(`${w.hive.url}/api-keys/${id}`, {
        method: 'DELETE',
        headers: { 'X-Api-Key': auditor.value }
      })
      expect(answer.status).toBe(204)
    }
    if (worst === 'high') plant(w, { expires: null })
    if (worst === 'medium') plant(w, { expires: 100 * DAY })
    if (worst === 'low') plant(w, { scope: { type: 'all' } })
    w.hive.requests.length = 0
    return { w, auditor }
  }

  const LEVELS = ['high', 'medium', 'low', 'never'] as const
  const RANK = { high: 3, medium: 2, low: 1, none: 0, never: Infinity }

  it.each(['high', 'medium', 'low', 'none'] as const)(
    'with a worst finding %s, turns the step red at and above its level only',
    async worst => {
      const { w, auditor } = await worldWhoseWorst(worst)
      const codes: Record<string, number | null> = {}
      for (const failOn of LEVELS) {
        const { outcome, run, report } = await audit(w, {
          'hive-api-key': auditor.value,
          'hive-admin-key': '',
          'fail-on': failOn
        })
        codes[failOn] = run.code
        expectNoLeaks({ ...outcome, secrets: [...outcome.secrets, auditor.value] })
        expect(report!.failed).toBe(run.code === 1)
        if (run.code === 1) expectCleanFailure(run)
        else expect(errors(run)).toEqual([])
        // A high finding is an error when it fails the step, a warning when fail-on is never.
        if (worst === 'high' && failOn === 'never') {
          expect(warnings(run).filter(m => m.includes('no-expiry (high)'))).toHaveLength(1)
        }
      }
      const expected = Object.fromEntries(
        LEVELS.map(failOn => [failOn, RANK[worst] >= RANK[failOn] ? 1 : 0])
      )
      expect(codes).toEqual(expected)
      expect(changesSent(w)).toEqual([])
    },
    60_000
  )
})

describe('hostile key names', () => {
  it('stay plain text in the log, the summary, the outputs and the report file', async () => {
    const w = world()
    const names = {
      command: '::error::pwned',
      stop: 'x\n::stop-commands::pwned\r::add-mask::x\n##[error]legacy',
      markup:
        '<img src=x onerror=alert(1)> [click](https://evil.example) ![i](https://evil.example/i.png) @team `code` | pipe',
      invisible: '\u200b::warning::zero-width\u202eevil'
    }
    const planted = Object.fromEntries(
      Object.entries(names).map(([k, name]) => [k, plant(w, { name, expires: null })])
    )
    // 10,000 characters: off the contract's 200, so only a lie gets it to the action.
    const long = plant(w, { name: 'short for now', expires: null })
    const longName = '::error::long\n' + '<b>x</b>'.repeat(1250)
    w.hive.tamper({
      method: 'GET',
      path: '/api-keys',
      field: { name: 'name', value: longName, keyId: long }
    })

    const { outcome, run, report, text } = await audit(w)
    expect(w.hive.requests.filter(r => r.tampered).length).toBeGreaterThan(0)
    expectCleanFailure(run)
    expectNoLeaks(outcome)

    // The log: no command the action did not mean; the names shown, defused, as text.
    expect(foreignCommands(run.stdout)).toEqual([])
    expect(commandLines(run.stderr)).toEqual([])
    expect(run.stdout).toContain(`": :error::pwned"`)
    expect(run.stdout).toContain('# #[error]legacy')
    expect(run.stdout).toMatch(new RegExp(`Hive gave key ${long} a name of 10014 characters`))
    // Every high finding (each name never expires) is one annotation, its name in it as text.
    const annotated = errors(run).filter(e => e.includes('no-expiry (high)'))
    expect(annotated).toHaveLength(6) // the five names and the world's admin key
    for (const line of annotated) expect(line).not.toMatch(/[\r\n]/)

    // The summary: no markup from outside, each name escaped and capped.
    const rendered = renderSummary(run.summary)
    expect(foreignMarkup(rendered)).toEqual([])
    expect(rendered).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(run.summary.length).toBeLessThan(20_000)

    // The outputs: one line each.
    for (const [name, value] of Object.entries(run.outputs)) {
      expect({ name, lines: value.split(/\r\n|\r|\n/).length }).toEqual({ name, lines: 1 })
    }

    // The report file: each name one line of text, no command, capped at 200 characters.
    expect(commandLines(text)).toEqual([])
    for (const key of report!.keys) {
      expect({ id: key.id, commands: commandLines(key.name) }).toEqual({ id: key.id, commands: [] })
      expect(key.name).not.toMatch(/[\p{Cc}\p{Cf}]/u)
      expect(Array.from(key.name).length).toBeLessThanOrEqual(200)
    }
    const longKey = report!.keys.find(k => k.id === long)!
    expect(longKey.name_truncated).toBe(true)
    expect(longKey.name.startsWith(': :error::long <b>x</b>')).toBe(true)
    expect(report!.keys.find(k => k.id === planted.command)!.name).toBe(': :error::pwned')
    // The fixture of the file's check: Hive's own names are commands to the runner.
    expect(Object.values(names).flatMap(n => commandLines(n)).length).toBeGreaterThan(0)
  }, 60_000)
})
