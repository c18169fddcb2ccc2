/**
 * Step 7, retire: the old key, only now that every destination holds the new one: revoked and
 * confirmed dead (Hive must refuse it), given a grace period (its expiry shortened, never
 * lengthened; Hive ends it), or kept (revoke-old: false). Before that, a warning if anything but
 * this run used it in the last 24 h: that consumer still holds it.
 *
 * Stopping after it (or during it) leaves: every destination holds the new key. The old key is
 * revoked, or (stopped before Hive answered) may still work: the next run finds it replaced by
 * the current key and prunes it.
 */
import { isoSeconds } from './names.js'
import { RotationError, warn } from './steps.js'
import { adminAfterStore, type Created, type Retiring, type Run, type UsageRead } from './run.js'

export async function retireOldKey(run: Run, ready: Retiring, created: Created) {
  const { s, report } = run
  const { oldKey } = ready
  if (run.emergency) {
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
    await noteOutsideUse(run, ready, `expires in ${s.oldKeyGraceMinutes} minute(s)`)
    return { result: undefined, detail: await giveGrace(run, ready) }
  }
  await noteOutsideUse(run, ready, 'is revoked now')
  const outcome = await retireByRevoking(run, ready, adminAfterStore(run, created))
  return {
    result: undefined,
    detail:
      (outcome === 'revoked'
        ? `Revoked the old key ${oldKey.id} (${oldKey.prefix}…)`
        : `The old key ${oldKey.id} was already revoked`) + `; it now answers 401.`
  }
}

/**
 * Revoke the old key and check that Hive refuses it now. The one revocation of the old key
 * (here, or in the emergency step), through the revocation policy (revocation.ts).
 */
export async function retireByRevoking(run: Run, { oldKey }: Retiring, adminKey: string) {
  const { s, report } = run
  const outcome = await run.revocations.revokeOld(
    adminKey,
    run.emergency ? 'compromised' : 'retire'
  )
  report.revokedKeyIds.push(oldKey.id)
  report.retired = 'revoked'
  if (!(await run.keys.confirmRevoked(s.hiveApiKey, s.verifyPath))) {
    throw new RotationError(
      `Hive answered that the old key ${oldKey.id} was revoked, but ${s.verifyPath} still ` +
        `accepts it. ` +
        (run.emergency
          ? 'Nothing else was changed: revoke it in Hive by hand, check that it answers 401, ' +
            'and run again.'
          : `Every destination holds the new key; revoke ${oldKey.id} (${oldKey.prefix}…) in ` +
            'Hive and check it answers 401.')
    )
  }
  return outcome
}

/** Shorten the old key's expiry to now + grace (never lengthen it): Hive ends it itself. */
async function giveGrace(run: Run, { oldKey }: Retiring): Promise<string> {
  const { s, report } = run
  const until = new Date(run.deps.now().getTime() + s.oldKeyGraceMinutes * 60_000)
  report.retired = 'grace'
  if (oldKey.expires_at !== null && Date.parse(oldKey.expires_at) <= until.getTime()) {
    return `The old key ${oldKey.id} already expires at ${oldKey.expires_at}, within the grace of ${s.oldKeyGraceMinutes} minute(s); left as it is.`
  }
  const updated = await run.keys.update(s.hiveAdminKey, oldKey.id, {
    expires_at: isoSeconds(until)
  })
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
export async function noteOutsideUse(run: Run, ready: Retiring, fate: string) {
  const { log, report } = run
  const { oldKey } = ready
  const read = await (run.usageRead ?? readUsage(run, ready))
  run.usageRead = undefined
  try {
    if ('error' in read) throw read.error
    const { usage, ownUse } = read
    if (usage === null) return log.debug(`No usage data for ${oldKey.id}.`)
    const others = usage.requests_24h - ownUse
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
    if (run.cancellation.requested) throw error
    log.debug(`Could not read the usage of ${oldKey.id}: ${(error as Error).message}`)
  }
}

function readUsage(run: Run, { oldKey }: Retiring): Promise<UsageRead> {
  const { s, keys } = run
  return keys.usage(s.hiveAdminKey, oldKey.id).then(
    // An upper bound of this run's own use: every attempt, the usage request included.
    usage => ({ usage, ownUse: keys.sentWith(s.hiveApiKey) }),
    (error: unknown) => ({ error })
  )
}

/**
 * Starts the retire step's usage read now, so that it goes with the new key's test instead of
 * a round of its own; only when the retire step will read it (revoke or grace).
 */
export function readUsageAhead(run: Run, ready: Retiring): void {
  if (run.emergency || !run.s.revokeOld) return
  run.usageRead = readUsage(run, ready)
}

/** Stopped during the retire: nothing to undo; every destination holds the new key. */
export function retireStopped(run: Run, { oldKey }: Retiring, { newKey }: Created): string {
  const revoked = run.report.revokedKeyIds.includes(oldKey.id)
  return (
    `Every destination holds the new key ${newKey.id} (${newKey.prefix}…). The old key ` +
    `${oldKey.id} (${oldKey.prefix}…) ` +
    (revoked ? 'was revoked.' : 'may still work: the next run prunes it as a leftover.')
  )
}
