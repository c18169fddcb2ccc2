/**
 * The rotation, in the order of shared/design/action.md:
 *
 *   1. validate   (settings.ts, before this file runs)
 *   2. preflight  read-only: the current key, the admin key, the active keys (leftovers of earlier
 *                 runs, a run in flight), whether a rotation is due, every destination's public key
 *      emergency  (mode emergency only) the compromised current key is revoked first
 *   3. create     the new key; masked the moment it exists
 *   4. test       the new key answers the verify path and is what was asked for, or it is revoked
 *   5. store      sealed into every destination; on any failure nothing old is revoked
 *   6. prune      leftovers of earlier interrupted runs, now that every destination holds one key
 *                 (before the retire step: the old key's name may be the only record of a leftover)
 *   7. retire     the old key, only now: revoked and confirmed dead, given a grace period, or kept
 *   8. report     (main.ts, from the RotationReport filled in here)
 *
 * mode check is check.ts; the leftovers are found in leftovers.ts and pruned in prune.ts.
 * Everything talks to Hive and GitHub only through the two ports, KeyService and SecretStore.
 */
import type { Settings } from '../settings.js'
import type { CreateKeyRequest, HiveKey, NewHiveKey, Permission, Scope } from '../hive/types.js'
import type { KeyService, PreparedDestination, SecretStore } from './ports.js'
import { DestinationError } from './ports.js'
import type { DestinationRecord, RotationReport } from './report.js'
import { describePlan, describeScope } from './plan.js'
import { findLeftovers, inGrace, IN_FLIGHT_MS, type Leftover } from './leftovers.js'
import { pruneLeftovers, recordLeftovers } from './prune.js'
import { isoSeconds, newKeyName } from './names.js'
import { checkKey } from './check.js'
import { RotationError, skipSteps, stepRunner, warn, type Log, type RotationDeps } from './steps.js'
import { sanitize } from '../text.js'

export { RotationError, type Log, type RotationDeps }

/**
 * How many destinations are prepared at once (reads only; writes go one at a time). Octokit's
 * throttling plugin lets at most 10 requests run at once anyway, far below GitHub's 100.
 */
const READ_CONCURRENCY = 10
const DAY_MS = 86_400_000
/** How far the expiry Hive grants may be from the one asked (Hive may round it). */
const EXPIRY_TOLERANCE_MS = 60_000

const AFTER_PREFLIGHT = [
  'Create the new key',
  'Test the new key',
  'Store the new key',
  'Prune leftovers',
  'Retire the old key'
]

