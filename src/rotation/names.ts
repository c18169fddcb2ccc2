/**
 * How a rotation names the keys it creates, and how it recognises them later.
 *
 *   <key-name> <run mark> <UTC timestamp> replaces <id of the key it replaced>
 *   <key-name> <UTC timestamp> replaces <id of the key it replaced>
 *   <key-name> <UTC timestamp> stopped <id of the key it replaced>
 *
 * The first is the name a run asks Hive for. Its run mark (`run-` and 10 random hex digits, new for
 * every run) is what proves a key is this run's own when Hive's answer to the create was lost: a
 * key found by name is revoked only when it carries this run's mark (revocation.ts), so two runs
 * that create in the same second never take each other's key. It stands right after the key-name,
 * so that a Hive that cuts names keeps it. Once the create answered, the id proves the key, and a
 * Hive that cut or altered the name gets the second form, without the mark (compactKeyName).
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
import { createHash, randomBytes } from 'node:crypto'
import type { HiveKey } from '../hive/types.js'

/** Hive's limit on a key's name (hive-api.md). */
export const NAME_MAX = 200
/** The longest key id in Hive's contract: 1-64 characters of [A-Za-z0-9_-]. */
const ID_MAX = 64
/** A run's mark in the names it asks for: `run-` and 10 hex digits. */
const MARK = /^run-[0-9a-f]{10}$/
/** What newKeyName adds to the key-name: " <mark> <UTC timestamp> replaces <id>", at its longest. */
export const SUFFIX_MAX = ' run-0123456789 2026-01-01T00:00:00Z replaces '.length + ID_MAX
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

/** A fresh run mark: one per run, never guessed by another run. */
export function newRunMark(): string {
  return `run-${randomBytes(5).toString('hex')}`
}

/**
 * The name of a key this rotation creates at `now` to replace the key `replaces`; without one (a
 * recovery: the dead key's id can't be read) the name has no 'replaces' part. With `mark`, the
 * run's mark follows the key-name.
 */
export function newKeyName(keyName: string, now: Date, replaces?: string, mark?: string): string {
  const head = mark === undefined ? keyName : `${keyName} ${mark}`
  return replaces === undefined
    ? `${head} ${isoSeconds(now)}`
    : `${head} ${isoSeconds(now)} replaces ${replaces}`
}

/**
 * The same record without the run's mark: what a created key is renamed to when Hive cut or
 * altered the name asked for. Its id proves it is this run's from then on.
 */
export function compactKeyName(keyName: string, createdAt: string, replaces?: string): string {
  return replaces === undefined
    ? `${keyName} ${createdAt}`
    : `${keyName} ${createdAt} replaces ${replaces}`
}

/**
 * True when `name` is the name `asked` that a run of the rotation `keyName` with the mark `mark`
 * asked for, or what a Hive that cuts names kept of it, as long as the mark survived the cut.
 */
export function carriesMark(keyName: string, mark: string, asked: string, name: string): boolean {
  if (!MARK.test(mark)) return false
  const head = `${keyName} ${mark}`
  if (!asked.startsWith(head) || !name.startsWith(head)) return false
  return name === asked || (asked.startsWith(name) && (name === head || name[head.length] === ' '))
}

export interface RotationKeyName {
  /** The run mark in the name, when it carries one (the name a run asked for, unchanged). */
  mark?: string
  /** The timestamp in the name: when the run that made the key created it. */
  createdAt: string
  /** The id of the key it replaced; undefined for names without one (made before 'replaces'). */
  replaces?: string
  /** True when a post step marked it: its run was killed, so it is not a rotation in flight. */
  stopped?: true
}

const SUFFIX =
  /^(?:(run-[0-9a-f]{10}) )?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)(?: (replaces|stopped) (\S+)| (stopped))?$/

/**
 * Parses `name` as a key of the rotation `keyName`; undefined when it is not one. Strict: the
 * rest after `keyName` must be exactly one space, optionally a run mark, a timestamp, and
 * optionally " replaces <id>", so that the rotation "x" does not claim the keys of the rotation
 * "x y".
 */
export function parseKeyName(keyName: string, name: string): RotationKeyName | undefined {
  if (!name.startsWith(`${keyName} `)) return undefined
  const match = SUFFIX.exec(name.slice(keyName.length + 1))
  if (!match) return undefined
  const parsed: RotationKeyName = { createdAt: match[2] }
  if (match[1] !== undefined) parsed.mark = match[1]
  if (match[4] !== undefined) parsed.replaces = match[4]
  if (match[3] === 'stopped' || match[5] !== undefined) parsed.stopped = true
  return parsed
}

/**
 * The name that marks a key of the rotation `keyName` as stopped (its run was killed); undefined
 * when `name` is not a key of that rotation. Marking twice changes nothing. The run mark is left
 * out: a key is marked stopped only once its id is known.
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
