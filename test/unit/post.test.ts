/**
 * The post step in process, against both emulators, with hand-made journals: what Hive holds
 * afterwards (which keys are active, their names) after each kind of killed main step.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { post, type PostDeps } from '../../src/post/clean.js'
import { JOURNAL_VERSION, type JournalData } from '../../src/rotation/journal.js'
import { startWorld, type World } from '../support/world.js'

const KEY_NAME = 'ci-rotation'

let world: World
let warnings: string[]
let infos: string[]

beforeEach(async () => {
  world = await startWorld()
  warnings = []
  infos = []
})
afterEach(async () => {
  await world.stop()
})

function deps(state: string | undefined, extra: Record<string, string> = {}): PostDeps {
  const inputs: Record<string, string> = {
    'hive-url': world.hive.url,
    'secret-name': 'HIVE_API_KEY',
    permission: 'inherit',
    scope: 'inherit',
    'expires-in-days': '30',
    'verify-path': '/executions-cli/executions',
    'verify-timeout-seconds': '60',
    'revoke-old': 'true',
    'old-key-grace-minutes': '0',
    prune: 'true',
    mode: 'rotate',
    'dry-run': 'false',
    ...world.inputs({ 'key-name': KEY_NAME, ...extra })
  }
  return {
    getInput: name => inputs[name] ?? '',
    getState: name => (name === 'journal' ? (state ?? '') : ''),
    env: { ...world.env, GITHUB_REPOSITORY: 'octo/app' },
    mask: () => undefined,
    log: {
      info: m => infos.push(m),
      warning: m => warnings.push(m),
      debug: () => undefined
    },
    hiveTimeoutMs: 2_000
  }
}

function journal(over: Partial<JournalData>): string {
  const old = world.hive.key(world.ci.id)!
  return JSON.stringify({
    v: JOURNAL_VERSION,
    started: new Date().toISOString(),
    mode: 'rotate',
    step: 'store',
    oldKey: { id: old.id, prefix: old.prefix, name: old.name, created_at: old.created_at },
    writesSent: [],
    writesConfirmed: [],
    revoked: [],
    appTokens: [],
    ...over
  } satisfies JournalData)
}

function newKeyName() {
  return `${KEY_NAME} 2026-12-02T10:00:00Z replaces ${world.ci.id}`
}

function seedNew() {
  const name = newKeyName()
  const seeded = world.hive.seedKey({ name, permission: 'read-only' })
  const k = world.hive.key(seeded.id)!
  return { ...seeded, key: { id: k.id, prefix: k.prefix, name: k.name, created_at: k.created_at } }
}

const active = () => world.hive.activeKeys().map(k => k.id)

describe('after a killed main step', () => {
  it('revokes a new key no write was sent for; keeps the old and admin keys', async () => {
    const fresh = seedNew()
    const out = await post(deps(journal({ step: 'test', newKey: fresh.key })))
    expect(out.revoked).toEqual([fresh.id])
    expect(active()).toEqual([world.admin.id, world.ci.id])
    expect(infos.join('\n')).toContain(`Revoked new key ${fresh.id}`)
    expect(warnings).toEqual([])
  })

  it('keeps a new key some write was sent for, renamed stopped (planted: writesSent)', async () => {
    const fresh = seedNew()
    const out = await post(
      deps(journal({ newKey: fresh.key, writesSent: ['repo:octo/app'], writesConfirmed: [] }))
    )
    expect(out.revoked).toEqual([])
    expect(active()).toEqual([world.admin.id, world.ci.id, fresh.id])
    expect(world.hive.key(fresh.id)!.name).toBe(
      `${KEY_NAME} 2026-12-02T10:00:00Z stopped ${world.ci.id}`
    )
    expect(infos.join('\n')).toContain('takes it for a leftover at once')
  })

  it('after a create with no answer, revokes the keys of exactly the asked name', async () => {
    const fresh = seedNew()
    const other = world.hive.seedKey({ name: `${newKeyName()} (someone else)` })
    const out = await post(deps(journal({ step: 'create', createSent: { name: newKeyName() } })))
    expect(out.revoked).toEqual([fresh.id])
    expect(active()).toEqual([world.admin.id, world.ci.id, other.id])
  })

  it('keeps the new key in mode emergency', async () => {
    const fresh = seedNew()
    await post(deps(journal({ mode: 'emergency', newKey: fresh.key }), { mode: 'emergency' }))
    expect(active()).toContain(fresh.id)
  })

  it('leaves a key the journal says it revoked already', async () => {
    const fresh = seedNew()
    const out = await post(deps(journal({ newKey: fresh.key, revoked: [fresh.id] })))
    expect(out.revoked).toEqual([])
    expect(active()).toContain(fresh.id)
  })

  it('only warns when Hive fails, and does not throw', async () => {
    const fresh = seedNew()
    world.hive.addFault({ method: 'DELETE', path: `/api-keys/${fresh.id}`, status: 500, times: 5 })
    await expect(post(deps(journal({ newKey: fresh.key })))).resolves.toBeDefined()
    expect(warnings.join('\n')).toMatch(/clean-up stopped/)
    expect(active()).toContain(fresh.id)
  })
})

describe('nothing to do', () => {
  it('does nothing after a main step that ended', async () => {
    const fresh = seedNew()
    const out = await post(deps(journal({ newKey: fresh.key, ended: 'failed' })))
    expect(out.killed).toBe(false)
    expect(active()).toContain(fresh.id)
    expect(infos).toEqual([])
  })

  it('revokes nothing for a malformed journal (planted)', async () => {
    const fresh = seedNew()
    const bad = JSON.parse(journal({ newKey: fresh.key })) as Record<string, unknown>
    bad.writesSent = 'none'
    await post(deps(JSON.stringify(bad)))
    await post(deps('{not json'))
    expect(active()).toContain(fresh.id)
    expect(warnings.join('\n')).toContain('unreadable')
  })

  it('exits quietly on bad inputs', async () => {
    const fresh = seedNew()
    const out = await post(deps(journal({ newKey: fresh.key }), { 'hive-url': 'http://x.test' }))
    expect(out.killed).toBe(false)
    expect(active()).toContain(fresh.id)
  })
})