export async function rotate(s: Settings, deps: RotationDeps, report: RotationReport) {
  if (s.mode === 'check') return checkKey(s, deps, report)
  const { secrets, log } = deps
  const step = stepRunner(log, report, deps.journal)
  const emergency = s.mode === 'emergency'
  /**
   * The old and admin keys: revoked by the retire step (or the emergency step) alone, which use
   * deps.keys. Every other path gets `keys`, which refuses to revoke them whatever Hive answers.
   */
  const protectedIds = new Set<string>()
  const keys = guardRevocations(deps.keys, protectedIds)
  /** Every key id that existed before the create: a created key must have none of them. */
  const knownIds = new Set<string>()

  // 2. Preflight: read-only. Anything wrong here fails the run before anything changes.
  const pre = await step<Preflight>('Preflight', async () => {
    const oldKey = await readCurrentKey()
    report.oldKey = oldKey
    deps.journal?.oldKey(oldKey)
    let admin = oldKey
    if (s.separateAdminKey) {
      admin = await keys.current(s.hiveAdminKey, 'reading the admin key (hive-admin-key)')
      report.adminKey = admin
    }
    for (const id of [oldKey.id, admin.id]) {
      protectedIds.add(id)
      knownIds.add(id)
    }
    const permission = s.permission === 'inherit' ? oldKey.permission : s.permission
    const scope = s.scope === 'inherit' ? oldKey.scope : s.scope
    checkAdmin(s, admin, permission, scope)

    const now = deps.now()
    const active = await keys.list(s.hiveAdminKey)
    for (const key of active) knownIds.add(key.id)
    const found = findLeftovers(s.keyName, active, oldKey, admin.id, now)
    if (found.inFlight) throw inFlightError(found.inFlight, emergency)
    // Expected, and left alone: a key given grace by an earlier run (Hive ends it), and with
    // revoke-old: false the old keys the current key replaced (kept on purpose).
    const spared = (l: Leftover) =>
      inGrace(l.key, now)
        ? ('left to expire' as const)
        : !s.revokeOld && l.replacedByCurrent
          ? ('kept (revoke-old: false)' as const)
          : undefined
    const leftovers = found.leftovers.filter(l => !spared(l))
    recordLeftovers(s, deps.log, report, found.leftovers, spared)
    const due = isDue(oldKey, leftovers, now)
    report.due = due.why
    if (!due.due) {
      return {
        result: { due: false },
        detail: `${describeKey('Current key', oldKey)}. Not due: ${due.why}.`
      }
    }
    const prepared = await prepareAll(s, secrets, report.destinations)
    report.plan = describePlan(s, oldKey, permission, scope, leftovers)
    return {
      result: { due: true, oldKey, prepared, permission, scope, leftovers },
      detail:
        `${describeKey('Current key', oldKey)}; ${prepared.length} destination(s) ready; ` +
        `${leftovers.length} leftover key(s). Due: ${due.why}.`
    }
  })

  if (!pre.due) return skipSteps(report, AFTER_PREFLIGHT, 'not due')
  const { oldKey, prepared, permission, scope, leftovers } = pre
  if (s.dryRun) {
    log.info(
      `Dry run: nothing was changed. The plan:\n${report.plan.map(l => `  - ${l}`).join('\n')}`
    )
    const skipped = emergency ? ['Revoke the compromised key', ...AFTER_PREFLIGHT] : AFTER_PREFLIGHT
    return skipSteps(report, skipped, 'dry-run')
  }

  // Emergency: the current key is compromised, so it dies first, before its successor exists.
  if (emergency) {
    await step('Revoke the compromised key', async () => {
      warn(
        log,
        report,
        `EMERGENCY: revoking the compromised key ${oldKey.id} (${oldKey.prefix}…) now. Every ` +
          `consumer that holds it fails until the new key is stored in every destination.`
      )
      await noteOutsideUse('is revoked now')
      await retireByRevoking(s.hiveAdminKey)
      return {
        result: undefined,
        detail: `Revoked the compromised key ${oldKey.id} (${oldKey.prefix}…); it answers 401.`
      }
    })
  }

  const unchanged = emergency
    ? `The compromised key ${oldKey.id} stays revoked and no destination was written: every ` +
      'consumer fails until a new key is stored. Fix the cause and run again.'
    : 'The old key and every destination are unchanged.'

  // 3. Create. The value is masked before anything else happens, and lives only in `value`.
  //    Hive's answer is checked before it is used: a key that is not new, or not what was asked
  //    for, is a protocol error, and only a key this run provably made is revoked because of it.
  const { value, newKey } = await step('Create the new key', async () => {
    const now = deps.now()
    const asked: CreateKeyRequest = {
      name: newKeyName(s.keyName, now, oldKey.id),
      permission,
      scope,
      expires_at: isoSeconds(new Date(now.getTime() + s.expiresInDays * DAY_MS))
    }
    let created: NewHiveKey
    try {
      created = await keys.create(s.hiveAdminKey, asked)
    } catch (error) {
      // An answer that broke the contract, or none (a timeout, a 5xx): Hive may have made the
      // key all the same. A definite refusal (4xx) made nothing.
      const { kind, status } = error as { kind?: string; status?: number }
      const refused = kind === 'status' && status !== undefined && status < 500
      if (refused || !['invalid-response', 'status', 'timeout', 'network'].includes(kind ?? '')) {
        throw error
      }
      return refuseCreated((error as Error).message, asked.name, {
        protocol: kind === 'invalid-response'
      })
    }
    deps.mask(created.key)
    const problem = createdProblem(created, asked)
    if (problem) {
      return refuseCreated(
        `Hive's answer to the create is not the key that was asked for: ${problem}.`,
        asked.name
      )
    }
    const { key: value, ...newKey } = created
    report.newKey = newKey
    // Only now, checked: the post step revokes a journaled new key no write was sent for, so a
    // hostile answer naming the old or admin key must never reach the journal.
    deps.journal?.newKey(newKey)
    return {
      result: { value, newKey: newKey as HiveKey },
      detail:
        `Created ${newKey.id} (${newKey.prefix}…) "${sanitize(newKey.name)}", ` +
        `${newKey.permission}, ${describeScope(newKey.scope)}, expires ${newKey.expires_at}.`
    }
  })

  /** Why Hive's answer to the create can't be the key asked for; '' when it can. */
  function createdProblem(created: NewHiveKey, asked: CreateKeyRequest): string {
    if (knownIds.has(created.id)) {
      return `its id ${created.id} is that of ${knownRole(created.id)}, not a new key`
    }
    if (created.key === s.hiveApiKey) return 'its value is that of hive-api-key, not a new key'
    if (created.key === s.hiveAdminKey) return 'its value is that of hive-admin-key, not a new key'
    if (created.prefix.length >= created.key.length || !created.key.startsWith(created.prefix)) {
      return 'its prefix is not the start of its value'
    }
    if (created.permission !== asked.permission) {
      return `its permission is ${created.permission}, not ${asked.permission}`
    }
    if (!sameScope(created.scope, asked.scope)) {
      return `it has ${describeScope(created.scope)}, not ${describeScope(asked.scope)}`
    }
    if (!sameExpiry(created.expires_at, asked.expires_at)) {
      return `it expires ${created.expires_at ?? 'never'}, not ${asked.expires_at}`
    }
    return ''
  }

  function knownRole(id: string): string {
    if (id === oldKey.id) return 'the key being rotated (hive-api-key)'
    if (protectedIds.has(id)) return 'the admin key (hive-admin-key)'
    return 'a key that was active before this run'
  }

  /**
   * A create answer that can't be used (or none came): revoke what this run provably made, and
   * fail. Provably made: an active key that carries the exact name this run asked for and that no
   * key before the create had. The answered id alone proves nothing (a key made by someone else
   * between the preflight's listing and the create would also be "new"), so it is never revoked
   * on its own word; the key Hive really made is found by its name, whatever the answer said.
   */
  async function refuseCreated(
    reason: string,
    name: string,
    { protocol = true } = {}
  ): Promise<never> {
    const revoked: string[] = []
    const failed: string[] = []
    const revoke = async (id: string) => {
      if (knownIds.has(id) || revoked.includes(id) || failed.includes(id)) return
      try {
        if ((await revokeOwn(id)) === 'revoked') {
          revoked.push(id)
          report.revokedKeyIds.push(id)
        }
      } catch (error) {
        failed.push(`${id} (${(error as Error).message})`)
      }
    }
    let search = ''
    try {
      const named = (await keys.list(s.hiveAdminKey)).filter(k => k.name === name)
      for (const key of named) await revoke(key.id)
    } catch (error) {
      search =
        ` Looking for the key Hive made also failed (${(error as Error).message}): revoke by ` +
        `hand any key named "${name}".`
    }
    const outcome =
      (revoked.length > 0
        ? ` Revoked the key(s) this run made: ${revoked.join(', ')}.`
        : search
          ? ''
          : ` No active key is named "${name}"; one that Hive may still be making is a ` +
            'leftover the next run prunes.') +
      (failed.length > 0 ? ` Revoking failed for ${failed.join('; ')}: revoke by hand.` : '') +
      search
    const used = protocol
      ? ' This is a protocol error: the answer was not used and nothing was stored.'
      : ' Nothing was stored.'
    throw new RotationError(`${reason}${used}${outcome} ${unchanged}`)
  }

  /** Revoke a key this run made; any id that existed before the create is refused. */
  async function revokeOwn(id: string) {
    if (knownIds.has(id)) {
      throw new RotationError(`Refused to revoke ${id}: it existed before this run.`)
    }
    return keys.revoke(s.hiveAdminKey, id)
  }

  /**
   * Once every destination holds the new key, a self-managed rotation does its admin work (prune,
   * retire) with the new key: the old one is on its way out.
   */
  const adminAfterStore = s.separateAdminKey ? s.hiveAdminKey : value

  // 4. Test. A new key that fails is revoked, and nothing else has changed.
  await step('Test the new key', async () => {
    try {
      return await testNewKey()
    } catch (error) {
      if (error instanceof RotationError) throw error
      return discardNewKey(`Testing the new key failed: ${(error as Error).message}`)
    }
  })

  async function testNewKey() {
    const verify = await keys.waitUntilAccepted(value, s.verifyPath, s.verifyTimeoutSeconds * 1000)
    if (!verify.accepted) {
      const why =
        verify.status === 403
          ? `it lacks the permission or scope to read ${s.verifyPath} (403)`
          : `${s.verifyPath} still answered ${verify.status} after ${verify.attempts} attempt(s) ` +
            `over ${Math.round(verify.elapsedMs / 1000)} s (verify-timeout-seconds: ` +
            `${s.verifyTimeoutSeconds})`
      await discardNewKey(`The new key failed its test: ${why}.`)
    }
    const seen = await keys.current(value, 'reading the new key back')
    const mismatch =
      seen.id !== newKey.id
        ? `Hive reports it as ${seen.id}, not ${newKey.id}`
        : seen.permission !== permission
          ? `its permission is ${seen.permission}, not ${permission}`
          : !sameScope(seen.scope, scope)
            ? `it has ${describeScope(seen.scope)}, not ${describeScope(scope)}`
            : !sameExpiry(seen.expires_at, newKey.expires_at)
              ? `it expires ${seen.expires_at ?? 'never'}, not ${newKey.expires_at ?? 'never'}`
              : ''
    if (mismatch) await discardNewKey(`The new key is not what was asked for: ${mismatch}.`)
    return {
      result: undefined,
      detail:
        `${s.verifyPath} accepted the new key after ${verify.attempts} attempt(s) ` +
        `(${verify.elapsedMs} ms); Hive confirms ${permission}, ${describeScope(scope)}.`
    }
  }

  /** Revoke the new key (no destination holds it) and fail the run. */
  async function discardNewKey(reason: string): Promise<never> {
    try {
      await revokeOwn(newKey.id)
      report.revokedKeyIds.push(newKey.id)
    } catch (error) {
      throw new RotationError(
        `${reason} Revoking it also failed (${(error as Error).message}): revoke key ` +
          `${newKey.id} (${newKey.prefix}…) by hand. ${unchanged}`
      )
    }
    throw new RotationError(`${reason} The new key ${newKey.id} was revoked. ${unchanged}`)
  }

  // 5. Store, one destination at a time. Until every write is confirmed, nothing is revoked.
  await step('Store the new key', async () => {
    const failures: { record: DestinationRecord; error: DestinationError }[] = []
    for (const p of prepared) {
      const record = report.destinations.find(d => d.destination === p.destination.label)!
      try {
        record.status = await secrets.write(p, s.secretName, value)
        // The store confirmed it: GitHub shows the secret changed since the preflight.
        record.detail =
          `${s.secretName} ${record.status}` + (p.secret.exists ? '' : ' (did not exist)')
        log.info(`${p.destination.label}: ${record.detail}, confirmed`)
      } catch (error) {
        const e = asDestinationError(error)
        record.status = e.unconfirmed ? 'not confirmed' : 'failed'
        record.detail = e.message
        failures.push({ record, error: e })
        log.warning(`${p.destination.label}: ${e.message}`)
      }
    }
    if (failures.length > 0) {
      const noneHolds = failures.length === prepared.length && failures.every(f => f.error.definite)
      let outcome: string
      // In an emergency the new key is the only live one: keep it even if nobody holds it yet.
      if (noneHolds && !emergency) {
        try {
          await keys.revoke(s.hiveAdminKey, newKey.id)
          report.revokedKeyIds.push(newKey.id)
          outcome = `No destination holds the new key, so it was revoked (${newKey.id}).`
        } catch (error) {
          outcome =
            `No destination holds the new key; revoking it failed (${(error as Error).message}), ` +
            `so revoke ${newKey.id} (${newKey.prefix}…) by hand.`
        }
      } else {
        outcome = noneHolds
          ? `No destination holds the new key ${newKey.id}; it stays active, the only live key ` +
            'of this rotation, for the next run to store.'
          : `The new key ${newKey.id} stays active: some destinations hold it or may hold it.`
      }
      const old = emergency
        ? `The compromised key ${oldKey.id} is revoked, so the destinations not written hold a ` +
          'dead key until a run stores the new one. Fix the cause and run again with mode: ' +
          'rotate, hive-api-key read from a destination that holds the new key.'
        : `The old key ${oldKey.id} was not revoked, so every destination still holds a key that ` +
          'works. Fix the cause and run again' +
          (report.revokedKeyIds.includes(newKey.id)
            ? '.'
            : ` (a run given the old key before ${inFlightUntil(newKey.created_at || isoSeconds(deps.now()))} stops, taking the new ` +
              'key for a rotation in flight).')
      throw new RotationError(
        `${failures.length} of ${prepared.length} destination(s) could not be written. ${outcome} ` +
          `${old}\n` +
          failures.map(f => `  - ${f.record.destination}: ${f.error.message}`).join('\n')
      )
    }
    report.rotated = true
    if (emergency) {
      warn(
        log,
        report,
        `EMERGENCY: consumers holding the compromised key failed from its revocation until this ` +
          `store completed; every destination now holds the new key ${newKey.id}.`
      )
    }
    return {
      result: undefined,
      detail: `${s.secretName} written to ${prepared.length} destination(s).`
    }
  })

  // 6. Prune: every destination holds the new key, so the leftovers of earlier runs can go. Before
  //    the old key is retired: its name may be the only record of a key it replaced, and a run
  //    stopped between revoking it and pruning would lose that record for good.
  await step('Prune leftovers', async () => ({
    result: undefined,
    detail: await pruneLeftovers(s, { ...deps, keys }, report, leftovers, {
      adminKey: adminAfterStore,
      never: [newKey.id, oldKey.id]
    })
  }))

  // 7. Retire the old key: only now, with every destination holding the new one.
  await step('Retire the old key', async () => {
    if (emergency) {
      return {
        result: undefined,
        detail: `The compromised key ${oldKey.id} was revoked before the new key was created.`
      }
    }
    if (!s.revokeOld) {
      report.retired = 'kept'
      return {
        result: undefined,
        detail: `Kept the old key ${oldKey.id} (revoke-old: false); it expires ${oldKey.expires_at ?? 'never'}.`
      }
    }
    if (s.oldKeyGraceMinutes > 0) {
      await noteOutsideUse(`expires in ${s.oldKeyGraceMinutes} minute(s)`)
      return { result: undefined, detail: await giveGrace() }
    }
    await noteOutsideUse('is revoked now')
    const outcome = await retireByRevoking(adminAfterStore)
    return {
      result: undefined,
      detail:
        (outcome === 'revoked'
          ? `Revoked the old key ${oldKey.id} (${oldKey.prefix}…)`
          : `The old key ${oldKey.id} was already revoked`) + `; it now answers 401.`
    }
  })

  /** Revoke the old key and check that Hive refuses it now. The one revocation of the old key. */
  async function retireByRevoking(adminKey: string) {
    const outcome = await deps.keys.revoke(adminKey, oldKey.id)
    report.revokedKeyIds.push(oldKey.id)
    report.retired = 'revoked'
    if (!(await keys.confirmRevoked(s.hiveApiKey, s.verifyPath))) {
      throw new RotationError(
        `Hive answered that the old key ${oldKey.id} was revoked, but ${s.verifyPath} still ` +
          `accepts it. ` +
          (emergency
            ? 'Nothing else was changed: revoke it in Hive by hand, check that it answers 401, ' +
              'and run again.'
            : `Every destination holds the new key; revoke ${oldKey.id} (${oldKey.prefix}…) in ` +
              'Hive and check it answers 401.')
      )
    }
    return outcome
  }

  /** Shorten the old key's expiry to now + grace (never lengthen it): Hive ends it itself. */
  async function giveGrace(): Promise<string> {
    const until = new Date(deps.now().getTime() + s.oldKeyGraceMinutes * 60_000)
    report.retired = 'grace'
    if (oldKey.expires_at !== null && Date.parse(oldKey.expires_at) <= until.getTime()) {
      return `The old key ${oldKey.id} already expires at ${oldKey.expires_at}, within the grace of ${s.oldKeyGraceMinutes} minute(s); left as it is.`
    }
    const updated = await keys.update(s.hiveAdminKey, oldKey.id, { expires_at: isoSeconds(until) })
    const expires = updated.expires_at === null ? Infinity : Date.parse(updated.expires_at)
    if (!(expires <= until.getTime() + 1000)) {
      throw new RotationError(
        `Hive accepted the new expiry of the old key ${oldKey.id} but reports it expiring ` +
          `${updated.expires_at ?? 'never'}, not ${isoSeconds(until)}. Every destination holds ` +
          `the new key; revoke ${oldKey.id} (${oldKey.prefix}…) in Hive once running jobs are done.`
      )
    }
    report.oldKey = updated
    return (
      `Gave the old key ${oldKey.id} (${oldKey.prefix}…) a grace of ${s.oldKeyGraceMinutes} ` +
      `minute(s): it expires at ${updated.expires_at}, and Hive ends it then.`
    )
  }

  /**
   * Before the old key is retired: did anything but this run use it in the last 24 h? Its
   * destinations' own jobs, or a consumer outside the destinations, which will now fail. A
   * warning at most: no usage data, or an error reading it, is passed over quietly.
   */
  async function noteOutsideUse(fate: string) {
    try {
      const usage = await keys.usage(s.hiveAdminKey, oldKey.id)
      if (usage === null) return log.debug(`No usage data for ${oldKey.id}.`)
      // An upper bound of this run's own use: every attempt, the usage request included.
      const others = usage.requests_24h - keys.sentWith(s.hiveApiKey)
      if (others <= 0) return log.info(`Only this run used ${oldKey.id} in the last 24 h.`)
      warn(
        log,
        report,
        `Something other than this run used the old key ${oldKey.id} (${oldKey.prefix}…) ` +
          `${others} time(s) in the last 24 h (last at ${usage.last_used_at ?? 'unknown'}), and ` +
          `it ${fate}. If that is the destinations' own jobs, they read the new key from now ` +
          `on; a consumer outside the destinations still holds the old key and will fail: add ` +
          `it to destinations.`
      )
    } catch (error) {
      log.debug(`Could not read the usage of ${oldKey.id}: ${(error as Error).message}`)
    }
  }

  /** The current key; in an emergency a key Hive already refuses gets its own explanation. */
  async function readCurrentKey(): Promise<HiveKey> {
    try {
      return await keys.current(s.hiveApiKey, 'reading the current key (hive-api-key)')
    } catch (error) {
      const status = (error as { status?: number }).status
      if (!emergency || status !== 401) throw error
      throw new RotationError(
        'hive-api-key answers 401: Hive no longer accepts it (revoked or expired), so there is ' +
          'nothing left to revoke and its permission and scope cannot be read. If an earlier ' +
          'emergency run revoked it and then failed, run mode: rotate with hive-api-key read ' +
          'from a destination that holds the new key; if none does, make a key in Hive by hand ' +
          'with the permission and scope your jobs need, store it as the secret, and rotate ' +
          'from there.'
      )
    }
  }

  /** Due: always without rotate-if-expiring-within-days; else when expiring, or leftovers exist. */
  function isDue(key: HiveKey, found: Leftover[], now: Date): { due: boolean; why: string } {
    const days = s.rotateIfExpiringWithinDays
    if (emergency) return { due: true, why: 'mode emergency: the current key is compromised' }
    if (days === undefined)
      return { due: true, why: 'on every run (rotate-if-expiring-within-days is empty)' }
    const expires = key.expires_at === null ? Infinity : Date.parse(key.expires_at)
    const expiry = `the current key expires ${key.expires_at ?? 'never'}`
    if (expires <= now.getTime() + days * DAY_MS) {
      return { due: true, why: `${expiry}, within ${days} day(s)` }
    }
    if (found.length > 0) {
      return {
        due: true,
        why:
          `${expiry}, later than ${days} day(s), but leftovers of an interrupted run exist and ` +
          'only a full store proves that every destination holds one key'
      }
    }
    return { due: false, why: `${expiry}, later than ${days} day(s) from now` }
  }
}

