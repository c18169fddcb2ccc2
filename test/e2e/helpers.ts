/**
 * Shared by the end-to-end tests: a fresh world per test, one call that runs the bundled action
 * and says which keys it created, and the checks every test makes (invariants 1 and 3, the mask
 * before the new key's id, a failure without a stack trace, "nothing changed"), and the outcomes
 * several tests share (refused before any change, one new key made and revoked, a rotation done).
 */
import { existsSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from '@jest/globals'
import { DIST, leaks, runAction, type ActionRun } from '../support/run-action.js'
import { ENV, REPO, TOKEN, startWorld, type World } from '../support/world.js'
import type { StoredKey } from '../emulators/hive.js'
import type { SecretTarget } from '../emulators/github.js'
import { defaultKeyName } from '../../src/rotation/names.js'

export { ENV, REPO, TOKEN }
export const DESTINATIONS: readonly SecretTarget[] = [REPO, ENV]
export const SECRET = 'HIVE_API_KEY'
export const VERIFY_PATH = '/executions-cli/executions'

/** Starts a fresh world before each test of the calling file and stops it after. */
export function useWorld(): () => World {
  let world: World | undefined
  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run package first`)
  })
  beforeEach(async () => {
    world = await startWorld()
  })
  afterEach(async () => {
    await world?.stop()
    world = undefined
  })
  return () => {
    if (world === undefined) throw new Error('no world: call inside a test')
    return world
  }
}

export interface Outcome {
  run: ActionRun
  /** Keys Hive holds now that it did not hold before the run: the ones the action created. */
  created: StoredKey[]
  /** Every secret that must not appear: both seeded keys, the token, the created keys, extras. */
  secrets: string[]
}

/**
 * Runs dist/index.js with the inputs as given (use world.inputs() for the defaults) and the
 * world's environment. `secrets` adds values (e.g. a seeded key) to the leak check.
 */
export async function act(
  world: World,
  inputs: Record<string, string>,
  opts: { secrets?: string[]; env?: Record<string, string>; nodeArgs?: string[] } = {}
): Promise<Outcome> {
  const before = new Set(world.hive.keys().map(k => k.id))
  const run = await runAction({
    inputs,
    env: { ...world.env, ...opts.env },
    nodeArgs: opts.nodeArgs,
    timeoutMs: 60_000
  })
  const created = world.hive.keys().filter(k => !before.has(k.id))
  const secrets = [
    world.ci.value,
    world.admin.value,
    TOKEN,
    ...created.map(k => k.value),
    ...(opts.secrets ?? [])
  ]
  return { run, created, secrets }
}

/** Inputs without the named ones, as when a workflow leaves them out. */
export function without(inputs: Record<string, string>, ...names: string[]) {
  const copy = { ...inputs }
  for (const name of names) delete copy[name]
  return copy
}

/**
 * Invariant 3, and the order of the mask: no secret appears anywhere (log, outputs, summary, env
 * file) except on its own `::add-mask::` line, and every created key is masked before any line
 * names its id.
 */
export function expectNoLeaks(outcome: Outcome) {
  const { run, created, secrets } = outcome
  expect(leaks(run, secrets)).toEqual([])
  const lines = run.stdout.split('\n')
  for (const key of created) {
    const mask = lines.indexOf(`::add-mask::${key.value}`)
    expect({ key: key.id, masked: mask >= 0 }).toEqual({ key: key.id, masked: true })
    const firstMention = lines.findIndex(line => line.includes(key.id))
    if (firstMention >= 0) {
      expect({ key: key.id, maskLine: mask < firstMention }).toEqual({
        key: key.id,
        maskLine: true
      })
    }
  }
}

/** Invariant 1: every destination's secret opens to a key that Hive accepts. */
export function expectDestinationsHoldLiveKeys(world: World, targets = DESTINATIONS) {
  for (const target of targets) {
    const value = world.github.secretValue(target, SECRET)
    expect({ target, held: value !== undefined && world.hive.accepts(value) }).toEqual({
      target,
      held: true
    })
  }
}

/** What each destination's secret opens to, named by key id (or the value when unknown). */
export function heldBy(world: World): Record<string, string | undefined> {
  const byValue = new Map(world.hive.keys().map(k => [k.value, k.id]))
  const held: Record<string, string | undefined> = {}
  for (const target of DESTINATIONS) {
    const value = world.github.secretValue(target, SECRET)
    const label = target.environment ? `env:${target.environment}` : 'repo'
    held[label] = value === undefined ? undefined : (byValue.get(value) ?? '(unknown value)')
  }
  return held
}

/** The `::error::` annotations of a run, unescaped as the runner shows them. */
export function errors(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .filter(line => line.startsWith('::error::'))
    .map(line =>
      line
        .slice('::error::'.length)
        .replace(/%0D/g, '\r')
        .replace(/%0A/g, '\n')
        .replace(/%25/g, '%')
    )
}

/** All the error text of a run, for matching. */
export function errorText(run: ActionRun): string {
  return errors(run).join('\n')
}

/**
 * A failure as invariant 5 wants it: exit code 1, at least one `::error::` line, and nothing that
 * looks like a stack trace among the lines a runner shows (`::debug::` lines are shown only when
 * step debugging is on, and may hold one on purpose).
 */
export function expectCleanFailure(run: ActionRun) {
  expect(run.code).toBe(1)
  expect(errors(run).length).toBeGreaterThan(0)
  const shown = `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter(line => !line.startsWith('::debug::'))
  expect(shown.filter(line => /^\s+at\s/.test(line))).toEqual([])
  expect(shown.filter(line => /\b\w*Error:/.test(line))).toEqual([])
}

export type Snapshot = ReturnType<typeof snapshot>

/** Everything a run could have changed, for "nothing changed" comparisons. */
export function snapshot(world: World) {
  return {
    keys: world.hive.keys().map(k => ({
      id: k.id,
      permission: k.permission,
      scope: k.scope,
      expires_at: k.expires_at,
      revoked_at: k.revoked_at
    })),
    held: heldBy(world),
    writes: world.github.secretWrites()
  }
}

/** The requests Hive saw that would create a key. */
export function creations(world: World) {
  return world.hive.requests.filter(r => r.method === 'POST' && r.path === '/api-keys')
}

/** The secret writes GitHub saw, answered or not. */
export function puts(world: World) {
  return world.github.requests.filter(r => r.method === 'PUT')
}

/** Parses the `destinations` output into `destination -> status`. */
export function destinationStatuses(run: ActionRun): Record<string, string> {
  const list = JSON.parse(run.outputs.destinations ?? '[]') as {
    destination: string
    status: string
  }[]
  return Object.fromEntries(list.map(d => [d.destination, d.status]))
}

/**
 * Nothing changed since `before`: no key created, no creation asked for but those Hive answered
 * with `creationStatuses` (refused, they created nothing), no secret write tried, and Hive and
 * GitHub as they were.
 */
export function expectNothingChanged(
  world: World,
  outcome: Outcome,
  before: Snapshot,
  { creationStatuses = [] }: { creationStatuses?: number[] } = {}
) {
  expect(outcome.created).toEqual([])
  expect(creations(world).map(r => r.status)).toEqual(creationStatuses)
  expect(puts(world)).toEqual([])
  expect(snapshot(world)).toEqual(before)
}

/**
 * Runs the action (as `act`) and checks that it was refused before any change: a clean failure,
 * no leaks, nothing changed (see `expectNothingChanged`), and every destination still holds a key
 * Hive accepts.
 */
export async function expectRefusedBeforeAnyChange(
  world: World,
  inputs: Record<string, string>,
  opts: { secrets?: string[]; creationStatuses?: number[] } = {}
): Promise<Outcome> {
  const before = snapshot(world)
  const outcome = await act(world, inputs, { secrets: opts.secrets })
  expectCleanFailure(outcome.run)
  expectNoLeaks(outcome)
  expectNothingChanged(world, outcome, before, { creationStatuses: opts.creationStatuses })
  expectDestinationsHoldLiveKeys(world)
  return outcome
}

/** Nothing was revoked: no DELETE reached Hive, and the key being rotated still works. */
export async function expectNothingRevoked(world: World) {
  expect(world.hive.requests.some(r => r.method === 'DELETE')).toBe(false)
  expect(await world.statusOf(world.ci.value)).toBe(200)
}

/** Both destinations open to `key`, and Hive accepts what they hold (invariant 1). */
export function expectEveryDestinationHolds(world: World, key: { id: string }) {
  expect(heldBy(world)).toEqual({ repo: key.id, 'env:production': key.id })
  expectDestinationsHoldLiveKeys(world)
}

/** A run that succeeded, created exactly one key and leaked nothing: returns that key. */
export function expectSucceededWithOneNewKey(outcome: Outcome): StoredKey {
  expect(outcome.run.code).toBe(0)
  expectNoLeaks(outcome)
  expect(outcome.created).toHaveLength(1)
  return outcome.created[0]
}

/** A run that failed cleanly after creating exactly one key, and leaked nothing: returns it. */
export function expectFailedWithOneNewKey(outcome: Outcome): StoredKey {
  expectCleanFailure(outcome.run)
  expectNoLeaks(outcome)
  expect(outcome.created).toHaveLength(1)
  return outcome.created[0]
}

/**
 * A run that created one key, found it unusable and revoked it, and wrote nothing: it failed
 * cleanly, and the old key is alive and still in every destination. Returns the new key.
 */
export function expectNewKeyRevokedNothingWritten(world: World, outcome: Outcome): StoredKey {
  const newKey = expectFailedWithOneNewKey(outcome)
  expect(world.hive.key(newKey.id)?.revoked_at).not.toBeNull()
  expect(world.hive.accepts(world.ci.value)).toBe(true)
  expect(puts(world)).toEqual([])
  expectEveryDestinationHolds(world, world.ci)
  return newKey
}

/** The key-name of the world's rotation (the default: repository, secret name, destinations). */
export const ROTATION = defaultKeyName('octo/app', SECRET, [
  'repo:octo/app',
  'env:octo/app/production'
])

/** An ISO-8601 UTC timestamp `ms` from now, to the second. */
export function fromNow(ms: number): string {
  return new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * Seeds a key as an earlier run of the world's rotation would have created it `ageMs` ago,
 * replacing the key `replaces`: what a run killed after its create step leaves behind.
 */
export function seedRotationKey(
  world: World,
  opts: { replaces: string; ageMs: number; expiresAt?: string }
): StoredKey {
  const created = fromNow(-opts.ageMs)
  const { id } = world.hive.seedKey({
    name: `${ROTATION} ${created} replaces ${opts.replaces}`,
    permission: 'read-only',
    scope: world.hive.key(world.ci.id)!.scope,
    createdAt: created,
    expiresAt: opts.expiresAt ?? fromNow(30 * 86_400_000 - opts.ageMs)
  })
  return world.hive.key(id)!
}

/** The ids of the keys Hive holds active, in creation order. */
export function activeIds(world: World): string[] {
  return world.hive.activeKeys().map(k => k.id)
}

/** The `::warning::` annotations of a run, unescaped. */
export function warnings(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .filter(line => line.startsWith('::warning::'))
    .map(line => line.slice('::warning::'.length).replace(/%0A/g, '\n').replace(/%25/g, '%'))
}

/**
 * Rows of bad inputs put into as few runs as the action allows, since it reports every bad input
 * of a run at once: no two rows of a run change the same input, and a row that changes `mode`
 * shares its run only with rows that set `mode` to the same value (the mode decides which inputs
 * may be combined), and inputs that are checked together (`related`: a GitHub token or an App)
 * count as one. Each row is still its own test, judged on its run's error lines; a process start
 * costs more than the checks of a row.
 */
export function batchBadInputs<R>(
  rows: R[],
  changeOf: (row: R) => Record<string, unknown>,
  related: string[][] = [['github-token', 'app-id', 'app-private-key']]
): R[][] {
  // Inputs that are checked together (either credential will do) count as one.
  const group = (name: string) => related.find(g => g.includes(name))?.[0] ?? name
  const batches: { mode: unknown; names: Set<string>; rows: R[] }[] = []
  for (const row of rows) {
    const change = changeOf(row)
    const mode = change.mode
    const names = Object.keys(change)
      .filter(name => name !== 'mode')
      .map(group)
    let batch = batches.find(b => b.mode === mode && names.every(name => !b.names.has(name)))
    if (batch === undefined) {
      batch = { mode, names: new Set(), rows: [] }
      batches.push(batch)
    }
    for (const name of names) batch.names.add(name)
    batch.rows.push(row)
  }
  return batches.map(b => b.rows)
}

/** A batch's run: its world, what the world held before, the outcome. */
export interface BatchRun {
  world: World
  before: Snapshot
  outcome: Outcome
}

/**
 * Runs `rows` of bad inputs in batches (`batchBadInputs`), each batch on a world of its own, before
 * the tests of the describe block that calls it. `changeOf` gives a row's inputs (`null` leaves
 * an input out); values that start `hv_` count as secrets for the leak check. Returns, for use
 * inside tests, the batches and each row's run; after the block, the worlds are stopped.
 */
export function useBadInputBatches<R>(
  rows: R[],
  changeOf: (row: R, world: World) => Record<string, string | null>
): { batches: () => R[][]; runOf: (row: R) => BatchRun } {
  let batches: R[][] = []
  const runs = new Map<R, BatchRun>()
  beforeAll(async () => {
    // The first world also tells which inputs a row changes (a row's values may come from it).
    let world: World | undefined = await startWorld()
    const first = world
    batches = batchBadInputs(rows, row => changeOf(row, first))
    for (const batch of batches) {
      world ??= await startWorld()
      const before = snapshot(world)
      const change: Record<string, string | null> = {}
      for (const row of batch) Object.assign(change, changeOf(row, world))
      const inputs = world.inputs()
      for (const [name, value] of Object.entries(change)) {
        if (value === null) delete inputs[name]
        else inputs[name] = value
      }
      const secrets = Object.values(change).filter(
        (v): v is string => v !== null && v.startsWith('hv_')
      )
      const outcome = await act(world, inputs, { secrets })
      for (const row of batch) runs.set(row, { world, before, outcome })
      world = undefined
    }
  }, 120_000)
  afterAll(async () => {
    for (const world of new Set([...runs.values()].map(r => r.world))) await world.stop()
  })
  return {
    batches: () => batches,
    runOf: row => {
      const run = runs.get(row)
      if (run === undefined) throw new Error('no run for this row: call inside a test')
      return run
    }
  }
}

/**
 * A batch's run, judged for every row: nothing sent anywhere (so nothing can have changed), every
 * destination still holding a live key, a clean failure, and no leak.
 */
export function expectBatchRefusedUpFront({ world, before, outcome }: BatchRun) {
  const sent = (r: { method: string; path: string }) => `${r.method} ${r.path}`
  expect(world.hive.requests.map(sent)).toEqual([])
  expect(world.github.requests.map(sent)).toEqual([])
  expect(snapshot(world)).toEqual(before)
  expectDestinationsHoldLiveKeys(world)
  expectCleanFailure(outcome.run)
  expectNoLeaks(outcome)
}
