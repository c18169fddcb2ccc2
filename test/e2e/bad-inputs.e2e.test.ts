/**
 * Invariant 5 for the inputs of issue 4 (mode, old-key-grace-minutes, prune,
 * rotate-if-expiring-within-days), the combinations mode emergency refuses, the names of
 * issue 9 (a key-name too long once the suffix is counted, or holding a control or format
 * character; an environment name that is, or holds between "/"s, "." or ".."), and the scope
 * ids of issue 18 (outside hive-api.md's 1 to 64 of A-Z a-z 0-9 _ -): each bad value is answered
 * by dist/index.js with exit 1, an `::error::` line that names the input, states the rule and quotes
 * what was given, no stack trace, a job summary that lists it, and not one request to Hive or
 * GitHub, so nothing can have changed.
 */
import { describe, expect, it } from '@jest/globals'
import {
  act,
  errors,
  expectBatchRefusedUpFront,
  expectCleanFailure,
  expectDestinationsHoldLiveKeys,
  expectNoLeaks,
  expectNothingChanged,
  expectRefusedBeforeAnyChange,
  snapshot,
  useBadInputBatches,
  useWorld
} from './helpers.js'
import { leaks } from '../support/run-action.js'
import type { World } from '../support/world.js'

const world = useWorld()

interface Row {
  /** The inputs every error line must name (at least one line each). */
  named: string[]
  /** The inputs changed from world.inputs(); a function when the value comes from the world. */
  change: Record<string, string> | ((w: World) => Record<string, string>)
  /** The rule the error states, quoting what was given where the value is not a secret. */
  rule: RegExp
}

const ONE_OF = 'must be one of rotate, check, emergency, audit'
const WHOLE = (name: string, max: number, got: string) =>
  new RegExp(`${name} must be a whole number from 0 to ${max}, got "${got.replace('.', '\\.')}"`)
const BOOL = (got: string) => new RegExp(`prune must be true or false, got "${got}"`)
/** Matches `text` literally. */
const literally = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
const KEY_NAME_LENGTH = (got: number) =>
  new RegExp(
    `key-name must be at most 90 characters \\(Hive names a key with at most 200,.*, got ${got}\\b`
  )
const KEY_NAME_CHARS = /key-name must hold no control, format or invisible characters/
/** Issue 18: a scope id outside hive-api.md's format (1 to 64 of A-Z a-z 0-9 _ -). */
const SCOPE_ID = (kind: string, id: string, why: string) =>
  literally(
    `scope: ${kind} id "${id}" must be 1 to 64 characters, each a letter, digit, "_" or "-" ` +
      `(Hive's id format); ${why}`
  )
const ENVIRONMENT = (name: string) =>
  literally(
    `destinations: "env:octo/app/${name}": the environment name must not be "." or ".." nor ` +
      'have "." or ".." as a part between "/"s (a URL path resolves such a segment away: the ' +
      `request would reach another endpoint), got "${name}"`
  )