/** What the preflight found: nothing to do, or everything the later steps need. */
type Preflight =
  | { due: false }
  | {
      due: true
      oldKey: HiveKey
      prepared: PreparedDestination[]
      permission: Permission
      scope: Scope
      leftovers: Leftover[]
    }

function describeKey(role: string, key: HiveKey) {
  return (
    `${role} ${key.id} (${key.prefix}…), ${key.permission}, ${describeScope(key.scope)}, ` +
    `expires ${key.expires_at ?? 'never'}`
  )
}

/** When a key of this rotation stops counting as a rotation in flight. */
function inFlightUntil(createdAt: string): string {
  return isoSeconds(new Date(Date.parse(createdAt) + IN_FLIGHT_MS))
}

function inFlightError(
  { key, createdAt }: { key: HiveKey; createdAt: string },
  emergency: boolean
) {
  const after = inFlightUntil(createdAt)
  return new RotationError(
    `Another rotation seems to be in flight: key ${key.id} (${key.prefix}…) "${sanitize(key.name)}" of ` +
      `this rotation was created at ${createdAt}, after the current key, less than ` +
      `${IN_FLIGHT_MS / 60_000} minutes ago. Stopped rather than race it; nothing was changed. ` +
      `If no other run is going on (an earlier run was cancelled or killed), run again after ` +
      `${after}: it then finishes what the earlier run left. To keep two runs from overlapping, give the ` +
      'workflow a concurrency group (concurrency: { group: rotate-hive-api-key, ' +
      'cancel-in-progress: false }).' +
      (emergency
        ? ' In an emergency that cannot wait, revoke the compromised key in Hive by hand now.'
        : '')
  )
}

