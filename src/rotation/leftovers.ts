/**
 * What earlier runs of this rotation left behind, decided in the preflight from one listing of
 * Hive's active keys (invariant 4: the next run converges).
 *
 * A leftover is an active key that no destination should hold once this run has stored its new
 * key everywhere: another key of this rotation (a run killed after creating its key, or after
 * storing it but before retiring the old one), or the recorded predecessor of the current key or
 * of such a key (the key it replaced, which may have been made by hand, with any name). They are
 * revoked only after the store step, when every destination holds the new key.
 */
import type { HiveKey } from '../hive/types.js'
import { parseKeyName } from './names.js'
import { MAX_GRACE_MINUTES } from '../settings.js'

/** A key of this rotation created this recently, after the current key, is a run in flight. */
export const IN_FLIGHT_MS = 10 * 60_000
/**
 * The longest grace a run gives an old key (old-key-grace-minutes: at most 1440). A leftover that
 * expires within this window was given grace by an earlier run: it is left to expire.
 */
export const MAX_GRACE_MS = MAX_GRACE_MINUTES * 60_000

export interface Leftover {
  key: HiveKey
  /** Why it is one, in words: 'an earlier key of this rotation' or 'replaced by key_x'. */
  why: string
  /**
   * True when the current key replaced it, directly or through earlier keys of this rotation:
   * an old key an earlier run retired by keeping it (revoke-old: false), or did not retire yet.
   */
  replacedByCurrent: boolean
}

export interface Leftovers {
  leftovers: Leftover[]
  /**
   * A key of this rotation not older than the current key (any, in a recovery) and younger than
   * IN_FLIGHT_MS, not marked stopped.
   */
  inFlight?: { key: HiveKey; createdAt: string }
}

/**
 * Sorts the active keys. Never returns the current key or the admin key as a leftover: the
 * current key is retired by the retire step, as the user asked (revoke, grace or keep).
 */
export function findLeftovers(
  keyName: string,
  active: HiveKey[],
  current: HiveKey | undefined,
  adminKeyId: string | undefined,
  now: Date
): Leftovers {
  // No current key: a recovery (hive-api-key is dead); every key of this rotation is a leftover.
  const spared = new Set([current?.id, adminKeyId])
  const byId = new Map(active.map(k => [k.id, k]))
  const found = new Map<string, Omit<Leftover, 'replacedByCurrent'>>()
  const predecessors: [string, string][] = []

  const own = current ? parseKeyName(keyName, current.name) : undefined
  if (own?.replaces && current) predecessors.push([own.replaces, current.id])
  let inFlight: Leftovers['inFlight']
  for (const key of active) {
    const parsed = parseKeyName(keyName, key.name)
    if (!parsed || spared.has(key.id)) continue
    found.set(key.id, { key, why: 'an earlier key of this rotation' })
    if (parsed.replaces) predecessors.push([parsed.replaces, key.id])
    const createdAt = key.created_at || parsed.createdAt
    const created = Date.parse(createdAt)
    const newer = current === undefined || created >= Date.parse(current.created_at)
    // A key a post step marked stopped: its run was killed, so nothing is in flight.
    const live = newer && !parsed.stopped && now.getTime() - created < IN_FLIGHT_MS
    if (live && !inFlight) inFlight = { key, createdAt }
  }
  for (const [named, successor] of predecessors) {
    const id = resolvePrefix(named, active, byId.get(successor))
    if (id === undefined) continue
    const key = byId.get(id)
    if (key && !spared.has(id) && !found.has(id)) {
      found.set(id, { key, why: `replaced by ${successor}` })
    }
  }
  // The keys the current key replaced, following the 'replaces' of each key of this rotation.
  const chain = new Set<string>()
  for (let id = own?.replaces; id !== undefined && !chain.has(id);) {
    chain.add(id)
    const key = byId.get(id)
    id = key ? parseKeyName(keyName, key.name)?.replaces : undefined
  }
  const leftovers = [...found.values()].map(l => ({ ...l, replacedByCurrent: chain.has(l.key.id) }))
  return { leftovers, inFlight }
}

/**
 * A predecessor named by id, or by `prefix:<prefix>` (a recovery's record of a key whose id it
 * could not read): the one active key with exactly that prefix, created before its successor.
 * Two or more such keys name none: a prefix is short, and a wrong key must never be taken.
 *
 * Why a prefix is enough here: the recovery that wrote it had confirmed that no active key had
 * that prefix (preflight.ts, deadOrListed), so a key matching it now was either created after
 * the successor (refused above) or inactive then and active again since: the dead key itself,
 * revived (a Hive glitch, an expiry lengthened). Any other key sharing the prefix would have
 * had to be revived in the same way.
 */
function resolvePrefix(
  named: string,
  active: HiveKey[],
  successor: HiveKey | undefined
): string | undefined {
  if (!named.startsWith('prefix:')) return named
  const prefix = named.slice('prefix:'.length)
  const before = successor ? Date.parse(successor.created_at) : Infinity
  const found = active.filter(k => k.prefix === prefix && Date.parse(k.created_at) < before)
  return found.length === 1 ? found[0].id : undefined
}

/**
 * True when the key expires within MAX_GRACE_MS from now: an earlier run gave it grace (or it is
 * about to expire anyway), so jobs may still be finishing with it and Hive will end it itself.
 */
export function inGrace(key: HiveKey, now: Date): boolean {
  if (key.expires_at === null) return false
  const expires = Date.parse(key.expires_at)
  return expires > now.getTime() && expires <= now.getTime() + MAX_GRACE_MS
}