// prettier-ignore
const ROWS: Row[] = [
  { named: ['mode'], change: { mode: 'Rotate' }, rule: new RegExp(`mode ${ONE_OF}, got "Rotate"`) },
  { named: ['mode'], change: { mode: 'check,rotate' }, rule: new RegExp(`mode ${ONE_OF}, got "check,rotate"`) },
  { named: ['mode', 'hive-admin-key'], change: w => ({ mode: 'emergency', 'hive-admin-key': w.ci.value }), rule: /mode emergency needs hive-admin-key, a separate admin key/ },
  { named: ['mode', 'revoke-old'], change: { mode: 'emergency', 'revoke-old': 'false' }, rule: /mode emergency cannot be combined with revoke-old: false/ },
  { named: ['mode', 'old-key-grace-minutes'], change: { mode: 'emergency', 'old-key-grace-minutes': '15' }, rule: /mode emergency cannot be combined with old-key-grace-minutes/ },
  { named: ['mode', 'rotate-if-expiring-within-days'], change: { mode: 'emergency', 'rotate-if-expiring-within-days': '7' }, rule: /mode emergency cannot be combined with rotate-if-expiring-within-days/ },
  { named: ['old-key-grace-minutes'], change: { 'old-key-grace-minutes': '1.5' }, rule: WHOLE('old-key-grace-minutes', 1440, '1.5') },
  { named: ['old-key-grace-minutes'], change: { 'old-key-grace-minutes': '15m' }, rule: WHOLE('old-key-grace-minutes', 1440, '15m') },
  { named: ['old-key-grace-minutes'], change: { 'old-key-grace-minutes': '0x10' }, rule: WHOLE('old-key-grace-minutes', 1440, '0x10') },
  { named: ['prune'], change: { prune: 'on' }, rule: BOOL('on') },
  { named: ['prune'], change: { prune: '1' }, rule: BOOL('1') },
  { named: ['rotate-if-expiring-within-days'], change: { 'rotate-if-expiring-within-days': '366' }, rule: WHOLE('rotate-if-expiring-within-days', 365, '366') },
  { named: ['rotate-if-expiring-within-days'], change: { 'rotate-if-expiring-within-days': '7.5' }, rule: WHOLE('rotate-if-expiring-within-days', 365, '7.5') },
  { named: ['rotate-if-expiring-within-days'], change: { 'rotate-if-expiring-within-days': '-1' }, rule: WHOLE('rotate-if-expiring-within-days', 365, '-1') },
  // Issue 9: a key-name Hive would refuse once the suffix is added, or one that prints as more.
  { named: ['key-name'], change: { 'key-name': 'k'.repeat(91) }, rule: KEY_NAME_LENGTH(91) },
  { named: ['key-name'], change: { 'key-name': 'k'.repeat(200) }, rule: KEY_NAME_LENGTH(200) },
  { named: ['key-name'], change: { 'key-name': 'nightly\u001b[2Krotation' }, rule: KEY_NAME_CHARS },
  { named: ['key-name'], change: { 'key-name': 'nightly\n::warning::rotation' }, rule: KEY_NAME_CHARS },
  { named: ['key-name'], change: { 'key-name': 'nightly\u200brotation' }, rule: KEY_NAME_CHARS },
  // Issues 9 and 21: environment names that are, or hold between "/"s, a dot segment.
  { named: ['destinations'], change: { destinations: 'env:octo/app/..' }, rule: ENVIRONMENT('..') },
  { named: ['destinations'], change: { destinations: 'env:octo/app/.' }, rule: ENVIRONMENT('.') },
  { named: ['destinations'], change: { destinations: 'repo:octo/app\nenv:octo/app/prod/../eu' }, rule: ENVIRONMENT('prod/../eu') },
  { named: ['destinations'], change: { destinations: 'repo:octo/app\nenv:octo/app/prod/.' }, rule: ENVIRONMENT('prod/.') },
  // Issue 18: scope ids Hive would refuse (a 422 that never says scope) or keep as an orphan.
  { named: ['scope'], change: { scope: 'engagements:eng.1' }, rule: SCOPE_ID('engagement', 'eng.1', 'it holds "."') },
  { named: ['scope'], change: { scope: `campaigns:${'c'.repeat(65)}` }, rule: SCOPE_ID('campaign', 'c'.repeat(65), 'it has 65 characters') }
]

describe('bad input values are refused before any request', () => {
  // The rows of one batch go to the action together, each batch on a world of its own.
  const { batches, runOf } = useBadInputBatches(ROWS, (row, w) =>
    typeof row.change === 'function' ? row.change(w) : row.change
  )

  it('puts the rows into fewer runs than rows', () => {
    expect(batches().flat()).toHaveLength(ROWS.length)
    expect(batches().length).toBeLessThan(ROWS.length / 2)
  })

  it.each(ROWS.map(row => ({ row, label: row.named.join(' + '), rule: row.rule })))(
    '$label: $rule',
    ({ row }) => {
      const { named, rule } = row
      const batch = runOf(row)
      const { run } = batch.outcome
      // Nothing sent, nothing changed, a clean failure (exit 1, no stack trace), no value shown.
      expectBatchRefusedUpFront(batch)
      // The rule stated on one line that names every input of the row.
      const lines = errors(run)
      const stated = lines.filter(line => rule.test(line))
      expect(stated).toHaveLength(1)
      for (const name of named) {
        expect({ name, named: stated[0].includes(name) }).toEqual({ name, named: true })
        expect(run.summary).toContain(name)
      }
      expect(lines.at(-1)).toMatch(/input problem\(s\), listed above; nothing was changed/)
    }
  )
})

describe('scope ids outside the contract', () => {
  it('names every bad id at once, before any request', async () => {
    const w = world()
    const long = 'e'.repeat(65)
    const outcome = await expectRefusedBeforeAnyChange(
      w,
      w.inputs({ scope: `engagements:eng_12,eng.1,${long},eng_40`, permission: 'read-only' })
    )
    expect(w.hive.requests).toEqual([])
    expect(w.github.requests).toEqual([])
    const scopeLines = errors(outcome.run).filter(line => line.startsWith('scope'))
    expect(scopeLines).toHaveLength(2)
    expect(scopeLines[0]).toMatch(SCOPE_ID('engagement', 'eng.1', 'it holds "."'))
    expect(scopeLines[1]).toMatch(SCOPE_ID('engagement', long, 'it has 65 characters'))
    for (const id of ['eng.1', long]) expect(outcome.run.summary).toContain(id)
  }, 30_000)
})

