/**
 * Issue 9, misconfiguration: two rotations in one repository with the same secret name, one per
 * environment (`env:octo/app/staging` and `env:octo/app/production`, each its own Hive key), run
 * with the default key-name. Rotation A is killed after Hive made its key (an orphan of A's), then
 * B runs, then A again: each run sees the other's keys, a leftover and a live key among them.
 *
 * With the default key-name (a digest of the destinations) each run's leftovers are its own keys
 * only, so neither run revokes the other's live key and both environments hold keys Hive accepts.
 * The second test runs the same story with the old shared default key-name forced on both, and
 * asserts the outage it causes: B takes A's orphan for its own leftover, and with it the key the
 * orphan replaced, the key staging holds.
 *
 * Between runs, every key is backdated an hour, as when the rotations run on schedules hours
 * apart: a key under 10 minutes old would make the other run stop as "in flight" (a run of the
 * same rotation under the old name), which would hide the outage rather than prevent it.
 */
import { describe, expect, it } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { leaks, runAction, type ActionRun } from '../support/run-action.js'
import { HoldingProxy } from '../support/hold-proxy.js'
import type { World } from '../support/world.js'
import type { SecretTarget } from '../emulators/github.js'
import { defaultKeyName } from '../../src/rotation/names.js'
import { act, ENV, expectCleanFailure, REPO, SECRET, TOKEN, useWorld, warnings } from './helpers.js'

const world = useWorld()

const HOUR = 60 * 60_000
const STAGING: SecretTarget = { owner: 'octo', repo: 'app', environment: 'staging' }
const PRODUCTION = ENV
/** The default key-name before issue 9: the same for every rotation of the repository's secret. */
const SHARED = `hive-rotate-key octo/app ${SECRET}`

interface Rotation {
  name: 'A' | 'B'
  target: SecretTarget
  destination: string
}
const A: Rotation = { name: 'A', target: STAGING, destination: 'env:octo/app/staging' }
const B: Rotation = { name: 'B', target: PRODUCTION, destination: 'env:octo/app/production' }

/**
 * The world with a staging environment whose HIVE_API_KEY holds its own key (`staging`), and
 * production's holding the world's CI key; no repository-level secret, so each environment's
 * secret is the only one its jobs read. Returns staging's key.
 */
