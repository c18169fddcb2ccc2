/**
 * A Hive that lies, injects, floods or stalls (issue 9), against the bundled action: each attack
 * class runs dist/index.js against the emulator told to lie on the way out (its honest answer
 * took effect first: a key it "created" exists).
 *
 * Every test asserts what the emulators hold afterwards (invariant 1: every destination holds a
 * key Hive accepts, the old and admin keys are still active, and no key made by the run is left
 * active that no destination holds), what the log shows (no line the runner would read as a
 * command came from Hive's text, no `##[`, no key value), and that the run failed in bounded time.
 */
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from '@jest/globals'
import { performance } from 'node:perf_hooks'
import {
  DESTINATIONS,
  SECRET,
  act,
  errorText,
  expectCleanFailure,
  expectDestinationsHoldLiveKeys,
  expectEveryDestinationHolds,
  expectNoLeaks,
  expectRefusedBeforeAnyChange,
  puts,
  seedRotationKey,
  useWorld,
  type Outcome
} from './helpers.js'
import { leaks, type ActionRun } from '../support/run-action.js'
import type { HiveTamper } from '../emulators/hive.js'
import { CI_SCOPE, type World } from '../support/world.js'

const world = useWorld()

/** A run that fails fast: far below one Hive deadline (15 s) times its retries. */
const FAST_MS = 20_000
/** HiveHttp's deadline per attempt, which no input changes. */
const HIVE_DEADLINE_MS = 15_000

/** The commands the action itself writes; any other line starting with `::` came from outside. */
const OWN_COMMANDS = /^::(add-mask|debug|error|warning|notice|group|endgroup)::/

/**
 * Invariant 7 as the runner reads a log: it splits lines on CR as well as LF, takes a command at
 * the start of a line (after whitespace), and `##[` anywhere in one.
 */
function expectNoInjectedCommands(run: ActionRun) {
  const lines = `${run.stdout}\n${run.stderr}`.split(/\r\n|\r|\n/).map(l => l.trimStart())
  expect(lines.filter(line => line.startsWith('::') && !OWN_COMMANDS.test(line))).toEqual([])
  expect(lines.filter(line => line.includes('##['))).toEqual([])
  expect(lines.filter(line => line.includes('owned'))).toEqual([])
}

/**
 * Invariant 1 after a run that made (or was told it made) keys: every destination holds a live
 * key, the old and admin keys are alive, and every key that appeared during the run and is still
 * active is held by some destination.
 */
function expectNothingLive(w: World, before: Set<string>) {
  expectDestinationsHoldLiveKeys(w)
  expect({ old: w.hive.accepts(w.ci.value), admin: w.hive.accepts(w.admin.value) }).toEqual({
    old: true,
    admin: true
  })
  const held = new Set(DESTINATIONS.map(t => w.github.secretValue(t, SECRET)))
  const stray = w.hive.activeKeys().filter(k => !before.has(k.id) && !held.has(k.value))
  expect(stray.map(k => k.id)).toEqual([])
}

/** Runs the action with the world's inputs, timed; lies told by `tampers`. */
async function hostile(w: World, ...tampers: HiveTamper[]) {
  for (const tamper of tampers) w.hive.tamper(tamper)
  const before = new Set(w.hive.keys().map(k => k.id))
  const started = performance.now()
  const outcome = await act(w, w.inputs())
  return { ...outcome, before, ms: performance.now() - started }
}

/**
 * The outcome of a lie told about the create: one honest key made, found and revoked. `seen`:
 * the answer carried the new key's value (which must then be masked before its id shows); when
 * it did not, the action never had the value, and it must merely appear nowhere.
 */
function expectCreatedKeyRevoked(
  w: World,
  outcome: Outcome & { before: Set<string> },
  { seen = true } = {}
) {
  expectCleanFailure(outcome.run)
  if (seen) expectNoLeaks(outcome)
  else expect(leaks(outcome.run, outcome.secrets)).toEqual([])
  expectNoInjectedCommands(outcome.run)
  expect(outcome.created).toHaveLength(1)
  const [made] = outcome.created
  expect(w.hive.key(made.id)?.revoked_at).not.toBeNull()
  expect(errorText(outcome.run)).toContain(`Revoked the key(s) this run made: ${made.id}.`)
  expect(puts(w)).toEqual([])
  expectEveryDestinationHolds(w, w.ci)
  expectNothingLive(w, outcome.before)
  // The old and admin keys were never asked to be revoked.
  const deleted = w.hive.requests.filter(r => r.method === 'DELETE').map(r => r.path)
  expect(deleted).toEqual([`/api-keys/${made.id}`])
}