/** The admin key must be admin and able to grant what the new key asks for. */
function checkAdmin(s: Settings, admin: HiveKey, permission: Permission, scope: Scope) {
  const which = s.separateAdminKey ? 'hive-admin-key' : 'hive-api-key (no hive-admin-key given)'
  if (admin.permission !== 'admin') {
    throw new RotationError(
      `${which} has permission ${admin.permission}; creating and revoking keys needs admin. ` +
        (s.separateAdminKey
          ? 'Pass an admin key as hive-admin-key.'
          : 'Either rotate an admin key, or pass an admin key as hive-admin-key.')
    )
  }
  if (!s.separateAdminKey && permission !== 'admin') {
    throw new RotationError(
      `permission ${permission} would leave the rotated key unable to rotate itself next time, ` +
        'since without hive-admin-key the rotated key is its own admin. Pass hive-admin-key, or ' +
        'leave permission as inherit.'
    )
  }
  if (!scopeCovers(admin.scope, scope)) {
    throw new RotationError(
      `${which} has ${describeScope(admin.scope)} and cannot grant ${describeScope(scope)}; ` +
        'set scope to what the admin key covers.'
    )
  }
}

/**
 * Read every destination's public key and secret metadata, a few at a time; fail with all
 * problems at once. Then the guard: when no destination holds a secret named `secret-name`, the
 * key being rotated is kept under another name (aphids-cli's examples say APHIDS_API_KEY), and a
 * rotation would write a secret nobody reads and revoke the key everybody reads: stop, and name
 * the secrets that do exist.
 */
