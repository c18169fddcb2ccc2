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
import { isoSeconds, newRunMark, stoppedName } from './names.js'
import { IN_FLIGHT_MS } from './leftovers.js'
import { warn, type Log, type RotationDeps } from './steps.js'
import { RevocationPolicy, whyKept } from './revocation.js'
import { asDestinationError } from './ports.js'
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

/**
 * A new key that no destination holds, to be given up (its test failed, no write could land, or
 * a signal stopped the run before any write). The revocation policy decides (revocation.ts):
 *
 *   - the old key answers now: the new key is revoked, and everything is as it was;
 *   - the old key is dead (a Hive whose create revokes the old key, say): the new key is the only
 *     live key, so it is kept and stored in every destination that lacks it (unless `store` is
 *     false: every destination refused it already);
 *   - the old key's state is unknown: the new key is kept, renamed stopped so that the next run
 *     prunes it, and left to the post step to revoke once the old key answers.
 *
 * Never throws: returns what it did, for the run's message.
 */
export async function discardUnheld(
  run: Run,
  ready: Ready,
  created: Created,
  { store = true }: { store?: boolean } = {}
): Promise<string> {
  const { newKey } = created
  const { report } = run
  if (report.revokedKeyIds.includes(newKey.id)) return `The new key ${newKey.id} was revoked.`
  let fate
  try {
    fate = await run.revocations.revokeNew(run.s.hiveAdminKey, newKey)
  } catch (error) {
    run.deps.journal?.revokeLater(newKey.id)
    return (
      `No destination holds the new key; revoking it failed (${(error as Error).message}). ` +
      `The post step tries again if the old key still answers; else revoke ${newKey.id} ` +
      `(${newKey.prefix}…) in Hive by hand.`
    )
  }
  if (fate.revoked) {
    report.revokedKeyIds.push(newKey.id)
    return (
      `No destination holds the new key, and the old key answered just now, so the new key ` +
      `${newKey.id} was revoked.`
    )
  }
  if (fate.why === 'old-dead') {
    oldKeyDied(run, created, fate.said)
    const stored = store
      ? ` ${await storeWhereMissing(run, ready, created)}`
      : ' No destination could be written.'
    return `The new key ${newKey.id} (${newKey.prefix}…) was kept: ${whyKept(fate)}.${stored}`
  }
  const renamed = await markStopped(run, created)
  run.deps.journal?.revokeLater(newKey.id)
  return (
    `The new key ${newKey.id} (${newKey.prefix}…) was kept and not stored: ${whyKept(fate)}. ` +
    `The post step revokes it if the old key answers then; ${renamed || 'the next run prunes it'} ` +
    'Every destination still holds the old key.'
  )
}

/**
 * The old key stopped answering during the run: warned once, and the window in which the
 * destinations hold a dead key opens (it closes when every destination holds the new key).
 */
export function oldKeyDied(run: Run, created: Created, said: string) {
  const { report } = run
  if (report.oldKeyDied || !report.oldKey || run.emergency) return
  report.oldKeyDied = { said, from: created.newKey.created_at || isoSeconds(run.deps.now()) }
  warn(
    run.log,
    report,
    `The old key ${report.oldKey.id} (${report.oldKey.prefix}…) no longer answers (${said}): ` +
      'Hive revoked it when it made the new key (as its Generate button does), or it expired. ' +
      'Every consumer holding it fails until it holds the new key, so the new key is kept and ' +
      'stored at once, and never revoked in this run.'
  )
}

/**
 * Writes the new key into every destination that does not hold it yet (the only live key: the
 * old key is dead). Used by the test step and the clean-up; never throws.
 */
export async function storeWhereMissing(run: Run, ready: Ready, created: Created): Promise<string> {
  const { s, report, deps } = run
  await Promise.all(run.pending)
  const held: string[] = []
  const failed: string[] = []
  for (const p of ready.prepared) {
    const label = p.destination.label
    const record = report.destinations.find(d => d.destination === label)
    if (record && (record.status === 'created' || record.status === 'updated')) continue
    try {
      if (!run.writesSent.includes(label)) run.writesSent.push(label)
      const status = await deps.secrets.write(p, s.secretName, created.value)
      if (record) {
        record.status = status
        record.detail = `${s.secretName} ${status}: the only live key`
      }
      held.push(label)
    } catch (error) {
      const e = asDestinationError(error)
      if (record) {
        record.status = e.unconfirmed ? 'not confirmed' : 'failed'
        record.detail = e.message
      }
      failed.push(`${label}: ${e.message}`)
    }
  }
  const all = report.destinations.every(d => d.status === 'created' || d.status === 'updated')
  if (all) {
    report.rotated = true
    if (report.oldKeyDied) report.oldKeyDied.to = isoSeconds(deps.now())
  }
  return (
    `Stored it in ${held.length} destination(s)${held.length ? ` (${held.join(', ')})` : ''}` +
    (failed.length
      ? `; ${failed.length} failed, and hold a dead key until a run stores the new key ` +
        `there:\n${failed.map(f => `  - ${f}`).join('\n')}`
      : all
        ? '; every destination holds it now.'
        : '.')
  )
}

/**
 * Renames a new key that must stay (a write may have landed, or it could not be revoked) to the
 * stopped form of its name, so that the next run, started at once, takes it for a leftover of a
 * stopped run instead of a run in flight (names.ts). The post step does the same after a kill.
 * Returns a sentence, or '' when there was nothing to rename.
 */
export async function markStopped(run: Run, { newKey }: Created): Promise<string> {
  const renamed = stoppedName(run.s.keyName, newKey.name)
  if (renamed === undefined || renamed === newKey.name) return ''
  try {
    await run.keys.update(run.s.hiveAdminKey, newKey.id, { name: renamed })
    return `the new key was renamed "${renamed}", so the next run can start at once and prunes it.`
  } catch (error) {
    return (
      `renaming the new key to mark it stopped failed (${(error as Error).message}): a run ` +
      `given the old key before ${inFlightUntil(newKey.created_at || isoSeconds(run.deps.now()))} ` +
      'stops, taking the new key for a rotation in flight.'
    )
  }
}
