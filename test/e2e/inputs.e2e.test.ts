/**
 * End to end, bad inputs (invariant 5): every problem named by its input, exit 1, an `::error::`
 * line, no stack trace, and not one request to Hive or GitHub.
 */
import { describe, expect, it } from '@jest/globals'
import {
  act,
  errorText,
  errors,
  expectBatchRefusedUpFront,
  expectCleanFailure,
  expectNoLeaks,
  snapshot,
  useBadInputBatches,
  useWorld
} from './helpers.js'

const world = useWorld()

type Change = Record<string, string | null>

/** world.inputs() with some inputs changed; null leaves the input out. */
function changed(change: Change): Record<string, string> {
  const inputs = world().inputs()
  for (const [name, value] of Object.entries(change)) {
    if (value === null) delete inputs[name]
    else inputs[name] = value
  }
  return inputs
}

/** Stops a bad-input run: exit 1, the inputs named in `::error::` lines, nothing sent anywhere. */
async function expectRefusedUpFront(change: Change, named: string[]) {
  const w = world()
  const before = snapshot(w)
  const outcome = await act(w, changed(change), {
    secrets: Object.values(change).filter((v): v is string => v !== null && v.startsWith('hv_'))
  })
  const { run } = outcome
  const sent = (r: { method: string; path: string; status: number }) =>
    `${r.method} ${r.path} ${r.status}`
  expect(w.hive.requests.map(sent)).toEqual([])
  expect(w.github.requests.map(sent)).toEqual([])
  expect(snapshot(w)).toEqual(before)
  expectCleanFailure(run)
  expectNoLeaks(outcome)
  for (const name of named) {
    expect({ name, named: errors(run).some(e => e.includes(name)) }).toEqual({
      name,
      named: true
    })
  }
  return outcome
}

/** Bad values, each with the input its error line must start with. */
const ROWS: [string, Change][] = [
  ['expires-in-days', { 'expires-in-days': 'soon' }],
  ['expires-in-days', { 'expires-in-days': '0' }],
  ['expires-in-days', { 'expires-in-days': '366' }],
  ['permission', { permission: 'root' }],
  ['scope', { scope: 'engagements:' }],
  ['hive-url', { 'hive-url': 'http://hive.example.com' }],
  ['hive-url', { 'hive-url': 'http://127.0.0.1.nip.io' }],
  ['hive-url', { 'hive-url': 'not a url' }],
  ['hive-url', { 'hive-url': 'https://user:pw@hive.example.com' }],
  ['destinations', { destinations: 'org:octo/app' }],
  ['destinations', { destinations: 'repo:octo' }],
  ['destinations', { destinations: 'repo:octo/app\nrepo:OCTO/APP' }],
  ['secret-name', { 'secret-name': 'GITHUB_X' }],
  ['secret-name', { 'secret-name': '1KEY' }],
  ['github-token', { 'github-token': null }],
  ['hive-api-key', { 'hive-api-key': null }],
  ['hive-api-key', { 'hive-api-key': 'hv_two words' }],
  ['hive-admin-key', { 'hive-admin-key': 'hv_two words' }],
  ['verify-path', { 'verify-path': '//evil.example/x' }],
  ['verify-path', { 'verify-path': 'https://evil.example/x' }],
  ['verify-path', { 'verify-path': '/executions-cli/../api-keys' }],
  ['verify-path', { 'verify-path': '/executions?x=1' }],
  ['verify-timeout-seconds', { 'verify-timeout-seconds': '-1' }],
  ['mode', { mode: 'panic' }],
  ['mode', { mode: 'emergency', 'hive-admin-key': null }],
  ['dry-run', { 'dry-run': 'maybe' }],
  ['revoke-old', { 'revoke-old': 'yes' }],
  ['old-key-grace-minutes', { 'old-key-grace-minutes': '1441' }],
  ['old-key-grace-minutes', { 'old-key-grace-minutes': '-5' }],
  ['prune', { prune: 'yes' }],
  ['rotate-if-expiring-within-days', { 'rotate-if-expiring-within-days': 'soon' }],
  ['app-id', { 'app-id': '12345' }]
]

