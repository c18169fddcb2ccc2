/**
 * The rotation sequence in process, over the real adapters (HiveClient, GitHubSecretStore) against
 * the emulators, with waits injected away. Failures the emulators can't produce are injected
 * through the two ports. Every test asserts what Hive and GitHub hold afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { rotate, RotationError, type RotationDeps } from '../../src/rotation/rotate.js'
import { emptyReport, type RotationReport } from '../../src/rotation/report.js'
import {
  DestinationError,
  type CanaryRun,
  type CanaryRunState,
  type KeyService,
  type SecretStore,
  type WorkflowRunner
} from '../../src/rotation/ports.js'
import { HiveClient } from '../../src/hive/client.js'
import { HiveHttp } from '../../src/hive/http.js'
import { GitHubSecretStore } from '../../src/github/store.js'
import { createGitHubClient } from '../../src/github/octokit.js'
import { ENV, REPO, startWorld, type World } from '../support/world.js'
import { recordingLog, settingsFor } from '../support/inprocess.js'

let world: World
beforeEach(async () => {
  world = await startWorld()
})
afterEach(async () => {
  await world.stop()
})

interface Harness {
  deps: RotationDeps
  report: RotationReport
  /** Everything logged and masked, in order: ['mask', value] or [level, message]. */
  events: [string, string][]
}

/** The settings of this world's inputs plus `extra`, read as main.ts reads them. */
const settings = (extra: Record<string, string> = {}) => settingsFor(world, extra)

function harness(wrap: { keys?: Partial<KeyService>; secrets?: Partial<SecretStore> } = {}) {
  const events: [string, string][] = []
  const log = recordingLog(events)
  const http = new HiveHttp({ baseUrl: world.hive.url, sleep: async () => undefined })
  const client = new HiveClient(http, { sleep: async () => undefined })
  const keys: KeyService = {
    current: (k, d) => client.current(k, d),
    list: k => client.list(k),
    create: (k, r) => client.create(k, r),
    update: (k, id, p) => client.update(k, id, p),
    probe: (k, p) => client.probe(k, p),
    waitUntilAccepted: (k, p, t) => client.waitUntilAccepted(k, p, t),
    get: (k, id) => client.get(k, id),
    revoke: (k, id) => client.revoke(k, id),
    confirmRevoked: (k, p) => client.confirmRevoked(k, p),
    usage: (k, id) => client.usage(k, id),
    sentWith: k => client.sentWith(k),
    ...wrap.keys
  }
  const github = createGitHubClient({
    token: world.inputs()['github-token'],
    baseUrl: world.github.url,
    warn: m => events.push(['warning', m]),
    debug: () => undefined,
    retryAfterBaseValue: 1,
    // No one-second spacing of writes (the action's default): test-hooks.test.ts tests it.
    writeSpacingMs: 0
  })
  const store = new GitHubSecretStore(
    { credential: 'github-token', forDestination: async () => github },
    { secretName: 'HIVE_API_KEY', destinations: [], warn: () => undefined, debug: () => undefined }
  )
  const secrets: SecretStore = {
    prepare: d => store.prepare(d),
    write: (p, n, v) => store.write(p, n, v),
    ...wrap.secrets
  }
  const report = emptyReport(false)
  const deps: RotationDeps = {
    keys,
    secrets,
    mask: v => events.push(['mask', v]),
    log,
    now: () => new Date()
  }
  return { deps, report, events } satisfies Harness
}

const active = (id: string) => world.hive.activeKeys().some(k => k.id === id)
const created = () => world.hive.keys().filter(k => k.id !== world.ci.id && k.id !== world.admin.id)