describe('outside text in key fields never becomes a workflow command', () => {
  const current = { method: 'GET', path: '/api-keys/current' }
  const cases: [string, (w: World) => HiveTamper, RegExp][] = [
    [
      'a prefix holding "\\n::set-output"',
      () => ({
        ...current,
        nth: 1,
        times: 1,
        field: { name: 'prefix', value: '\n::set-output name=x::owned' }
      }),
      /reading the current key \(hive-api-key\).*"prefix" is not 1-16 characters/
    ],
    [
      'an admin key id holding a lone "\\r"',
      () => ({
        ...current,
        nth: 2,
        times: 1,
        field: { name: 'id', value: 'key_a\r::set-env name=x::owned' }
      }),
      /reading the admin key \(hive-admin-key\).*"id" is not 1-64 characters/
    ],
    [
      'a leftover key listed with the id "::stop-commands::"',
      w => {
        const leftover = seedRotationKey(w, { replaces: 'key_gone', ageMs: 3_600_000 })
        return {
          method: 'GET',
          path: '/api-keys',
          field: { name: 'id', value: '::stop-commands::owned', keyId: leftover.id }
        }
      },
      /listing keys \(page 1\).*key 3 of the page: "id" is not 1-64 characters/
    ],
    [
      'a scope id holding "##[group]"',
      () => ({
        ...current,
        nth: 1,
        times: 1,
        field: { name: 'scope.engagement_ids.0', value: 'eng_12##[group]owned' }
      }),
      /an id in "scope.engagement_ids" is not 1-64 characters/
    ],
    [
      'an expiry holding a line break and a command',
      () => ({
        ...current,
        nth: 1,
        times: 1,
        field: { name: 'expires_at', value: '2027-01-01T00:00:00Z\n::add-path::owned' }
      }),
      /"expires_at" is neither an ISO-8601 UTC timestamp nor null/
    ]
  ]

  it.each(cases)(
    '%s: refused before any change',
    async (_label, lie, problem) => {
      const w = world()
      w.hive.tamper(lie(w))
      const started = performance.now()
      const { run } = await expectRefusedBeforeAnyChange(w, w.inputs())
      expect(performance.now() - started).toBeLessThan(FAST_MS)
      expectNoInjectedCommands(run)
      expect(errorText(run)).toMatch(problem)
      expect(errorText(run)).toContain('not what the Hive API contract describes')
      expect(w.hive.requests.some(r => r.tampered)).toBe(true)
    },
    30_000
  )

  it('a create answer whose prefix is the whole value: the value is never printed', async () => {
    const w = world()
    const outcome = await hostile(w, {
      method: 'POST',
      path: '/api-keys',
      field: { name: 'prefix', value: (k: Record<string, unknown>) => k.key }
    })
    expectCreatedKeyRevoked(w, outcome)
    // The emulator's value is longer than a prefix may be (the unit tests try a short one).
    expect(errorText(outcome.run)).toContain('"prefix" is not 1-16 characters')
    expect(outcome.run.outputs['key-prefix'] ?? '').not.toContain(outcome.created[0].value)
    expect(outcome.ms).toBeLessThan(FAST_MS)
  }, 30_000)
})

describe('a create answer that is not a new key, or not the key asked for', () => {
  const create = { method: 'POST', path: '/api-keys' }

  it("answering the old key's id: the old key is not revoked", async () => {
    const w = world()
    const outcome = await hostile(w, { ...create, field: { name: 'id', value: w.ci.id } })
    expectCreatedKeyRevoked(w, outcome)
    expect(errorText(outcome.run)).toContain(
      `its id ${w.ci.id} is that of the key being rotated (hive-api-key), not a new key`
    )
    expect(outcome.ms).toBeLessThan(FAST_MS)
  }, 30_000)

  it("answering the admin key's id: the admin key is not revoked", async () => {
    const w = world()
    const outcome = await hostile(w, { ...create, field: { name: 'id', value: w.admin.id } })
    expectCreatedKeyRevoked(w, outcome)
    expect(errorText(outcome.run)).toContain(
      `its id ${w.admin.id} is that of the admin key (hive-admin-key), not a new key`
    )
    expect(outcome.ms).toBeLessThan(FAST_MS)
  }, 30_000)

  it('answering the old key itself, value and all: nothing is stored or retired', async () => {
    const w = world()
    const outcome = await hostile(w, { ...create, answerKey: { id: w.ci.id, withValue: true } })
    expectCreatedKeyRevoked(w, outcome, { seen: false })
    expect(errorText(outcome.run)).toContain('is that of the key being rotated')
    expect(outcome.ms).toBeLessThan(FAST_MS)
  }, 30_000)

  it('granting 90 s instead of 30 days: no destination is left with a key about to die', async () => {
    const w = world()
    const outcome = await hostile(w, { ...create, grant: { expiresInMs: 90_000 } })
    expectCreatedKeyRevoked(w, outcome)
    expect(errorText(outcome.run)).toMatch(/it expires \S+, not \S+\. This is a protocol error/)
    // Invariant 1 at every moment: two minutes on, what the destinations hold still works.
    w.hive.options.now = () => new Date(Date.now() + 120_000)
    expectNothingLive(w, outcome.before)
    expect(outcome.ms).toBeLessThan(FAST_MS)
  }, 30_000)

  it('granting admin instead of read-only: refused, and revoked', async () => {
    const w = world()
    const outcome = await hostile(w, { ...create, grant: { permission: 'admin' } })
    expectCreatedKeyRevoked(w, outcome)
    expect(errorText(outcome.run)).toContain('its permission is admin, not read-only')
  }, 30_000)
})

