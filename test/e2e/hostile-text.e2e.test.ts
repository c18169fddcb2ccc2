/**
 * Invariants 3 and 7 against outside text that attacks, on the bundled action (dist/index.js) as
 * the runner runs it: free text that Hive and GitHub may put in their answers (a key's `name`, an
 * error's `message`) holds line breaks, workflow commands, the legacy `##[` syntax, Markdown and
 * HTML, or a secret split so that plain redaction misses it.
 *
 * Each test reads the run the way GitHub does: stdout split into lines as the runner splits them
 * (a lone CR too), every line the runner would take for a command, and the job summary rendered
 * by cmark-gfm, GitHub's own renderer.
 */
import { describe, expect, it } from '@jest/globals'
import { WITHHELD } from '../../src/text.js'
import type { ActionRun } from '../support/run-action.js'
import {
  commandLines,
  foreignCommands,
  foreignMarkup,
  renderSummary
} from '../support/runner-view.js'
import {
  act,
  expectCleanFailure,
  expectDestinationsHoldLiveKeys,
  expectEveryDestinationHolds,
  expectNoLeaks,
  expectNothingChanged,
  expectRefusedBeforeAnyChange,
  expectSucceededWithOneNewKey,
  fromNow,
  ROTATION,
  SECRET,
  snapshot,
  TOKEN,
  useWorld,
  type Outcome
} from './helpers.js'

const world = useWorld()

/** A secret with white space and invisible characters removed: what a reader could still use. */
const bare = (text: string) => text.replace(/[\s\p{C}\p{Z}]/gu, '')

/**
 * Invariant 7 and 3 as GitHub shows a run: no command the action did not mean (every `::` line is
 * core's own add-mask, group or annotation without properties, and no `##[` anywhere), a summary
 * with no link, image or other markup from outside, outputs of one line, and no secret anywhere,
 * not even split by white space or zero-width characters (the mask lines aside).
 */
function expectNothingForeign(outcome: Outcome) {
  const { run, secrets } = outcome
  expect(foreignCommands(run.stdout)).toEqual([])
  expect(commandLines(run.stderr)).toEqual([])
  expect(foreignMarkup(renderSummary(run.summary))).toEqual([])
  for (const [name, value] of Object.entries(run.outputs)) {
    expect({ name, value, lines: value.split(/\r\n|\r|\n/).length }).toEqual({
      name,
      value,
      lines: 1
    })
    expect(commandLines(value)).toEqual([])
  }
  expectNoLeaks(outcome)
  const shown = bare(withoutMasks(run, secrets))
  for (const secret of secrets) expect(shown.includes(bare(secret))).toBe(false)
}

/** Everything the run left, less the runner's own `::add-mask::<value>` lines. */
function withoutMasks(run: ActionRun, secrets: string[]): string {
  const masks = new Set(secrets.map(s => `::add-mask::${s}`))
  return run.everything
    .split('\n')
    .filter(line => !masks.has(line))
    .join('\n')
}

/** Attacks on the summary: each would render a link, image or markup outside its cell. */
const MARKDOWN = '\n\n[click](https://evil.example)\n\n![x](https://evil.example/x.png)<img src=x>'

describe('a created key whose name, as Hive answers it, attacks', () => {
  it('prints no command from the name: the masks stay on, and the rotation completes', async () => {
    const w = world()
    // Free text within the contract's 200 characters: a lone CR and a zero-width space included.
    const name =
      'x\n::stop-commands::pwned\r::set-output name=key-id::evil\n\u200b::add-mask::x\n' +
      '##[error]pwned' +
      MARKDOWN
    // The emulator creates the key with the name asked for, and answers with this one.
    w.hive.tamper({ method: 'POST', path: '/api-keys', field: { name: 'name', value: name } })
    const outcome = await act(w, w.inputs())
    expect(w.hive.requests.filter(r => r.tampered).map(r => r.method)).toEqual(['POST'])

    const fresh = expectSucceededWithOneNewKey(outcome)
    expectNothingForeign(outcome)
    expect(outcome.run.outputs['key-id']).toBe(fresh.id)
    expectEveryDestinationHolds(w, fresh)
    // The name is still shown, as text inside the line that reports the created key.
    const created = outcome.run.stdout.split('\n').filter(l => l.startsWith('Created '))
    expect(created).toHaveLength(1)
    expect(created[0]).toContain('::stop-commands::pwned')
    expect(created[0]).toContain('# #[error]pwned')
  })
})

