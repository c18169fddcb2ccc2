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
import { isoSeconds, newRunMark } from './names.js'
import { IN_FLIGHT_MS } from './leftovers.js'
import type { Log, RotationDeps } from './steps.js'
import { RevocationPolicy } from './revocation.js'
import { neverCancelled, type Cancellation } from '../cancel.js'

export interface Run {
  s: Settings
  deps: RotationDeps
  report: RotationReport
  log: Log
  emergency: boolean
  cancellation: Cancellation
  /**
   * The key service of every step, without `revoke`: every revocation goes through
   * `revocations` (revocation.ts), the one policy of what may be revoked.
   */
  keys: Omit<KeyService, 'revoke'>
  revocations: RevocationPolicy
  /** This run's mark, in the name it asks for (names.ts): proof that a key found by name is ours. */
  mark: string
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
  /**
   * What the new key's name says it replaces (names.ts): the old key's id, or in a recovery
   * `prefix:<the dead key's prefix>`, so that a later run that finds that key alive retires it.
   */
  replaces: string
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
  const cancellation = deps.cancellation ?? neverCancelled()
  const knownIds = new Set<string>()
  const mark = newRunMark()
  deps.journal?.mark(mark)
  return {
    s,
    deps,
    report,
    log: deps.log,
    emergency: s.mode === 'emergency',
    cancellation,
    keys: withoutRevoke(deps.keys),
    revocations: new RevocationPolicy(
      deps.keys,
      { keyName: s.keyName, apiKey: s.hiveApiKey, mark, ownIds: new Set(), knownIds },
      { sleep: deps.sleep ?? (ms => cancellation.sleep(ms)), debug: deps.log.debug }
    ),
    mark,
    knownIds,
    writesSent: [],
    pending: []
  }
}

/**
 * The end of every failure message before the store: what is still as it was. "The old key is
 * unchanged" is said only when a fresh request just found it answering.
 */
export function unchanged(run: Run, oldKey: HiveKey | undefined): string {
  if (oldKey === undefined) {
    return 'No destination was written: every destination still holds the dead key. Fix the cause and run again.'
  }
  if (run.emergency) {
    return (
      `The compromised key ${oldKey.id} stays revoked and no destination was written: every ` +
      'consumer fails until a new key is stored. Fix the cause and run again.'
    )
  }
  const check = run.revocations.lastCheck
  if (check?.state === 'answers') {
    return 'The old key answered just now, and every destination still holds it: nothing else changed.'
  }
  if (check?.state === 'dead') {
    return (
      `The old key ${oldKey.id} no longer answers (${check.said}), and no destination was ` +
      'written: every destination holds a dead key. Run again with hive-admin-key, permission ' +
      'and scope set: the run then recovers (creates, tests and stores a new key).'
    )
  }
  return 'No destination was written.'
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

/** The key service without `revoke`: the steps revoke only through the revocation policy. */
function withoutRevoke(keys: KeyService): Omit<KeyService, 'revoke'> {
  return {
    current: (apiKey, doing) => keys.current(apiKey, doing),
    get: (apiKey, id) => keys.get(apiKey, id),
    list: adminKey => keys.list(adminKey),
    create: (adminKey, request) => keys.create(adminKey, request),
    update: (adminKey, id, patch) => keys.update(adminKey, id, patch),
    probe: (apiKey, path) => keys.probe(apiKey, path),
    waitUntilAccepted: (apiKey, path, ms) => keys.waitUntilAccepted(apiKey, path, ms),
    confirmRevoked: (apiKey, path) => keys.confirmRevoked(apiKey, path),
    usage: (adminKey, id) => keys.usage(adminKey, id),
    sentWith: apiKey => keys.sentWith(apiKey)
  }
}

/** When a key of this rotation stops counting as a rotation in flight. */
export function inFlightUntil(createdAt: string): string {
  return isoSeconds(new Date(Date.parse(createdAt) + IN_FLIGHT_MS))
}