/**
 * Issue 18: a URL with a user name or password (hive-url, or the runner's GITHUB_API_URL) is
 * refused by name before any request, and the password is printed nowhere: not in an
 * `::error::` or `::debug::` line, not in the outputs (`destinations`), not in the job summary.
 * Before, `http://:PASSWORD@…` passed (only the user name was looked at), and the password came
 * back in the errors, the `destinations` output and the summary.
 */
describe('URLs with credentials are refused, and never printed', () => {
  const PASSWORD = 'url-pa55word-0123456789'
  const HIVE = /^hive-url must not contain credentials \(a user name or password before "@"\)/
  const GITHUB =
    /^GITHUB_API_URL \(set by the runner\) must not contain credentials \(a user name or password/

  type Case = [
    string,
    (w: World) => { inputs?: Record<string, string>; env?: Record<string, string> },
    RegExp[]
  ]
  const port = (url: string) => new URL(url).port
  // prettier-ignore
  const CASES: Case[] = [
    ['hive-url http://:PASSWORD@127.0.0.1:PORT', w => ({ inputs: { 'hive-url': `http://:${PASSWORD}@127.0.0.1:${port(w.hive.url)}` } }), [HIVE]],
    ['hive-url https://user:PASSWORD@hive.example.com', () => ({ inputs: { 'hive-url': `https://user:${PASSWORD}@hive.example.com` } }), [HIVE]],
    ['hive-url http://PASSWORD@hive.example.com', () => ({ inputs: { 'hive-url': `http://${PASSWORD}@hive.example.com` } }), [/^hive-url must use https/, HIVE]],
    ['GITHUB_API_URL http://:PASSWORD@127.0.0.1:PORT', w => ({ env: { GITHUB_API_URL: `http://:${PASSWORD}@127.0.0.1:${port(w.github.url)}` } }), [GITHUB]],
    ['GITHUB_API_URL https://user:PASSWORD@127.0.0.1:PORT', w => ({ env: { GITHUB_API_URL: `https://user:${PASSWORD}@127.0.0.1:${port(w.github.url)}` } }), [GITHUB]],
    ['GITHUB_API_URL https://PASSWORD@api.github.com in mode check', () => ({ inputs: { mode: 'check' }, env: { GITHUB_API_URL: `https://${PASSWORD}@api.github.com` } }), [GITHUB]],
    ['both at once', w => ({ inputs: { 'hive-url': `http://u:${PASSWORD}@127.0.0.1:${port(w.hive.url)}` }, env: { GITHUB_API_URL: `http://u:${PASSWORD}@127.0.0.1:${port(w.github.url)}` } }), [HIVE, GITHUB]]
  ]

  it.each(CASES)(
    '%s',
    async (_, given, rules) => {
      const w = world()
      const before = snapshot(w)
      const { inputs, env } = given(w)
      const outcome = await act(w, w.inputs(inputs), { env })
      const { run } = outcome

      // Refused before any request: nothing sent, nothing changed.
      expect(w.hive.requests.map(r => `${r.method} ${r.path}`)).toEqual([])
      expect(w.github.requests.map(r => `${r.method} ${r.path}`)).toEqual([])
      expectNothingChanged(w, outcome, before)
      expectDestinationsHoldLiveKeys(w)

      // By name, one line each, and the run's own closing line.
      expectCleanFailure(run)
      expectNoLeaks(outcome)
      const lines = errors(run)
      expect(lines.slice(0, -1).map(line => rules.findIndex(rule => rule.test(line)))).toEqual(
        rules.map((_rule, i) => i)
      )
      expect(lines.at(-1)).toMatch(/input problem\(s\), listed above; nothing was changed/)

      // The password nowhere: log (::debug:: included), stderr, outputs, summary, env file; not
      // even on an ::add-mask:: line.
      for (const text of [run.stdout, run.stderr, run.summary, JSON.stringify(run.outputs)]) {
        expect(text).not.toContain(PASSWORD)
      }
      expect(run.everything).not.toContain(PASSWORD)
      expect(leaks(run, [PASSWORD])).toEqual([])
    },
    30_000
  )
})
