/**
 * The revocation policy (src/rotation/revocation.ts) on its own, over a Hive client against the
 * emulator: what it revokes, what it keeps, and what it refuses. And a check of the source: no
 * file but the policy (and the journal's pass-through wrapper, and the client that defines it)
 * calls a key service's `revoke`, so the one rule can't be walked around.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { HiveClient } from '../../src/hive/client.js'
import { HiveHttp } from '../../src/hive/http.js'
import {
  RevocationPolicy,
  RevocationRefused,
  type RevocationFacts
} from '../../src/rotation/revocation.js'
import { ROOT } from '../support/run-action.js'
import { startWorld, type World } from '../support/world.js'

let world: World
let client: HiveClient
let waits: number[]

beforeEach(async () => {
  world = await startWorld()
  client = new HiveClient(new HiveHttp({ baseUrl: world.hive.url, sleep: async () => undefined }))
  waits = []
})
afterEach(async () => {
  await world.stop()
})

const KEY_NAME = 'ci-rotation'
const MARK = 'run-0123456789'
const ASKED = () => `${KEY_NAME} ${MARK} 2026-12-06T10:00:00Z replaces ${world.ci.id}`

function policy(over: Partial<RevocationFacts> = {}) {
  return new RevocationPolicy(
    client,
    {
      keyName: KEY_NAME,
      apiKey: world.ci.value,
      oldKeyId: world.ci.id,
      adminKeyId: world.admin.id,
      mark: MARK,
      asked: ASKED(),
      ownIds: new Set(),
      knownIds: new Set([world.ci.id, world.admin.id]),
      ...over
    },
    {
      sleep: async ms => {
        waits.push(ms)
      }
    }
  )
}

const alive = (id: string) => world.hive.activeKeys().some(k => k.id === id)
const revokeByHand = (id: string) => client.revoke(world.admin.value, id)

describe('a key this run made', () => {
  it('is revoked while the old key answers, checked by a fresh request', async () => {
    const fresh = world.hive.seedKey({ name: ASKED(), permission: 'read-only' })
    world.hive.requests.length = 0
    const fate = await policy({ ownIds: new Set([fresh.id]) }).revokeNew(world.admin.value, {
      id: fresh.id
    })
    expect(fate).toEqual({ revoked: true, outcome: 'revoked' })
    expect(alive(fresh.id)).toBe(false)
    // The check went out before the DELETE, asked with the old key itself.
    expect(world.hive.requests.map(r => `${r.method} ${r.path} ${r.presentedKeyId}`)).toEqual([
      `GET /api-keys/${world.ci.id} ${world.ci.id}`,
      `DELETE /api-keys/${fresh.id} ${world.admin.id}`
    ])
  })

  it('is kept when the old key is dead: two of Hive’s own 401s, a moment apart', async () => {
    const fresh = world.hive.seedKey({ name: ASKED() })
    await revokeByHand(world.ci.id)
    const fate = await policy({ ownIds: new Set([fresh.id]) }).revokeNew(world.admin.value, {
      id: fresh.id
    })
    expect(fate).toMatchObject({ revoked: false, why: 'old-dead' })
    expect(alive(fresh.id)).toBe(true)
    expect(waits).toEqual([1_000])
  })

  it('one 401 then 200 is an old key that answers: revoked', async () => {
    const fresh = world.hive.seedKey({ name: ASKED() })
    world.hive.addFault({ method: 'GET', path: `/api-keys/${world.ci.id}`, status: 401 })
    const fate = await policy({ ownIds: new Set([fresh.id]) }).revokeNew(world.admin.value, {
      id: fresh.id
    })
    expect(fate.revoked).toBe(true)
  })

  it.each([
    ['a gateway’s HTML 401 twice', { status: 401, contentType: 'text/html', body: '<h1>401</h1>' }],
    ['503', { status: 503 }]
  ])('%s leaves the old key’s state unknown: kept', async (_name, fault) => {
    const fresh = world.hive.seedKey({ name: ASKED() })
    world.hive.addFault({ method: 'GET', path: `/api-keys/${world.ci.id}`, times: 20, ...fault })
    const fate = await policy({ ownIds: new Set([fresh.id]) }).revokeNew(world.admin.value, {
      id: fresh.id
    })
    expect(fate).toMatchObject({ revoked: false, why: 'old-unknown' })
    expect(alive(fresh.id)).toBe(true)
  })

  it('a recovery has no old key that answers: a new key is never revoked', async () => {
    const fresh = world.hive.seedKey({ name: ASKED() })
    const fate = await policy({
      oldKeyId: undefined,
      ownIds: new Set([fresh.id])
    }).revokeNew(world.admin.value, { id: fresh.id })
    expect(fate).toMatchObject({ revoked: false, why: 'old-dead' })
    expect(alive(fresh.id)).toBe(true)
  })
})

describe('what is not provably this run’s is refused, whatever Hive says', () => {
  it.each([
    ['the admin key', () => ({ id: world.admin.id, name: ASKED() })],
    ['the old key', () => ({ id: world.ci.id, name: ASKED() })],
    [
      'a key of another run that created in the same second',
      () => {
        const twin = world.hive.seedKey({ name: ASKED().replace(MARK, 'run-abcdefabcd') })
        return { id: twin.id, name: world.hive.key(twin.id)!.name }
      }
    ],
    [
      'a key active before the create, shown under the asked name',
      () => {
        const before = world.hive.seedKey({ name: 'someone else’s key' })
        return { id: before.id, name: ASKED(), known: true }
      }
    ],
    [
      'a key named the asked name with more after it',
      () => {
        const k = world.hive.seedKey({ name: `${ASKED()} (someone else)` })
        return { id: k.id, name: world.hive.key(k.id)!.name }
      }
    ]
  ])('%s', async (_name, make) => {
    const key = make() as { id: string; name: string; known?: boolean }
    const p = policy()
    if (key.known) p.facts.knownIds.add(key.id)
    world.hive.requests.length = 0
    await expect(p.revokeNew(world.admin.value, key)).rejects.toThrow(RevocationRefused)
    expect(world.hive.requests.filter(r => r.method === 'DELETE')).toEqual([])
    expect(alive(key.id)).toBe(true)
  })

  it('a key found by this run’s mark, its name cut behind the mark by Hive, is this run’s', async () => {
    const cut = ASKED().slice(0, `${KEY_NAME} ${MARK}`.length + 8)
    const k = world.hive.seedKey({ name: cut })
    const fate = await policy().revokeNew(world.admin.value, { id: k.id, name: cut })
    expect(fate.revoked).toBe(true)
  })

  it('a leftover is never the old, admin or new key', async () => {
    const p = policy({ ownIds: new Set(['key_new']) })
    for (const id of [world.ci.id, world.admin.id, 'key_new']) {
      await expect(p.revokeLeftover(world.admin.value, id)).rejects.toThrow(RevocationRefused)
    }
    expect(alive(world.ci.id)).toBe(true)
    expect(alive(world.admin.id)).toBe(true)
  })

  it('the old key is revoked only as itself, never when it is also the admin key', async () => {
    await expect(
      policy({ adminKeyId: world.ci.id }).revokeOld(world.admin.value, 'retire')
    ).rejects.toThrow(RevocationRefused)
    expect(alive(world.ci.id)).toBe(true)
    const p = policy()
    expect(await p.revokeOld(world.admin.value, 'retire')).toBe('revoked')
    // Revoked by this run on purpose: no new key is revoked after it, without asking Hive.
    expect(await p.oldKeyState()).toMatchObject({ state: 'dead' })
  })
})

describe('the source', () => {
  /** Every .ts file under src/. */
  function sources(dir = join(ROOT, 'src')): string[] {
    return readdirSync(dir).flatMap(name => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : []
    })
  }

  it('calls a key service’s revoke only in the policy (and the journal’s pass-through)', () => {
    const allowed = ['src/rotation/revocation.ts', 'src/rotation/journaled.ts']
    const callers = sources()
      .filter(path => /\.revoke\(/.test(readFileSync(path, 'utf8')))
      .map(path => path.slice(ROOT.length + 1))
    expect(callers.filter(p => !allowed.includes(p))).toEqual([])
    // The check finds what it looks for: the policy itself calls it.
    expect(callers).toContain('src/rotation/revocation.ts')
  })
})
