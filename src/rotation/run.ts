/**
 * What the steps of one rotation share (rotate.ts runs them in order): the settings, the two
 * ports, the report, and the facts each step adds for the next. A step reads what the steps
 * before it produced from here and from its arguments; nothing else is passed around.
 */
import type { Settings } from '../settings.js'
import type { CreateKeyRequest, HiveKey, KeyUsage, Permission, Scope } from '../hive/types.js'
import type { KeyService, PreparedDestination } from './ports.js'
import type { RotationReport } from './report.js'
import type { Leftover } from './leftovers.js'
import { describeScope } from './plan.js'
import { isoSeconds } from './names.js'
import { IN_FLIGHT_MS } from './leftovers.js'
import { RotationError, type Log, type RotationDeps } from './steps.js'
import { neverCancelled, type Cancellation } from '../cancel.js'

export interface Run {
  s: Settings
  deps: RotationDeps
  report: RotationReport
  log: Log
  emergency: boolean
  cancellation: Cancellation
  /**
   * The key service of every step but the retire and emergency steps: it refuses to revoke a
   * protected id (the old and admin keys) whatever Hive answered. Those two steps use deps.keys.
   */
  keys: KeyService
  /** The old and admin keys, once the preflight read them. */
  protectedIds: Set<string>
  /** Every key id that existed before the create: a created key must have none of them. */
  knownIds: Set<string>
  /** The create request, the moment before it is sent: a key by that name may exist from then on. */
  asked?: CreateKeyRequest
  /** Destination labels whose write was sent: each may hold the new key. */
  writesSent: string[]
  /** Read-only checks of the destinations that can only warn, still under way (ports.ts). */
  pending: Promise<void>[]
  /** The old key's usage, read while the new key is tested (retire.ts readUsageAhead). */
  usageRead?: Promise<UsageRead>
}

/** The old key's usage and this run's own use of it until then; or why it could not be read. */
export type UsageRead = { usage: KeyUsage | null; ownUse: number } | { error: unknown }

/** What the preflight produced for a rotation that is due. */
export interface Ready {
  /** The key being rotated; absent in a recovery (hive-api-key is dead: preflight.ts). */
  oldKey?: HiveKey
  /** A recovery: hive-api-key answered 401, and this is what Hive said (sanitized). */
  dead?: string
  prepared: PreparedDestination[]
  permission: Permission
  scope: Scope
  /** Leftovers of earlier runs that the prune step revokes. */
  leftovers: Leftover[]
}

/** A rotation with a live old key to retire (every run but a recovery). */
export type Retiring = Ready & { oldKey: HiveKey }

/** What the create step produced: the new key, and its value (masked, in memory only). */
export interface Created {
  value: string
  newKey: HiveKey
}

export function newRun(s: Settings, deps: RotationDeps, report: RotationReport): Run {
  const protectedIds = new Set<string>()
  return {
    s,
    deps,
    report,
    log: deps.log,
    emergency: s.mode === 'emergency',
    cancellation: deps.cancellation ?? neverCancelled(),
    keys: guardRevocations(deps.keys, protectedIds),
    protectedIds,
    knownIds: new Set<string>(),
    writesSent: [],
    pending: []
  }
}

/** The end of every failure message before the store: what is still as it was. */
export function unchanged(run: Run, oldKey: HiveKey | undefined): string {
  if (oldKey === undefined) {
    return 'No destination was written: every destination still holds the dead key. Fix the cause and run again.'
  }
  return run.emergency
    ? `The compromised key ${oldKey.id} stays revoked and no destination was written: every ` +
        'consumer fails until a new key is stored. Fix the cause and run again.'
    : 'The old key and every destination are unchanged.'
}

/** Revoke a key this run made; any id that existed before the create is refused. */
export async function revokeOwn(run: Run, id: string) {
  if (run.knownIds.has(id)) {
    throw new RotationError(`Refused to revoke ${id}: it existed before this run.`)
  }
  return run.keys.revoke(run.s.hiveAdminKey, id)
}

/**
 * Once every destination holds the new key, a self-managed rotation does its admin work (prune,
 * retire) with the new key: the old one is on its way out.
 */
export function adminAfterStore(run: Run, created: Created): string {
  return run.s.separateAdminKey ? run.s.hiveAdminKey : created.value
}

export function describeKey(role: string, key: HiveKey) {
  return (
    `${role} ${key.id} (${key.prefix}…), ${key.permission}, ${describeScope(key.scope)}, ` +
    `expires ${key.expires_at ?? 'never'}`
  )
}

/** When a key of this rotation stops counting as a rotation in flight. */
export function inFlightUntil(createdAt: string): string {
  return isoSeconds(new Date(Date.parse(createdAt) + IN_FLIGHT_MS))
}

/**
 * The key service every step but the retire step uses: the same, except that it refuses to
 * revoke a protected id (the old and admin keys), whatever the caller was told by Hive.
 */
function guardRevocations(keys: KeyService, protectedIds: ReadonlySet<string>): KeyService {
  return {
    current: (apiKey, doing) => keys.current(apiKey, doing),
    list: adminKey => keys.list(adminKey),
    create: (adminKey, request) => keys.create(adminKey, request),
    update: (adminKey, id, patch) => keys.update(adminKey, id, patch),
    probe: (apiKey, path) => keys.probe(apiKey, path),
    waitUntilAccepted: (apiKey, path, ms) => keys.waitUntilAccepted(apiKey, path, ms),
    revoke: async (apiKey, id) => {
      if (protectedIds.has(id)) {
        throw new RotationError(
          `Refused to revoke ${id}: it is the key being rotated or the admin key, which only ` +
            'the retire step revokes.'
        )
      }
      return keys.revoke(apiKey, id)
    },
    confirmRevoked: (apiKey, path) => keys.confirmRevoked(apiKey, path),
    usage: (adminKey, id) => keys.usage(adminKey, id),
    sentWith: apiKey => keys.sentWith(apiKey)
  }
}

/**
 * A new key no destination holds is revoked (the test step's safe state, and the store's when no
 * write could land). Never throws: says what it did, or what to do by hand.
 */
export async function revokeUnheldNewKey(run: Run, { newKey }: Created): Promise<string> {
  if (run.report.revokedKeyIds.includes(newKey.id)) return `The new key ${newKey.id} was revoked.`
  try {
    await revokeOwn(run, newKey.id)
    run.report.revokedKeyIds.push(newKey.id)
    return `No destination holds the new key, so it was revoked (${newKey.id}).`
  } catch (error) {
    return (
      `No destination holds the new key; revoking it failed (${(error as Error).message}): ` +
      `revoke ${newKey.id} (${newKey.prefix}…) by hand, or let the post step or the next run do it.`
    )
  }
}