describe('bad inputs are refused before any request', () => {
  // The rows of one batch go to the action together (it reports every bad input of a run at
  // once), each batch on a world of its own.
  const { batches, runOf } = useBadInputBatches(ROWS, ([, change]) => change)

  it('puts the rows into fewer runs than rows', () => {
    expect(batches().flat()).toHaveLength(ROWS.length)
    expect(batches().length).toBeLessThan(ROWS.length / 2)
  })

  it.each(ROWS.map(row => ({ row, name: row[0], change: row[1] })))('$name: $change', ({ row }) => {
    const batch = runOf(row)
    expectBatchRefusedUpFront(batch)
    const lines = errors(batch.outcome.run)
    const [name] = row
    expect({ name, named: lines.some(e => e.includes(name)) }).toEqual({ name, named: true })
    // One line per bad value of the batch, and the closing line: no value hid another's error.
    const size = batches().find(b => b.includes(row))!.length
    expect(lines).toHaveLength(size + 1)
  })
})

describe('more bad inputs', () => {
  it('a key with characters no key can have is refused as an input, before it is sent', async () => {
    const outcome = await expectRefusedUpFront({ 'hive-api-key': 'hv_ключ' }, ['hive-api-key'])
    expect(errorText(outcome.run)).toContain(
      'hive-api-key must be one value of visible ASCII characters (value not shown)'
    )
  }, 30_000)

  it('reports every bad input of one run at once', async () => {
    const change: Change = {
      'expires-in-days': 'soon',
      permission: 'root',
      'hive-url': 'http://hive.example.com',
      destinations: 'org:octo/app',
      'secret-name': 'GITHUB_X',
      'github-token': null,
      'verify-path': '//evil/x',
      mode: 'panic',
      'dry-run': 'maybe'
    }
    const names = Object.keys(change)
    const { run } = await expectRefusedUpFront(change, names)
    // One annotation per problem, and a closing line that counts them.
    expect(errors(run)).toHaveLength(names.length + 1)
    expect(errorText(run)).toContain(`${names.length} input problem(s)`)
    expect(run.summary).toContain('invalid inputs')
    for (const name of names) expect(run.summary).toContain(name)
  }, 30_000)

  // Regression: a non-ASCII key used to pass settings and be refused later, alone, by the HTTP
  // layer; settings now applies the same rule, so it is reported with the other problems.
  it('reports a key with characters no key can have together with the other bad inputs', async () => {
    await expectRefusedUpFront({ 'hive-api-key': 'hv_ключ', permission: 'root' }, [
      'hive-api-key',
      'permission'
    ])
  }, 30_000)

  // Regression: a github-token holding a line break used to pass settings; fetch then refused the
  // header and quoted it in its error, with the line break folded to a space, so the redactor no
  // longer matched and the token reached the log, outputs and summary. Settings now refuses it.
  it('a github-token with a line break is refused as an input and never printed', async () => {
    const w = world()
    const [first, second] = ['ghp_e2eFirstHalf0123456789', 'e2eSecondHalf0123456789']
    const token = `${first}\n${second}`
    w.github.addToken(token, { label: 'two-line token' })
    const outcome = await act(w, w.inputs({ 'github-token': token }), { secrets: [token] })
    const { run } = outcome
    const shown = run.everything.split('\n').filter(line => !line.startsWith('::add-mask::'))
    expect(shown.filter(line => line.includes(first) || line.includes(second))).toEqual([])
    expectNoLeaks(outcome)
    expect(w.hive.requests).toEqual([])
    expect(w.github.requests).toEqual([])
    expectCleanFailure(run)
    expect(errors(run).some(e => e.includes('github-token'))).toBe(true)
  }, 30_000)

  // Regression: settings used to accept these, and the HTTP layer refused them only when the new
  // key was tested, after it was created. Settings now applies the HTTP layer's own path rules.
  it.each([
    ['a percent-encoded ".." segment', '/%2e%2e/executions-cli/executions'],
    ['a percent-encoded "." segment', '/executions-cli/executions/%2E'],
    ['a URL scheme inside the path', '/go/https://evil.example/x']
  ])(
    'verify-path with %s is refused as an input',
    async (_what, path) => {
      await expectRefusedUpFront({ 'verify-path': path }, ['verify-path'])
    },
    30_000
  )
})