async function prepareAll(s: Settings, secrets: SecretStore, records: DestinationRecord[]) {
  records.push(
    ...s.destinations.map(d => ({ destination: d.label, status: 'not written' as const }))
  )
  const results: (PreparedDestination | DestinationError)[] = []
  let next = 0
  async function worker() {
    while (next < s.destinations.length) {
      const i = next++
      try {
        results[i] = await secrets.prepare(s.destinations[i])
      } catch (error) {
        results[i] = asDestinationError(error)
      }
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(READ_CONCURRENCY, s.destinations.length) }, worker)
  )
  const problems: string[] = []
  results.forEach((r, i) => {
    const record = records[i]
    if (r instanceof DestinationError) {
      record.status = 'unreachable'
      record.detail = r.message
      problems.push(`  - ${record.destination}: ${r.message}`)
    } else {
      record.status = 'ready'
      record.publicKeyId = r.publicKeyId
      if (!r.secret.exists)
        record.detail = `${s.secretName} does not exist here: it will be created`
    }
  })
  if (problems.length > 0) {
    throw new RotationError(
      `${problems.length} of ${s.destinations.length} destination(s) can't be written; nothing ` +
        `was changed:\n${problems.join('\n')}`
    )
  }
  const prepared = results as PreparedDestination[]
  if (prepared.every(p => !p.secret.exists)) throw secretNowhere(s, prepared)
  return prepared
}