describe('a create answer that names a key made by someone else', () => {
  let proxy: Server | undefined
  afterEach(async () => {
    proxy?.closeAllConnections()
    await new Promise<void>(resolve => (proxy ? proxy.close(() => resolve()) : resolve()))
    proxy = undefined
  })

  it("naming another team's key made after the preflight's listing: that key stays", async () => {
    const w = world()
    const upstream = new URL(w.github.url)
    let victim: { id: string; value: string } | undefined
    // The preflight reads GitHub after it listed Hive's keys: a key another team makes at that
    // moment is in no listing the run saw, so to the run its id looks "new".
    proxy = createServer((req, res) => {
      if (victim === undefined) {
        // Read-only, of the rotated key's scope: only its expiry differs from what was asked.
        victim = w.hive.seedKey({
          name: 'other team: deploy bot',
          permission: 'read-only',
          scope: CI_SCOPE
        })
        w.hive.tamper({
          method: 'POST',
          path: '/api-keys',
          answerKey: { id: victim.id, withValue: true }
        })
      }
      const { hostname, port } = upstream
      const forward = request(
        { host: hostname, port, path: req.url, method: req.method, headers: req.headers },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        }
      )
      req.pipe(forward)
    })
    await new Promise<void>(resolve => proxy!.listen(0, '127.0.0.1', resolve))
    const { port } = proxy.address() as AddressInfo
    const before = new Set(w.hive.keys().map(k => k.id))
    const outcome = await act(w, w.inputs(), {
      env: { GITHUB_API_URL: `http://127.0.0.1:${port}` }
    })

    // The run refused the answer and revoked the key it really made (found by its name), never
    // the key the answer named: the other team's key still works.
    expectCleanFailure(outcome.run)
    expect(errorText(outcome.run)).toMatch(/not the key that was asked for: it expires never/)
    expect(victim).toBeDefined()
    expect(w.hive.accepts(victim!.value)).toBe(true)
    const made = outcome.created.filter(k => k.id !== victim!.id)
    expect(made).toHaveLength(1)
    expect(w.hive.key(made[0].id)?.revoked_at).not.toBeNull()
    expect(outcome.run.outputs['revoked-key-ids']).toBe(made[0].id)
    expect(puts(w)).toEqual([])
    expectEveryDestinationHolds(w, w.ci)
    expectNothingLive(w, new Set([...before, victim!.id]))
  }, 30_000)
})

describe('answers that never end, or would fill the memory', () => {
  it('a 700 MB list page is cut at 1 MiB, and nothing changes', async () => {
    const w = world()
    w.hive.tamper({ method: 'GET', path: '/api-keys', hugeBodyBytes: 700 * 1024 * 1024 })
    const started = performance.now()
    const { run } = await expectRefusedBeforeAnyChange(w, w.inputs())
    expect(performance.now() - started).toBeLessThan(FAST_MS)
    expect(errorText(run)).toContain('with a body larger than 1 MiB while listing keys (page 1)')
    const list = w.hive.requests.filter(r => r.path === '/api-keys')
    // Once, not retried; and the action hung up long before the 700 MB were sent.
    expect(list).toHaveLength(1)
    expect(list[0].bytesSent).toBeLessThan(32 * 1024 * 1024)
    expectNoInjectedCommands(run)
  }, 30_000)

  it('a create answer that never ends is cut at the deadline; the key Hive made is revoked', async () => {
    const w = world()
    const outcome = await hostile(w, { method: 'POST', path: '/api-keys', endlessBody: true })
    expectCreatedKeyRevoked(w, outcome, { seen: false })
    expect(errorText(outcome.run)).toMatch(/Hive timed out after 15s while creating the new key/)
    expect(outcome.ms).toBeGreaterThanOrEqual(HIVE_DEADLINE_MS)
    expect(outcome.ms).toBeLessThan(HIVE_DEADLINE_MS + FAST_MS)
  }, 60_000)

  it('a Retry-After of a day on the new key test: no sleep, the new key is revoked', async () => {
    const w = world()
    w.hive.addFault({
      method: 'GET',
      path: '/executions-cli/executions',
      status: 429,
      headers: { 'Retry-After': '86401' }
    })
    const outcome = await hostile(w)
    expectCleanFailure(outcome.run)
    expectNoLeaks(outcome)
    expect(errorText(outcome.run)).toContain('Hive asked to wait 86401s before retrying')
    const [made] = outcome.created
    expect(w.hive.key(made.id)?.revoked_at).not.toBeNull()
    expect(puts(w)).toEqual([])
    expectNothingLive(w, outcome.before)
    expect(outcome.ms).toBeLessThan(FAST_MS)
  }, 30_000)

  it('a list whose next_cursor loops is refused before any change', async () => {
    const w = world()
    w.hive.tamper({ method: 'GET', path: '/api-keys', cursor: 'loop' })
    const { run } = await expectRefusedBeforeAnyChange(w, w.inputs())
    expect(errorText(run)).toContain('it handed out a page cursor it had given before (a loop)')
  }, 30_000)
})