function twoEnvironments(w: World): { id: string; value: string } {
  w.github.addEnvironment('octo/app', 'staging')
  const staging = w.hive.seedKey({
    name: 'aphids-cli staging (made by hand)',
    permission: 'read-only',
    scope: { type: 'engagements', engagement_ids: ['eng_7'] },
    expiresAt: new Date(Date.now() + 5 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  })
  w.github.setSecretPlain(STAGING, SECRET, staging.value)
  w.github.deleteSecret(REPO, SECRET)
  return staging
}

/** The inputs of rotation `r`: its own destination, the key its secret holds now. */
function inputsOf(w: World, r: Rotation, extra: Record<string, string> = {}) {
  return w.inputs({
    'hive-api-key': heldValue(w, r),
    destinations: r.destination,
    ...extra
  })
}

function heldValue(w: World, r: Rotation): string {
  const value = w.github.secretValue(r.target, SECRET)
  if (value === undefined) throw new Error(`${r.destination} holds no ${SECRET}`)
  return value
}

/** The id of the key the environment's secret opens to, and whether Hive accepts it. */
function holding(w: World, r: Rotation): { id: string | undefined; accepted: boolean } {
  const value = heldValue(w, r)
  return { id: w.hive.keys().find(k => k.value === value)?.id, accepted: w.hive.accepts(value) }
}

/** Every key value Hive ever issued here, and the token: none may appear outside a mask. */
function secrets(w: World): string[] {
  return [...w.hive.keys().map(k => k.value), TOKEN]
}

/** Time passes before the next scheduled run: every key in Hive was created `ms` earlier. */
function later(w: World, ms: number) {
  for (const key of w.hive.keys()) w.hive.backdate(key.id, ms)
}

/** Runs rotation `r` and SIGKILLs it once Hive made its new key, before it stored it anywhere. */
async function killedAfterCreate(w: World, r: Rotation, extra: Record<string, string> = {}) {
  const proxy = new HoldingProxy(w.hive.url)
  try {
    const url = await proxy.start()
    const held = proxy.hold({ method: 'POST', path: '/api-keys', phase: 'response' })
    let child: ChildProcess | undefined
    const running = runAction({
      inputs: inputsOf(w, r, { 'hive-url': url, ...extra }),
      env: w.env,
      onStart: c => (child = c),
      timeoutMs: 60_000
    })
    await Promise.race([held, running])
    child?.kill('SIGKILL')
    const run = await running
    expect(run.signal).toBe('SIGKILL')
    expect(leaks(run, secrets(w))).toEqual([])
  } finally {
    await proxy.stop()
  }
}

/** Runs rotation `r` to the end; checks that nothing leaked. */
async function rotate(w: World, r: Rotation, extra: Record<string, string> = {}) {
  const outcome = await act(w, inputsOf(w, r, extra), { secrets: secrets(w) })
  expect(leaks(outcome.run, secrets(w))).toEqual([])
  return outcome
}

/**
 * The key ids a run listed as leftovers: the first column of the summary's leftovers table, and
 * each item of the log's leftover warning (`key_x (prefix…, why)`; a "replaced by key_y" inside
 * the parentheses names the successor, not a leftover).
 */
function leftoversListed(run: ActionRun): string[] {
  const summary = run.summary.split('\n')
  const heading = summary.findIndex(line => line.includes('Leftovers of earlier runs'))
  const table =
    heading < 0 ? '' : (summary.slice(heading + 1).find(l => l.includes('<table')) ?? '')
  const rows = table.split('<tr>').slice(2) // before the first row, then the heading's row
  const inTable = rows.map(row => /^<td>(key_[A-Za-z0-9]+)<\/td>/.exec(row)?.[1] ?? row)
  const warned = warnings(run)
    .filter(line => line.includes('leftover key(s) of earlier interrupted runs'))
    .flatMap(line => [...line.matchAll(/(key_[A-Za-z0-9]+) \(/g)].map(m => m[1]))
  expect([...new Set(warned)].sort()).toEqual([...inTable].sort())
  return inTable.sort()
}

describe('two rotations of one secret name, one per environment', () => {
  it('with the default key-name, neither run counts or revokes the other one’s keys', async () => {
    const w = world()
    const staging = twoEnvironments(w)
    const production = w.ci
    const nameA = defaultKeyName('octo/app', SECRET, [A.destination])
    const nameB = defaultKeyName('octo/app', SECRET, [B.destination])
    expect(nameA).not.toBe(nameB)

    // A is killed after its create: an orphan of A's, stored nowhere, replacing staging's key.
    await killedAfterCreate(w, A)
    const orphan = w.hive.keys().at(-1)!
    expect(orphan.name.startsWith(`${nameA} `)).toBe(true)
    expect(orphan.name.endsWith(` replaces ${staging.id}`)).toBe(true)
    later(w, HOUR)

    // B sees A's orphan and A's live key: neither is its leftover, neither is touched.
    const b = await rotate(w, B)
    expect(b.run.code).toBe(0)
    expect(b.created).toHaveLength(1)
    const b1 = b.created[0]
    expect(b1.name.startsWith(`${nameB} `)).toBe(true)
    expect(leftoversListed(b.run)).toEqual([])
    expect(b.run.outputs['revoked-key-ids']).toBe(production.id)
    expect(holding(w, B)).toEqual({ id: b1.id, accepted: true })
    expect(holding(w, A)).toEqual({ id: staging.id, accepted: true })
    expect(w.hive.accepts(orphan.value)).toBe(true)
    later(w, HOUR)

    // A again: its own orphan is its only leftover; B's live key is not named, nor revoked.
    const a = await rotate(w, A)
    expect(a.run.code).toBe(0)
    expect(a.created).toHaveLength(1)
    const a2 = a.created[0]
    expect(a2.name.startsWith(`${nameA} `)).toBe(true)
    expect(leftoversListed(a.run)).toEqual([orphan.id])
    expect(a.run.summary).toContain('an earlier key of this rotation')
    expect(a.run.outputs['revoked-key-ids'].split(',').sort()).toEqual(
      [staging.id, orphan.id].sort()
    )
    expect(holding(w, A)).toEqual({ id: a2.id, accepted: true })
    expect(holding(w, B)).toEqual({ id: b1.id, accepted: true })

    // B at once after A: A's fresh key is not a run of B's in flight, nor a leftover.
    const again = await rotate(w, B)
    expect(again.run.code).toBe(0)
    expect(again.created).toHaveLength(1)
    const b2 = again.created[0]
    expect(leftoversListed(again.run)).toEqual([])
    expect(again.run.outputs['revoked-key-ids']).toBe(b1.id)

    // Each environment holds a key Hive accepts; no other key is active but the admin key.
    expect(holding(w, A)).toEqual({ id: a2.id, accepted: true })
    expect(holding(w, B)).toEqual({ id: b2.id, accepted: true })
    expect(
      w.hive
        .activeKeys()
        .map(k => k.id)
        .sort()
    ).toEqual([w.admin.id, a2.id, b2.id].sort())
  }, 90_000)

  it('with the old shared key-name forced on both, B prunes the key staging holds (the outage)', async () => {
    const w = world()
    const staging = twoEnvironments(w)
    const shared = { 'key-name': SHARED }

    await killedAfterCreate(w, A, shared)
    const orphan = w.hive.keys().at(-1)!
    expect(orphan.name.endsWith(` replaces ${staging.id}`)).toBe(true)
    later(w, HOUR)

    // B takes A's orphan for its own leftover, and the key it replaced, staging's live key.
    const b = await rotate(w, B, shared)
    expect(b.run.code).toBe(0)
    expect(leftoversListed(b.run)).toEqual([orphan.id, staging.id].sort())
    expect(b.run.outputs['revoked-key-ids'].split(',')).toContain(staging.id)
    expect(holding(w, B)).toEqual({ id: b.created[0].id, accepted: true })
    expect(holding(w, A)).toEqual({ id: staging.id, accepted: false })
    later(w, HOUR)

    // Staging's jobs and A's next run hold a revoked key: A cannot even start.
    const a = await rotate(w, A, shared)
    expectCleanFailure(a.run)
    expect(a.created).toEqual([])
    expect(holding(w, A)).toEqual({ id: staging.id, accepted: false })
  }, 90_000)
})
