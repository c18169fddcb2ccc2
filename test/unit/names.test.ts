import { describe, expect, it } from '@jest/globals'
import {
  defaultKeyName,
  isoSeconds,
  KEY_NAME_MAX,
  NAME_MAX,
  newKeyName,
  newRunMark,
  carriesMark,
  compactKeyName,
  stoppedName,
  parseKeyName
} from '../../src/rotation/names.js'
import { findLeftovers, inGrace } from '../../src/rotation/leftovers.js'
import type { HiveKey } from '../../src/hive/types.js'

const ROTATION = 'hive-rotate-key octo/app HIVE_API_KEY'
const NOW = new Date('2026-11-28T12:00:00Z')

function key(
  id: string,
  name: string,
  createdAt: string,
  expiresAt: string | null = null
): HiveKey {
  return {
    id,
    name,
    prefix: `hv_${id.slice(-4)}`,
    permission: 'read-only',
    scope: { type: 'all' },
    created_at: createdAt,
    expires_at: expiresAt,
    last_used_at: null,
    revoked_at: null
  }
}

describe('key names', () => {
  it('name a new key by rotation, time and the key it replaces, and read it back', () => {
    const name = newKeyName(ROTATION, new Date('2026-11-28T11:00:00.123Z'), 'key_old1')
    expect(name).toBe(`${ROTATION} 2026-11-28T11:00:00Z replaces key_old1`)
    expect(parseKeyName(ROTATION, name)).toEqual({
      createdAt: '2026-11-28T11:00:00Z',
      replaces: 'key_old1'
    })
  })

  it('read names made before keys recorded their predecessor', () => {
    expect(parseKeyName(ROTATION, `${ROTATION} 2026-11-28T11:00:00Z`)).toEqual({
      createdAt: '2026-11-28T11:00:00Z'
    })
  })

  it.each([
    ['another rotation whose name starts the same', `x y 2026-11-28T11:00:00Z`, 'x'],
    ['a hand-made key', 'aphids-cli CI (made by hand)', ROTATION],
    ['no timestamp', `${ROTATION} replaces key_1`, ROTATION],
    ['a date without time', `${ROTATION} 2026-11-28`, ROTATION],
    ['trailing words', `${ROTATION} 2026-11-28T11:00:00Z replaces key_1 extra`, ROTATION],
    ['the rotation name alone', ROTATION, ROTATION]
  ])('do not claim %s', (_what, name, rotation) => {
    expect(parseKeyName(rotation, name)).toBeUndefined()
  })

  it('write timestamps to the second', () => {
    expect(isoSeconds(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05Z')
  })
})

describe('default key-name', () => {
  const PRODUCTION = ['env:octo/app/production']
  const STAGING = ['env:octo/app/staging']

  it('ends in a digest of the destinations and the secret name', () => {
    const name = defaultKeyName('octo/app', 'HIVE_API_KEY', PRODUCTION)
    expect(name).toMatch(/^hive-rotate-key octo\/app HIVE_API_KEY [0-9a-f]{8}$/)
    expect(defaultKeyName('octo/app', 'HIVE_API_KEY', STAGING)).not.toBe(name)
    expect(defaultKeyName('octo/app', 'HIVE_API_KEY', [...PRODUCTION, ...STAGING])).not.toBe(name)
  })

  it("keeps two rotations that differ only by destination out of each other's keys", () => {
    const production = defaultKeyName('octo/app', 'HIVE_API_KEY', PRODUCTION)
    const staging = defaultKeyName('octo/app', 'HIVE_API_KEY', STAGING)
    const stagingKey = key('key_stg1', newKeyName(staging, NOW, 'key_hand'), '2026-11-01T00:00:00Z')
    const current = key('key_prd1', newKeyName(production, NOW, 'key_hand'), isoSeconds(NOW))
    expect(parseKeyName(production, stagingKey.name)).toBeUndefined()
    expect(findLeftovers(production, [stagingKey, current], current, undefined, NOW)).toEqual({
      leftovers: [],
      inFlight: undefined
    })
  })

  it('neither claims the keys of the old default name nor is claimed by it', () => {
    const legacy = 'hive-rotate-key octo/app HIVE_API_KEY'
    const current = defaultKeyName('octo/app', 'HIVE_API_KEY', PRODUCTION)
    const at = new Date('2026-11-28T11:00:00Z')
    expect(parseKeyName(current, newKeyName(legacy, at, 'key_1'))).toBeUndefined()
    expect(parseKeyName(legacy, newKeyName(current, at, 'key_1'))).toBeUndefined()
  })

  it('leaves room for the longest suffix: the longest name of a key fits Hive', () => {
    const longestId = 'k'.repeat(64)
    const name = newKeyName('n'.repeat(KEY_NAME_MAX), NOW, longestId, 'run-0123456789')
    expect(name).toHaveLength(NAME_MAX)
    expect(parseKeyName('n'.repeat(KEY_NAME_MAX), name)).toEqual({
      mark: 'run-0123456789',
      createdAt: '2026-11-28T12:00:00Z',
      replaces: longestId
    })
    const long = defaultKeyName(`octo/${'r'.repeat(100)}`, 'S'.repeat(200), PRODUCTION)
    expect(long.length).toBeLessThanOrEqual(KEY_NAME_MAX)
  })
})

describe('the run mark', () => {
  const at = new Date('2026-11-28T11:00:00Z')

  it('is new for every run: runs in the same second ask for different names', () => {
    const marks = new Set(Array.from({ length: 50 }, () => newRunMark()))
    expect(marks.size).toBe(50)
    for (const mark of marks) expect(mark).toMatch(/^run-[0-9a-f]{10}$/)
    const [a, b] = [...marks]
    expect(newKeyName(ROTATION, at, 'key_old1', a)).not.toBe(
      newKeyName(ROTATION, at, 'key_old1', b)
    )
  })

  it('proves a name ours whole, or cut behind the mark; not another run’s, nor one cut inside it', () => {
    const mark = 'run-0123456789'
    const name = newKeyName(ROTATION, at, 'key_old1', mark)
    const head = `${ROTATION} ${mark}`
    expect(carriesMark(ROTATION, mark, name, name)).toBe(true)
    expect(carriesMark(ROTATION, mark, name, name.slice(0, head.length + 5))).toBe(true)
    expect(carriesMark(ROTATION, mark, name, head)).toBe(true)
    expect(carriesMark(ROTATION, mark, name, name.slice(0, head.length - 1))).toBe(false)
    expect(carriesMark(ROTATION, 'run-abcdefabcd', name, name)).toBe(false)
    expect(carriesMark(ROTATION, mark, name, name.replace(mark, 'run-abcdefabcd'))).toBe(false)
    expect(carriesMark(ROTATION, mark, name, `${name} (someone else)`)).toBe(false)
    expect(carriesMark(`${ROTATION} x`, mark, name, name)).toBe(false)
    // A mark that is not one (an empty journal field, say) proves nothing.
    expect(carriesMark(ROTATION, '', `${ROTATION}  2026`, `${ROTATION}  2026`)).toBe(false)
  })

  it('is left out when a key is marked stopped or renamed to its compact record', () => {
    const name = newKeyName(ROTATION, at, 'key_old1', 'run-0123456789')
    expect(stoppedName(ROTATION, name)).toBe(`${ROTATION} 2026-11-28T11:00:00Z stopped key_old1`)
    const compact = compactKeyName(ROTATION, '2026-11-28T11:00:00Z', 'key_old1')
    expect(compact).toBe(`${ROTATION} 2026-11-28T11:00:00Z replaces key_old1`)
    expect(parseKeyName(ROTATION, compact)).toEqual({
      createdAt: '2026-11-28T11:00:00Z',
      replaces: 'key_old1'
    })
  })
})

describe('findLeftovers', () => {
  const hand = key('key_hand', 'aphids-cli CI (made by hand)', '2026-10-01T00:00:00Z')
  const admin = key('key_admin', 'platform admin', '2026-01-01T00:00:00Z')
  const current = key(
    'key_cur1',
    `${ROTATION} 2026-11-20T00:00:00Z replaces key_hand`,
    '2026-11-20T00:00:00Z'
  )

  it('finds other keys of this rotation and the keys recorded as replaced', () => {
    const orphan = key(
      'key_orph',
      `${ROTATION} 2026-11-25T00:00:00Z replaces key_cur1`,
      '2026-11-25T00:00:00Z'
    )
    const other = key('key_othr', `${ROTATION} extra 2026-11-25T00:00:00Z`, '2026-11-25T00:00:00Z')
    const result = findLeftovers(
      ROTATION,
      [admin, hand, current, orphan, other],
      current,
      admin.id,
      NOW
    )
    expect(result.inFlight).toBeUndefined()
    expect(result.leftovers.map(l => [l.key.id, l.why])).toEqual([
      ['key_orph', 'an earlier key of this rotation'],
      ['key_hand', 'replaced by key_cur1']
    ])
  })

  it('follows the predecessor of a leftover, and never returns the current or admin key', () => {
    const handCurrent = key('key_hand', 'made by hand', '2026-10-01T00:00:00Z')
    const orphan = key(
      'key_orph',
      `${ROTATION} 2026-11-25T00:00:00Z replaces key_admin`,
      '2026-11-25T00:00:00Z'
    )
    const older = key('key_oldr', 'by hand, replaced', '2026-09-01T00:00:00Z')
    const orphan2 = key(
      'key_orp2',
      `${ROTATION} 2026-11-01T00:00:00Z replaces key_oldr`,
      '2026-11-01T00:00:00Z'
    )
    const result = findLeftovers(
      ROTATION,
      [admin, older, handCurrent, orphan2, orphan],
      handCurrent,
      admin.id,
      NOW
    )
    expect(result.leftovers.map(l => l.key.id)).toEqual(['key_orp2', 'key_orph', 'key_oldr'])
  })

  it('marks the keys the current key replaced, through earlier keys of this rotation', () => {
    const k2 = key(
      'key_k2',
      `${ROTATION} 2026-11-10T00:00:00Z replaces key_hand`,
      '2026-11-10T00:00:00Z'
    )
    const k3 = key(
      'key_k3',
      `${ROTATION} 2026-11-20T00:00:00Z replaces key_k2`,
      '2026-11-20T00:00:00Z'
    )
    const orphan = key(
      'key_orph',
      `${ROTATION} 2026-11-15T00:00:00Z replaces key_k2`,
      '2026-11-15T00:00:00Z'
    )
    const result = findLeftovers(ROTATION, [admin, hand, k2, orphan, k3], k3, admin.id, NOW)
    expect(result.leftovers.map(l => [l.key.id, l.replacedByCurrent])).toEqual([
      ['key_k2', true],
      ['key_orph', false],
      ['key_hand', true]
    ])
  })

  it('calls a newer key of this rotation younger than 10 minutes a run in flight', () => {
    const young = key(
      'key_yng1',
      `${ROTATION} 2026-11-28T11:55:00Z replaces key_cur1`,
      '2026-11-28T11:55:00Z'
    )
    expect(findLeftovers(ROTATION, [current, young], current, admin.id, NOW).inFlight?.key.id).toBe(
      'key_yng1'
    )
    const later = new Date('2026-11-28T12:05:01Z')
    expect(findLeftovers(ROTATION, [current, young], current, admin.id, later).inFlight).toBe(
      undefined
    )
    // Older than the current key: a key the current one replaced, not a run in flight.
    const cur = key('key_cur2', `${ROTATION} 2026-11-28T11:58:00Z`, '2026-11-28T11:58:00Z')
    expect(findLeftovers(ROTATION, [young, cur], cur, admin.id, NOW).inFlight).toBeUndefined()
  })

  it('treats a key expiring within 24 h as given grace, and no other', () => {
    const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString()
    expect(inGrace(key('a', 'a', '', at(30 * 60_000)), NOW)).toBe(true)
    expect(inGrace(key('a', 'a', '', at(24 * 3_600_000)), NOW)).toBe(true)
    expect(inGrace(key('a', 'a', '', at(24 * 3_600_000 + 1000)), NOW)).toBe(false)
    expect(inGrace(key('a', 'a', '', null), NOW)).toBe(false)
  })
})