describe('leftover keys in Hive’s list whose names attack', () => {
  it('stops for a rotation in flight, quoting its name as text', async () => {
    const w = world()
    const scope = w.hive.key(w.ci.id)!.scope
    // Created after the current key (the world's, made just now), minutes ago at most: in flight.
    const created = fromNow(0)
    // A name of this rotation may hold anything but white space after "replaces".
    w.hive.seedKey({
      name: `${ROTATION} ${created} replaces ##[error]pwned[click](https://evil.example)<img/src=x>`,
      permission: 'read-only',
      scope,
      createdAt: created,
      expiresAt: fromNow(30 * 86_400_000)
    })
    // Names that are no key of this rotation: listed by Hive, never claimed, never printed.
    for (const tail of ['\n::stop-commands::pwned', '\r::set-output name=x::y', MARKDOWN]) {
      w.hive.seedKey({ name: `${ROTATION} …${tail}`, permission: 'read-only', scope })
    }
    const before = snapshot(w)
    const outcome = await act(w, w.inputs({ 'key-name': ROTATION }))

    expectCleanFailure(outcome.run)
    expectNothingChanged(w, outcome, before)
    expectNothingForeign(outcome)
    expect(outcome.run.stdout).toMatch(/^::error::Another rotation seems to be in flight/m)
    expect(outcome.run.stdout).toContain('replaces # #[error]pwned')
  })
})

describe('error messages that echo a secret, split so that redaction misses it', () => {
  it('from Hive: the admin key split by a line break, the rotated key by a zero-width space', async () => {
    const w = world()
    const split = (value: string, at: number, by: string) =>
      value.slice(0, at) + by + value.slice(at)
    w.hive.addFault({
      method: 'POST',
      path: '/api-keys',
      status: 422,
      body: JSON.stringify({
        error: {
          code: 'invalid_request',
          message:
            `name refused for ${split(w.admin.value, 12, '\n')} ` +
            `(${split(w.ci.value, 9, '\u200b')})\n::stop-commands::pwned ##[error]pwned${MARKDOWN}`
        }
      })
    })
    const before = snapshot(w)
    const outcome = await act(w, w.inputs())

    expectCleanFailure(outcome.run)
    expectNothingChanged(w, outcome, before, { creationStatuses: [422] })
    expectNothingForeign(outcome)
    expect(outcome.run.stdout).toContain(WITHHELD)
  })

  it('from GitHub: the token split by a line break, with commands and Markdown', async () => {
    const w = world()
    const token = `${TOKEN.slice(0, 16)}\n${TOKEN.slice(16, 30)}\u200b${TOKEN.slice(30)}`
    w.github.addFault({
      method: 'PUT',
      path: `/repos/octo/app/actions/secrets/${SECRET}`,
      status: 422,
      body: JSON.stringify({
        message: `Bad credentials ${token}\n::stop-commands::pwned\n##[error]pwned${MARKDOWN}`
      })
    })
    const outcome = await act(w, w.inputs())

    expectCleanFailure(outcome.run)
    expectNothingForeign(outcome)
    expect(outcome.run.stdout).toContain(WITHHELD)
    // The old key is kept and still works: every destination holds a key Hive accepts.
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expectDestinationsHoldLiveKeys(w)
  })
  it('from GitHub: the token where a long message is cut short, so that only part of it stays', async () => {
    const w = world()
    // Placed so that the 200-character cap of a quoted message falls on the token's last
    // character: cut first and redacted after, all but that character would be printed.
    const pad = 'x'.repeat(199 - (TOKEN.length - 1))
    w.github.addFault({
      method: 'GET',
      path: '/repos/octo/app/actions/secrets/public-key',
      status: 422,
      body: JSON.stringify({ message: `${pad}${TOKEN} (echoed Authorization)` })
    })
    const outcome = await expectRefusedBeforeAnyChange(
      w,
      w.inputs({ destinations: 'repo:octo/app' })
    )
    expectNothingForeign(outcome)
    const shown = withoutMasks(outcome.run, outcome.secrets)
    expect(shown.includes(TOKEN.slice(0, -1))).toBe(false)
    expect(shown.includes(TOKEN.slice(0, 24))).toBe(false)
  })
})