/** Names shown per destination in the "lives nowhere" message. */
const NAMES_SHOWN = 10

function secretNowhere(s: Settings, prepared: PreparedDestination[]): RotationError {
  const where = prepared.map(p => {
    const found = p.secret.exists ? undefined : p.secret
    const names = found?.otherNames
    if (names === undefined) return `${p.destination.label}: (its secrets could not be listed)`
    if (names.length === 0) return `${p.destination.label} holds no secrets`
    const total = found?.total ?? names.length
    const more = total > NAMES_SHOWN ? ` and ${total - NAMES_SHOWN} more` : ''
    return `${p.destination.label} holds ${names.slice(0, NAMES_SHOWN).join(', ')}${more}`
  })
  const one = prepared.length === 1
  return new RotationError(
    `${one ? 'The destination does not hold' : `None of the ${prepared.length} destinations holds`} ` +
      `a secret named ${s.secretName}, so the key being rotated is kept somewhere else. Stopped ` +
      `before anything changed: a rotation would create ${s.secretName} where nothing reads it ` +
      `and revoke the key your jobs use. ${where.join('; ')}. Set secret-name to the secret ` +
      'your jobs read (aphids-cli’s examples use APHIDS_API_KEY), or add the destination that ' +
      'holds it. To start from nothing, store the current key under that name at one ' +
      'destination first.'
  )
}

function asDestinationError(error: unknown): DestinationError {
  return error instanceof DestinationError
    ? error
    : new DestinationError(error instanceof Error ? error.message : String(error), false)
}

function scopeIds(scope: Scope): string[] {
  return scope.type === 'engagements'
    ? scope.engagement_ids
    : scope.type === 'campaigns'
      ? scope.campaign_ids
      : []
}

function scopeCovers(outer: Scope, inner: Scope): boolean {
  if (outer.type === 'all') return true
  if (outer.type !== inner.type) return false
  const allowed = new Set(scopeIds(outer))
  return scopeIds(inner).every(id => allowed.has(id))
}

function sameScope(a: Scope, b: Scope): boolean {
  const ids = (s: Scope) => [...scopeIds(s)].sort().join(',')
  return a.type === b.type && ids(a) === ids(b)
}

function sameExpiry(granted: string | null, asked: string | null): boolean {
  if (granted === null || asked === null) return granted === asked
  return Math.abs(Date.parse(granted) - Date.parse(asked)) <= EXPIRY_TOLERANCE_MS
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