describe('rotate', () => {
  it('creates, tests, stores and then revokes, leaving every destination on the new key', async () => {
    const h = harness()
    await rotate(settings(), h.deps, h.report)

    const [fresh] = created()
    expect(created()).toHaveLength(1)
    expect(fresh.permission).toBe('read-only')
    expect(fresh.scope).toEqual({ type: 'engagements', engagement_ids: ['eng_12', 'eng_40'] })
    expect(fresh.name).toMatch(
      new RegExp(
        `^${settings().keyName} run-[0-9a-f]{10} \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z replaces ${world.ci.id}$`
      )
    )
    expect(world.github.secretValue(REPO, 'HIVE_API_KEY')).toBe(fresh.value)
    expect(world.github.secretValue(ENV, 'HIVE_API_KEY')).toBe(fresh.value)
    expect(world.hive.accepts(fresh.value)).toBe(true)
    expect(world.hive.accepts(world.ci.value)).toBe(false)
    expect(h.report.rotated).toBe(true)
    expect(h.report.revokedKeyIds).toEqual([world.ci.id])
    expect(h.report.steps.map(s => [s.step, s.status])).toEqual([
      ['Preflight', 'ok'],
      ['Create the new key', 'ok'],
      ['Test the new key', 'ok'],
      ['Store the new key', 'ok'],
      ['Prune leftovers', 'ok'],
      ['Retire the old key', 'ok']
    ])
    expect(h.report.destinations.map(d => d.status)).toEqual(['updated', 'updated'])
  })

  it('masks the new key before anything is logged about it, and never logs a value', async () => {
    const h = harness()
    await rotate(settings(), h.deps, h.report)
    const [fresh] = created()
    const maskAt = h.events.findIndex(([kind, v]) => kind === 'mask' && v === fresh.value)
    const firstMention = h.events.findIndex(([kind, m]) => kind !== 'mask' && m.includes(fresh.id))
    expect(maskAt).toBeGreaterThanOrEqual(0)
    expect(maskAt).toBeLessThan(firstMention)
    const logged = h.events.filter(([kind]) => kind !== 'mask').map(([, m]) => m)
    const values = [fresh.value, world.ci.value, world.admin.value]
    for (const v of values) expect(logged.join('\n')).not.toContain(v)
    expect(JSON.stringify(h.report)).not.toMatch(new RegExp(values.join('|')))
  })

  it('tests the new key before any write, and revokes the old one only after every write', async () => {
    const seenAtWrite: string[][] = []
    const store = harness().deps.secrets
    const h = harness({
      secrets: {
        write: async (p, n, v) => {
          seenAtWrite.push(world.hive.requests.map(r => `${r.method} ${r.path}`))
          return store.write(p, n, v)
        }
      }
    })
    await rotate(settings(), h.deps, h.report)
    expect(seenAtWrite).toHaveLength(2)
    for (const calls of seenAtWrite) {
      expect(calls).toContain('GET /executions-cli/executions')
      expect(calls.some(c => c.startsWith('DELETE'))).toBe(false)
    }
    expect(world.hive.requests.at(-2)).toMatchObject({ method: 'DELETE' })
    expect(world.github.secretWrites()).toBe(2)
  })

  it('keeps the old key with revoke-old: false', async () => {
    const h = harness()
    await rotate(settings({ 'revoke-old': 'false' }), h.deps, h.report)
    expect(world.hive.accepts(world.ci.value)).toBe(true)
    expect(world.github.secretValue(REPO, 'HIVE_API_KEY')).toBe(created()[0].value)
    expect(h.report.revokedKeyIds).toEqual([])
  })

  it('honours an explicit permission, scope and lifetime', async () => {
    const h = harness()
    await rotate(
      settings({ permission: 'read-write', scope: 'engagements:eng_12', 'expires-in-days': '90' }),
      h.deps,
      h.report
    )
    const [fresh] = created()
    expect(fresh.permission).toBe('read-write')
    expect(fresh.scope).toEqual({ type: 'engagements', engagement_ids: ['eng_12'] })
    const days = (Date.parse(fresh.expires_at!) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(89.9)
    expect(days).toBeLessThanOrEqual(90)
  })

  it('dry-run reads and plans but changes nothing', async () => {
    const h = harness()
    h.report.dryRun = true
    await rotate(settings({ 'dry-run': 'true' }), h.deps, h.report)
    expect(created()).toEqual([])
    expect(world.github.secretWrites()).toBe(0)
    expect(world.hive.requests.every(r => r.method === 'GET')).toBe(true)
    expect(h.report.plan.join('\n')).toContain(`Revoke the current key ${world.ci.id}`)
    expect(h.report.steps.filter(s => s.status === 'skipped')).toHaveLength(5)
  })

  it('revokes a new key that fails its test and changes nothing else', async () => {
    world.hive.options.propagationCalls = 1000
    const h = harness()
    await expect(
      rotate(settings({ 'verify-timeout-seconds': '0' }), h.deps, h.report)
    ).rejects.toThrow(/The new key failed its test: .* still answered 401.* was revoked/)
    const [fresh] = created()
    expect(active(fresh.id)).toBe(false)
    expect(world.hive.accepts(world.ci.value)).toBe(true)
    expect(world.github.secretWrites()).toBe(0)
    expect(world.github.secretValue(REPO, 'HIVE_API_KEY')).toBe(world.ci.value)
  })

  it('revokes a new key that is not what was asked for', async () => {
    const client = new HiveClient(new HiveHttp({ baseUrl: world.hive.url }))
    const h = harness({
      keys: {
        // Hive reports a wider permission for the new key than was requested.
        current: async (k, d) => {
          const key = await client.current(k, d)
          return k === world.ci.value ? key : { ...key, permission: 'admin' }
        }
      }
    })
    await expect(rotate(settings(), h.deps, h.report)).rejects.toThrow(
      /not what was asked for: its permission is admin, not read-only/
    )
    expect(active(created()[0].id)).toBe(false)
    expect(world.github.secretWrites()).toBe(0)
    expect(world.hive.accepts(world.ci.value)).toBe(true)
  })

  it('revokes nothing old when one destination refuses, and keeps the new key it holds', async () => {
    world.github.refuse(ENV, { status: 403 })
    const h = harness()
    await expect(rotate(settings(), h.deps, h.report)).rejects.toThrow(
      /1 of 2 destination\(s\) could not be written\. The new key .* stays active.*was not revoked/s
    )
    const [fresh] = created()
    expect(world.github.secretValue(REPO, 'HIVE_API_KEY')).toBe(fresh.value)
    expect(world.github.secretValue(ENV, 'HIVE_API_KEY')).toBe(world.ci.value)
    expect(world.hive.accepts(fresh.value)).toBe(true)
    expect(world.hive.accepts(world.ci.value)).toBe(true)
    expect(h.report.rotated).toBe(false)
    expect(h.report.destinations.map(d => d.status)).toEqual(['updated', 'failed'])
    expect(h.report.destinations[1].detail).toMatch(
      /Secrets: read and write.*Environments: read and write/
    )
  })

  it('revokes the new key when every destination definitely refused it', async () => {
    world.github.refuse(REPO, { status: 403 })
    world.github.refuse(ENV, { status: 404 })
    const h = harness()
    await expect(rotate(settings(), h.deps, h.report)).rejects.toThrow(
      /2 of 2 .* No destination holds the new key, and the old key answered just now, so the new key \S+ was revoked/
    )
    expect(active(created()[0].id)).toBe(false)
    expect(world.hive.accepts(world.ci.value)).toBe(true)
    expect(world.github.secretValue(REPO, 'HIVE_API_KEY')).toBe(world.ci.value)
  })

  it('keeps the new key when a write may have landed (no definite answer)', async () => {
    const h = harness({
      secrets: {
        write: async () => {
          throw new DestinationError('GitHub did not answer', false, 502)
        }
      }
    })
    await expect(rotate(settings(), h.deps, h.report)).rejects.toThrow(/stays active/)
    expect(active(created()[0].id)).toBe(true)
    expect(world.hive.accepts(world.ci.value)).toBe(true)
  })

  it('fails the preflight, before any key exists, when a destination cannot be read', async () => {
    const h = harness()
    await expect(
      rotate(settings({ destinations: 'repo:octo/app\nrepo:octo/nope' }), h.deps, h.report)
    ).rejects.toThrow(
      /1 of 2 destination\(s\) can't be written; nothing was changed.*octo\/nope.*does not exist, or the token cannot see it/s
    )
    expect(created()).toEqual([])
    expect(world.hive.requests.some(r => r.method !== 'GET')).toBe(false)
    expect(h.report.destinations.map(d => d.status)).toEqual(['ready', 'unreachable'])
  })

  it('refuses an admin key without admin permission, before any change', async () => {
    const weak = world.hive.seedKey({ permission: 'read-write', scope: { type: 'all' } })
    const h = harness()
    await expect(
      rotate(settings({ 'hive-admin-key': weak.value }), h.deps, h.report)
    ).rejects.toThrow(
      'hive-admin-key has permission read-write; creating and revoking keys needs admin. ' +
        'Pass an admin key as hive-admin-key.'
    )
    expect(world.hive.keys()).toHaveLength(3)
    expect(world.github.secretWrites()).toBe(0)
  })

  it('refuses a current-key answer that names another key’s id, before any change', async () => {
    // A self-managed admin key: one key, so no second current answer can catch a shared id.
    const own = world.hive.seedKey({ permission: 'admin', scope: { type: 'all' } })
    world.hive.tamper({
      method: 'GET',
      path: '/api-keys/current',
      nth: 1,
      times: 1,
      field: { name: 'id', value: world.admin.id }
    })
    const h = harness()
    await expect(
      rotate(settings({ 'hive-admin-key': '', 'hive-api-key': own.value }), h.deps, h.report)
    ).rejects.toThrow(
      `Hive answered that hive-api-key is the key ${world.admin.id}, but Hive's list of active ` +
        `keys shows ${world.admin.id} with the prefix ${world.admin.value.slice(0, 7)}`
    )
    expect(world.hive.keys().filter(k => k.revoked_at !== null)).toEqual([])
    expect(world.hive.keys()).toHaveLength(3)
    expect(world.github.secretWrites()).toBe(0)
  })

  it('refuses a current-key answer whose id is not in the list of active keys, before any change', async () => {
    world.hive.tamper({
      method: 'GET',
      path: '/api-keys/current',
      nth: 1,
      times: 1,
      field: { name: 'id', value: 'key_made_later' }
    })
    const h = harness()
    await expect(rotate(settings(), h.deps, h.report)).rejects.toThrow(
      "Hive answered that hive-api-key is the key key_made_later, but Hive's list of active keys " +
        'has no key key_made_later: the answers disagree'
    )
    expect(created()).toEqual([])
    expect(world.github.secretWrites()).toBe(0)
  })

  it('refuses a current-key answer whose prefix does not start hive-api-key, before any change', async () => {
    world.hive.tamper({
      method: 'GET',
      path: '/api-keys/current',
      nth: 1,
      times: 1,
      field: { name: 'prefix', value: 'hv_zzzz' }
    })
    const h = harness()
    await expect(rotate(settings(), h.deps, h.report)).rejects.toThrow(
      /but its prefix hv_zzzz… is not the start of hive-api-key: the answers disagree/
    )
    expect(created()).toEqual([])
    expect(world.github.secretWrites()).toBe(0)
  })

  it('refuses a read-only rotated key that would manage itself', async () => {
    const h = harness()
    await expect(rotate(settings({ 'hive-admin-key': '' }), h.deps, h.report)).rejects.toThrow(
      /hive-api-key \(no hive-admin-key given\) has permission read-only; creating and revoking keys needs admin/
    )
    expect(created()).toEqual([])
  })

  it('refuses to make a self-managed key that could not rotate itself next time', async () => {
    const own = world.hive.seedKey({ permission: 'admin', scope: { type: 'all' } })
    const h = harness()
    await expect(
      rotate(
        settings({ 'hive-api-key': own.value, 'hive-admin-key': '', permission: 'read-only' }),
        h.deps,
        h.report
      )
    ).rejects.toThrow(/would leave the rotated key unable to rotate itself/)
    expect(world.hive.keys()).toHaveLength(3)
  })

  it('refuses a scope the admin key cannot grant', async () => {
    const scoped = world.hive.seedKey({
      permission: 'admin',
      scope: { type: 'engagements', engagement_ids: ['eng_12'] }
    })
    const h = harness()
    await expect(
      rotate(settings({ 'hive-admin-key': scoped.value }), h.deps, h.report)
    ).rejects.toThrow(/cannot grant scope engagements:eng_12,eng_40/)
    expect(world.hive.keys()).toHaveLength(3)
  })

  it('rotates a self-managed admin key with the key itself', async () => {
    const own = world.hive.seedKey({ permission: 'admin', scope: { type: 'all' } })
    world.github.setSecretPlain(REPO, 'HIVE_API_KEY', own.value)
    world.github.setSecretPlain(ENV, 'HIVE_API_KEY', own.value)
    const h = harness()
    await rotate(settings({ 'hive-api-key': own.value, 'hive-admin-key': '' }), h.deps, h.report)
    const fresh = world.hive.keys().find(k => k.name.startsWith('hive-rotate-key'))!
    expect(fresh.permission).toBe('admin')
    expect(world.github.secretValue(ENV, 'HIVE_API_KEY')).toBe(fresh.value)
    expect(world.hive.accepts(own.value)).toBe(false)
  })

  it('fails loudly when the old key still works after its revocation', async () => {
    const h = harness({ keys: { confirmRevoked: async () => false } })
    await expect(rotate(settings(), h.deps, h.report)).rejects.toThrow(RotationError)
    expect(h.report.rotated).toBe(true)
    expect(h.report.steps.at(-1)).toMatchObject({ step: 'Retire the old key', status: 'failed' })
  })
})

/** A key of the world's rotation, as a run killed `ageMs` ago after creating it would leave it. */
function leftover(replaces: string, ageMs: number, expiresInMs = 30 * 86_400_000) {
  const at = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
  return world.hive.seedKey({
    name: `${settings().keyName} ${at(-ageMs)} replaces ${replaces}`,
    permission: 'read-only',
    scope: { type: 'engagements', engagement_ids: ['eng_12', 'eng_40'] },
    createdAt: at(-ageMs),
    expiresAt: at(expiresInMs)
  })
}
const activeIds = () => world.hive.activeKeys().map(k => k.id)

describe('prune', () => {
  it('revokes leftovers only after the store and the retirement', async () => {
    const orphan = leftover(world.ci.id, 3_600_000)
    const order: string[] = []
    const store = harness().deps.secrets
    const h = harness({
      keys: {
        revoke: async (k, id) => {
          order.push(`revoke ${id}`)
          return new HiveClient(new HiveHttp({ baseUrl: world.hive.url })).revoke(k, id)
        }
      },
      secrets: {
        write: async (p, n, v) => {
          order.push(`write ${p.destination.label}`)
          return store.write(p, n, v)
        }
      }
    })
    await rotate(settings(), h.deps, h.report)
    expect(order).toEqual([
      'write repo:octo/app',
      'write env:octo/app/production',
      `revoke ${orphan.id}`,
      `revoke ${world.ci.id}`
    ])
    expect(activeIds()).toEqual([world.admin.id, created().at(-1)!.id])
    expect(h.report.leftovers.map(l => [l.id, l.outcome])).toEqual([[orphan.id, 'revoked']])
  })

  it('turns a failed revocation of a leftover into a warning with its id', async () => {
    const orphan = leftover(world.ci.id, 3_600_000)
    const real = new HiveClient(new HiveHttp({ baseUrl: world.hive.url }))
    const h = harness({
      keys: {
        revoke: async (k, id) => {
          if (id === orphan.id) throw new Error('Hive answered 500')
          return real.revoke(k, id)
        }
      }
    })
    await rotate(settings(), h.deps, h.report)
    expect(h.report.rotated).toBe(true)
    expect(h.report.steps.at(-2)).toMatchObject({ step: 'Prune leftovers', status: 'ok' })
    expect(h.report.warnings.at(-1)).toMatch(
      new RegExp(`Could not revoke 1 leftover key\\(s\\).*\\n  - ${orphan.id} .*Hive answered 500`)
    )
    expect(active(orphan.id)).toBe(true)
    expect(active(world.ci.id)).toBe(false)
  })

  it('prunes with the new key when the rotated key was its own admin and is gone', async () => {
    const own = world.hive.seedKey({ permission: 'admin', scope: { type: 'all' } })
    world.github.setSecretPlain(REPO, 'HIVE_API_KEY', own.value)
    world.github.setSecretPlain(ENV, 'HIVE_API_KEY', own.value)
    const orphan = world.hive.seedKey({
      name: `${settings().keyName} 2026-01-01T00:00:00Z replaces ${own.id}`,
      permission: 'admin',
      createdAt: '2026-01-01T00:00:00Z'
    })
    const h = harness()
    await rotate(settings({ 'hive-api-key': own.value, 'hive-admin-key': '' }), h.deps, h.report)
    const fresh = world.hive.keys().at(-1)!
    expect(activeIds()).toEqual([world.admin.id, world.ci.id, fresh.id])
    const prune = world.hive.requests.find(r => r.method === 'DELETE' && r.path.endsWith(orphan.id))
    expect(prune?.keyId).toBe(fresh.id)
  })

  it('with revoke-old: false, spares the old keys the current key replaced, not orphans', async () => {
    // An earlier run kept the hand-made CI key (revoke-old: false) and stored K2; a later run
    // was killed after creating an orphan.
    const k2 = leftover(world.ci.id, 86_400_000)
    const k2Value = world.hive.key(k2.id)!.value
    const orphan = leftover(k2.id, 3_600_000)
    world.github.setSecretPlain(REPO, 'HIVE_API_KEY', k2Value)
    world.github.setSecretPlain(ENV, 'HIVE_API_KEY', k2Value)
    const h = harness()
    await rotate(
      settings({
        'hive-api-key': k2Value,
        'revoke-old': 'false',
        'rotate-if-expiring-within-days': '1'
      }),
      h.deps,
      h.report
    )
    const fresh = created().at(-1)!
    expect(activeIds()).toEqual([world.admin.id, world.ci.id, k2.id, fresh.id])
    expect(h.report.leftovers.map(l => [l.id, l.outcome])).toEqual([
      [orphan.id, 'revoked'],
      [world.ci.id, 'kept (revoke-old: false)']
    ])
    // The kept key alone would not have made this run due: the orphan did.
    expect(h.report.due).toMatch(/leftovers of an interrupted run/)
  })

  it('with revoke-old: false, a kept old key does not make the next run due', async () => {
    const k2 = leftover(world.ci.id, 86_400_000)
    const k2Value = world.hive.key(k2.id)!.value
    const h = harness()
    await rotate(
      settings({
        'hive-api-key': k2Value,
        'revoke-old': 'false',
        'rotate-if-expiring-within-days': '7'
      }),
      h.deps,
      h.report
    )
    expect(created()).toEqual([world.hive.key(k2.id)])
    expect(activeIds()).toEqual([world.admin.id, world.ci.id, k2.id])
    expect(h.report.due).toMatch(/later than 7 day\(s\) from now/)
    expect(h.report.steps.map(st => st.status)).toEqual(['ok', ...Array(5).fill('skipped')])
  })

  it('lists leftovers in the dry-run plan and touches none', async () => {
    const orphan = leftover(world.ci.id, 3_600_000)
    const h = harness()
    h.report.dryRun = true
    await rotate(settings({ 'dry-run': 'true' }), h.deps, h.report)
    // In the order the steps run: prune, then retire.
    expect(h.report.plan.at(-2)).toContain(`Revoke the leftovers of earlier runs: ${orphan.id}`)
    expect(h.report.plan.at(-1)).toContain(`Revoke the current key ${world.ci.id}`)
    expect(active(orphan.id)).toBe(true)
    expect(world.hive.requests.every(r => r.method === 'GET')).toBe(true)
  })
})

describe('grace, emergency, usage', () => {
  it('fails the retire step when Hive does not shorten the expiry as asked', async () => {
    const h = harness({ keys: { update: async () => ({ ...world.hive.key(world.ci.id)! }) } })
    await expect(
      rotate(settings({ 'old-key-grace-minutes': '10' }), h.deps, h.report)
    ).rejects.toThrow(/reports it expiring .*, not .*Every destination holds the new key/)
    expect(h.report.rotated).toBe(true)
    expect(active(world.ci.id)).toBe(true)
  })

  it('emergency: stops before creating anything when the compromised key still works', async () => {
    const h = harness({ keys: { confirmRevoked: async () => false } })
    await expect(rotate(settings({ mode: 'emergency' }), h.deps, h.report)).rejects.toThrow(
      /still accepts it\. Nothing else was changed/
    )
    expect(created()).toEqual([])
    expect(world.github.secretWrites()).toBe(0)
  })

  it('emergency: a new key that fails its test is kept and stored: it is the only live key', async () => {
    world.hive.options.propagationCalls = 1000
    const h = harness()
    await expect(
      rotate(settings({ mode: 'emergency', 'verify-timeout-seconds': '0' }), h.deps, h.report)
    ).rejects.toThrow(/failed its test.* was kept: the old key no longer answers.* Stored it in 2/)
    const [fresh] = created()
    expect(world.hive.activeKeys().map(k => k.id)).toEqual([world.admin.id, fresh.id])
    expect(world.github.secretValue(REPO, 'HIVE_API_KEY')).toBe(fresh.value)
  })

  it('emergency: a key Hive already refuses gets an explanation, and nothing is made', async () => {
    await new HiveClient(new HiveHttp({ baseUrl: world.hive.url })).revoke(
      world.admin.value,
      world.ci.id
    )
    const h = harness()
    await expect(rotate(settings({ mode: 'emergency' }), h.deps, h.report)).rejects.toThrow(
      /hive-api-key answers 401: Hive does not accept it .* nothing left to revoke.* set: permission .*Nothing was changed/
    )
    expect(world.hive.requests.filter(r => r.method !== 'GET')).toHaveLength(1)
    expect(created()).toEqual([])
  })

  it('a usage read that fails is passed over: no warning, the rotation completes', async () => {
    await world.statusOf(world.ci.value)
    const h = harness({
      keys: {
        usage: async () => {
          throw new Error('Hive answered 500')
        }
      }
    })
    await rotate(settings(), h.deps, h.report)
    expect(h.report.warnings).toEqual([])
    expect(active(world.ci.id)).toBe(false)
  })
})

describe('mode check', () => {
  it('fails on a key that may not read the verify path, writing nothing', async () => {
    const h = harness({ keys: { probe: async () => 403 } })
    await expect(rotate(settings({ mode: 'check' }), h.deps, h.report)).rejects.toThrow(
      /valid but may not read \/executions-cli\/executions \(403\)/
    )
    expect(world.hive.requests.every(r => r.method === 'GET')).toBe(true)
    expect(world.github.requests).toEqual([])
  })

  it('passes a key that never expires, whatever the threshold', async () => {
    const forever = world.hive.seedKey({ permission: 'read-only', expiresAt: null })
    const h = harness()
    await rotate(
      settings({
        mode: 'check',
        'hive-api-key': forever.value,
        'rotate-if-expiring-within-days': '365'
      }),
      h.deps,
      h.report
    )
    expect(h.report.steps).toEqual([
      expect.objectContaining({ step: 'Check the current key', status: 'ok' })
    ])
    expect(h.report.steps[0].detail).toContain('it never expires')
  })
})

describe('the canary, in process on a virtual clock (no real wait)', () => {
  const SMOKE = 'octo/app/hive-smoke.yml'

  /** A WorkflowRunner whose runs do what `conclude` says; polls counted. */
  function fakeRunner(opts: {
    dispatch?: () => CanaryRun | undefined
    findRun?: () => CanaryRun | undefined
    state?: () => CanaryRunState
  }) {
    const seen = { dispatched: 0, polls: 0, cancelled: [] as number[] }
    const runner: WorkflowRunner = {
      check: async () => undefined,
      dispatch: async () => {
        seen.dispatched++
        return opts.dispatch ? opts.dispatch() : { id: 7, htmlUrl: '' }
      },
      findRun: async () => opts.findRun?.(),
      state: async () => {
        seen.polls++
        return opts.state
          ? opts.state()
          : { status: 'completed', conclusion: 'success', htmlUrl: '' }
      },
      failedSteps: async () => [],
      cancel: async (_w, id) => {
        seen.cancelled.push(id)
      }
    }
    return { runner, seen }
  }

  /**
   * The run's clock is the real one plus every wait it asked for: waits pass at once, and the
   * clock never lags Hive's (a lagging one would take the new key's own test for a use of it
   * after the canary started).
   */
  function onVirtualClock(h: Harness, runner: WorkflowRunner) {
    let waited = 0
    h.deps.now = () => new Date(Date.now() + waited)
    h.deps.sleep = async ms => {
      waited += ms
    }
    h.deps.workflows = runner
    return () => Date.now() + waited
  }

  function expectRolledBack() {
    const [fresh] = created()
    expect(active(fresh.id)).toBe(false)
    expect(active(world.ci.id)).toBe(true)
    expect(world.github.secretValue(REPO, 'HIVE_API_KEY')).toBe(world.ci.value)
  }

  it('a run still going after canary-timeout-minutes is cancelled, and the run rolls back', async () => {
    const h = harness()
    const { runner, seen } = fakeRunner({
      state: () => ({ status: 'in_progress', conclusion: null, htmlUrl: '' })
    })
    onVirtualClock(h, runner)
    await expect(
      rotate(
        settings({ 'canary-workflows': SMOKE, 'canary-timeout-minutes': '1' }),
        h.deps,
        h.report
      )
    ).rejects.toThrow(/timed out.*Rolled back/s)
    // At most one poll every 5 s for a minute.
    expect(seen.polls).toBeLessThanOrEqual(12)
    expect(seen.cancelled).toEqual([7])
    expectRolledBack()
  })

  it('a run that succeeds without using the new key fails the canary', async () => {
    const h = harness()
    const { runner } = fakeRunner({})
    onVirtualClock(h, runner)
    await expect(rotate(settings({ 'canary-workflows': SMOKE }), h.deps, h.report)).rejects.toThrow(
      /success but Hive saw no use of the new key/
    )
    expect(h.report.canary?.[0]).toMatchObject({ conclusion: 'success', usedNewKey: false })
    expectRolledBack()
  })

  it('a dispatch whose run never appears fails the canary after 60 s', async () => {
    const h = harness()
    const { runner, seen } = fakeRunner({ dispatch: () => undefined })
    const clock = onVirtualClock(h, runner)
    const start = clock()
    await expect(rotate(settings({ 'canary-workflows': SMOKE }), h.deps, h.report)).rejects.toThrow(
      /not found.*run-name/s
    )
    expect(seen.polls).toBe(0)
    expect(clock() - start).toBeGreaterThanOrEqual(60_000)
    expectRolledBack()
  })

  it('with the old key dead (a Hive whose create revokes it), a failed canary rolls nothing back', async () => {
    world.hive.options.createRevokes = () => world.ci.id
    const h = harness()
    const { runner } = fakeRunner({
      state: () => ({ status: 'completed', conclusion: 'failure', htmlUrl: '' })
    })
    onVirtualClock(h, runner)
    await expect(rotate(settings({ 'canary-workflows': SMOKE }), h.deps, h.report)).rejects.toThrow(
      /no live old key to roll back to/
    )
    const [fresh] = created()
    expect(active(fresh.id)).toBe(true)
    expect(world.github.secretValue(REPO, 'HIVE_API_KEY')).toBe(fresh.value)
  })
})
