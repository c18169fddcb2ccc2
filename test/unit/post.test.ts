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
    hiveTimeoutMs: 2_000,
    sleep: async () => undefined
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
    todo: { revoke: [], findCreated: false },
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

describe('the revocation policy in the post step', () => {
  it('keeps a new key no write was sent for when the old key no longer answers, marked stopped', async () => {
    const fresh = seedNew()
    // A Hive whose create revoked the old key: the new key is the only live key.
    await fetch(`${world.hive.url}/api-keys/${world.ci.id}`, {
      method: 'DELETE',
      headers: { 'X-Api-Key': world.admin.value }
    })
    const out = await post(deps(journal({ step: 'test', newKey: fresh.key })))
    expect(out.revoked).toEqual([])
    expect(out.kept).toEqual([fresh.id])
    expect(active()).toEqual([world.admin.id, fresh.id])
    expect(world.hive.key(fresh.id)!.name).toContain(' stopped ')
    expect(infos.join('\n')).toMatch(/the old key no longer answers/)
  })

  it('keeps it too when the old key’s state is unknown (503), and revokes nothing', async () => {
    const fresh = seedNew()
    world.hive.addFault({ method: 'GET', path: `/api-keys/${world.ci.id}`, status: 503, times: 10 })
    const out = await post(deps(journal({ step: 'test', newKey: fresh.key })))
    expect(out.revoked).toEqual([])
    expect(active()).toEqual([world.admin.id, world.ci.id, fresh.id])
  })

  it('never revokes the admin key, even listed under the run’s own name and mark', async () => {
    const mark = 'run-0123456789'
    const asked = `${KEY_NAME} ${mark} 2026-12-02T10:00:00Z replaces ${world.ci.id}`
    world.hive.tamper({
      method: 'GET',
      path: '/api-keys',
      field: { name: 'name', value: asked, keyId: world.admin.id }
    })
    const out = await post(
      deps(
        journal({ step: 'create', mark, adminKeyId: world.admin.id, createSent: { name: asked } })
      )
    )
    expect(out.revoked).toEqual([])
    expect(active()).toEqual([world.admin.id, world.ci.id])
  })

  it('does what an ended run left to do: a revocation that failed', async () => {
    const fresh = seedNew()
    const out = await post(
      deps(
        journal({
          ended: 'cancelled',
          newKey: fresh.key,
          todo: { revoke: [fresh.id], findCreated: false }
        })
      )
    )
    expect(out.killed).toBe(false)
    expect(out.revoked).toEqual([fresh.id])
    expect(active()).toEqual([world.admin.id, world.ci.id])
  })

  it('does what an ended run left to do: a create whose key came late', async () => {
    const mark = 'run-0123456789'
    const asked = `${KEY_NAME} ${mark} 2026-12-02T10:00:00Z replaces ${world.ci.id}`
    const late = world.hive.seedKey({ name: asked, permission: 'read-only' })
    const out = await post(
      deps(
        journal({
          ended: 'cancelled',
          mark,
          createSent: { name: asked },
          todo: { revoke: [], findCreated: true }
        })
      )
    )
    expect(out.revoked).toEqual([late.id])
    expect(active()).toEqual([world.admin.id, world.ci.id])
  })

  it('an ended run with nothing left to do: nothing is sent to Hive', async () => {
    const fresh = seedNew()
    world.hive.requests.length = 0
    await post(deps(journal({ ended: 'failed', newKey: fresh.key })))
    expect(world.hive.requests).toEqual([])
    expect(active()).toContain(fresh.id)
  })
})

describe('after a killed main step', () => {
  it('revokes a new key no write was sent for; keeps the old and admin keys', async () => {
    const fresh = seedNew()
    const out = await post(deps(journal({ step: 'test', newKey: fresh.key })))
    expect(out.revoked).toEqual([fresh.id])
    expect(active()).toEqual([world.admin.id, world.ci.id])
    expect(infos.join('\n')).toContain(`Revoked key ${fresh.id}`)
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

  it('after a create with no answer, revokes the keys that carry the run’s mark, and no other', async () => {
    const mark = 'run-0123456789'
    const asked = `${KEY_NAME} ${mark} 2026-12-02T10:00:00Z replaces ${world.ci.id}`
    const fresh = world.hive.seedKey({ name: asked, permission: 'read-only' })
    // A run that created in the same second: the same name but for its own mark.
    const twin = world.hive.seedKey({ name: asked.replace(mark, 'run-abcdefabcd') })
    const other = world.hive.seedKey({ name: `${asked} (someone else)` })
    const out = await post(deps(journal({ step: 'create', mark, createSent: { name: asked } })))
    expect(out.revoked).toEqual([fresh.id])
    expect(active()).toEqual([world.admin.id, world.ci.id, twin.id, other.id])
  })

  it('keeps the new key in mode emergency (the old key is revoked), marked stopped', async () => {
    const fresh = seedNew()
    world.hive.options.now = () => new Date()
    await fetch(`${world.hive.url}/api-keys/${world.ci.id}`, {
      method: 'DELETE',
      headers: { 'X-Api-Key': world.admin.value }
    })
    await post(
      deps(journal({ mode: 'emergency', newKey: fresh.key, revoked: [world.ci.id] }), {
        mode: 'emergency'
      })
    )
    expect(active()).toContain(fresh.id)
    expect(world.hive.key(fresh.id)!.name).toBe(
      `${KEY_NAME} 2026-12-02T10:00:00Z stopped ${world.ci.id}`
    )
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
