/**
 * How a rotation names the keys it creates, and how it recognises them later.
 *
 *   <key-name> <UTC timestamp> replaces <id of the key it replaced>
 *   <key-name> <UTC timestamp> stopped <id of the key it replaced>
 *
 * The second form is a key whose run was killed after a write of it may have landed: the post
 * step renames it (stoppedName) so that the next run takes it for a leftover at once, instead of
 * for a rotation still in flight. 'stopped' is shorter than 'replaces', so the name still fits.
 * A key made by a recovery (the current key was dead, its id unknown) has no 'replaces' part, and
 * its stopped form ends in ' stopped'.
 *
 * The name is the only place the Hive contract lets a key carry our own data. It is what lets a
 * run finish what a killed run left: the keys of this rotation are found by their name, and each
 * one names the key it replaced, which may be a key someone made by hand, with any name.
 */
import { createHash } from 'node:crypto'
import type { HiveKey } from '../hive/types.js'

/** Hive's limit on a key's name (hive-api.md). */
export const NAME_MAX = 200
/** The longest key id in Hive's contract: 1-64 characters of [A-Za-z0-9_-]. */
const ID_MAX = 64
/** What newKeyName adds to the key-name: " <UTC timestamp> replaces <id>", at its longest. */
export const SUFFIX_MAX = ' 2026-01-01T00:00:00Z replaces '.length + ID_MAX
/** The longest key-name whose every key name still fits Hive's limit. */
export const KEY_NAME_MAX = NAME_MAX - SUFFIX_MAX

/**
 * The default key-name: `hive-rotate-key <repository> <secret-name> <digest>`, the digest being 8
 * hex characters of the SHA-256 of the repository, the secret name and the sorted destinations
 * (lower case, as GitHub compares them). Two rotations with the same repository and secret name
 * but other destinations (one per environment) get different names, so neither counts the other's
 * keys as its leftovers; the same destinations in another order or case keep the same name. A
 * repository and secret name too long for KEY_NAME_MAX are cut: the digest still tells them apart.
 */
export function defaultKeyName(
  repository: string,
  secretName: string,
  destinations: readonly string[]
): string {
  const labels = [...new Set(destinations.map(d => d.toLowerCase()))].sort()
  const digest = createHash('sha256')
    .update([repository.toLowerCase(), secretName, ...labels].join('\n'))
    .digest('hex')
    .slice(0, 8)
  const room = KEY_NAME_MAX - 'hive-rotate-key  '.length - digest.length - 1
  const readable = `${repository} ${secretName}`.slice(0, room).trimEnd()
  return `hive-rotate-key ${readable} ${digest}`
}

/** ISO-8601 UTC to the second, as Hive writes timestamps. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * The name of a key this rotation creates at `now` to replace the key `replaces`; without one (a
 * recovery: the dead key's id can't be read) the name has no 'replaces' part.
 */
export function newKeyName(keyName: string, now: Date, replaces?: string): string {
  return replaces === undefined
    ? `${keyName} ${isoSeconds(now)}`
    : `${keyName} ${isoSeconds(now)} replaces ${replaces}`
}

export interface RotationKeyName {
  /** The timestamp in the name: when the run that made the key created it. */
  createdAt: string
  /** The id of the key it replaced; undefined for names without one (made before 'replaces'). */
  replaces?: string
  /** True when a post step marked it: its run was killed, so it is not a rotation in flight. */
  stopped?: true
}

const SUFFIX = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)(?: (replaces|stopped) (\S+)| (stopped))?$/

/**
 * Parses `name` as a key of the rotation `keyName`; undefined when it is not one. Strict: the
 * rest after `keyName` must be exactly one space, a timestamp, and optionally " replaces <id>",
 * so that the rotation "x" does not claim the keys of the rotation "x y".
 */
export function parseKeyName(keyName: string, name: string): RotationKeyName | undefined {
  if (!name.startsWith(`${keyName} `)) return undefined
  const match = SUFFIX.exec(name.slice(keyName.length + 1))
  if (!match) return undefined
  const parsed: RotationKeyName = { createdAt: match[1] }
  if (match[3] !== undefined) parsed.replaces = match[3]
  if (match[2] === 'stopped' || match[4] !== undefined) parsed.stopped = true
  return parsed
}

/**
 * The name that marks a key of the rotation `keyName` as stopped (its run was killed); undefined
 * when `name` is not a key of that rotation. Marking twice changes nothing.
 */
export function stoppedName(keyName: string, name: string): string | undefined {
  const parsed = parseKeyName(keyName, name)
  if (!parsed) return undefined
  return parsed.replaces === undefined
    ? `${keyName} ${parsed.createdAt} stopped`
    : `${keyName} ${parsed.createdAt} stopped ${parsed.replaces}`
}

/** True when the key belongs to the rotation `keyName`. */
export function isRotationKey(keyName: string, key: HiveKey): boolean {
  return parseKeyName(keyName, key.name) !== undefined
}
