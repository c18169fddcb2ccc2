/**
 * Step 5, store: the new key sealed into every destination, one at a time, each write read back.
 * Until every write is confirmed, nothing old is revoked. When no destination can hold the new
 * key (every write refused), it is revoked; otherwise both keys stay, for the next run.
 *
 * Stopping after it leaves: every destination holds the new key; the old key still works.
 * Stopping during it leaves: the destinations written hold the new key, the others the old one,
 * and both keys work. A stop before any write was sent revokes the new key while the old key
 * answers.
 *
 * Also here, as it is the store's business: what becomes of a new key no destination holds
 * (discardUnheld, for the test step, the store and their clean-ups): revoked while the old key
 * answers, otherwise kept and stored everywhere it is missing, the only live key.
 */
import type { DestinationRecord } from './report.js'
import { RotationError, warn } from './steps.js'
import { asDestinationError, DestinationError, type PreparedDestination } from './ports.js'
import { isoSeconds, stoppedName } from './names.js'
import { inFlightUntil, type Created, type Ready, type Run } from './run.js'
import { whyKept } from './revocation.js'

export async function storeKey(run: Run, ready: Ready, created: Created) {
  const { s, report, log, deps } = run
  const { prepared, oldKey } = ready
  const { newKey } = created
  const failures: { record: DestinationRecord; error: DestinationError }[] = []
  // The preflight's warnings come before any write.
  await Promise.all(run.pending)
  for (const p of prepared) {
    run.cancellation.throwIfStopped()
    const record = report.destinations.find(d => d.destination === p.destination.label)!
    const existed = p.secret.exists
    // Confirmed when it returns: GitHub shows the secret changed since the preflight.
    const error = await writeNewKey(
      run,
      p,
      created,
      status => `${s.secretName} ${status}` + (existed ? '' : ' (did not exist)')
    )
    if (error === undefined) {
      log.info(`${p.destination.label}: ${record.detail}, confirmed`)
      continue
    }
    if (run.cancellation.requested) throw error
    failures.push({ record, error })
    log.warning(`${p.destination.label}: ${error.message}`)
  }
  if (failures.length > 0) {
    const noneHolds = failures.length === prepared.length && failures.every(f => f.error.definite)
    let outcome: string
    // The revocation policy revokes it only while the old key answers (never in an emergency).
    if (noneHolds && !run.emergency) {
      outcome = await discardUnheld(run, ready, created, { store: false })
    } else {
      outcome = noneHolds
        ? `No destination holds the new key ${newKey.id}; it stays active, the only live key ` +
          'of this rotation, for the next run to store.'
        : `The new key ${newKey.id} stays active: some destinations hold it or may hold it.`
    }
    const old = !oldKey
      ? 'The dead key stays in the destinations not written. Fix the cause and run again ' +
        '(the recovery again, or mode rotate with hive-api-key read from a destination that ' +
        'holds the new key).'
      : run.emergency
        ? `The compromised key ${oldKey.id} is revoked, so the destinations not written hold a ` +
          'dead key until a run stores the new one. Fix the cause and run again with mode: ' +
          'rotate, hive-api-key read from a destination that holds the new key.'
        : report.oldKeyDied
          ? `The old key ${oldKey.id} no longer answers (${report.oldKeyDied.said}), so the ` +
            'destinations not written hold a dead key until a run stores the new one. Fix the ' +
            'cause and run again with hive-admin-key, permission and scope set (a recovery), or ' +
            'hive-api-key read from a destination that holds the new key.'
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
  if (report.oldKeyDied) report.oldKeyDied.to = isoSeconds(deps.now())
  if (run.emergency) {
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
}

/**
 * Stopped during the store: a new key no write was sent for is revoked (not in an emergency,
 * where it is the only live key); otherwise both keys stay, and this says who holds which.
 */
export async function storeStopped(run: Run, ready: Ready, created: Created): Promise<string> {
  const { newKey } = created
  const { oldKey } = ready
  if (run.writesSent.length === 0) {
    return `No write was sent. ${await discardUnheld(run, ready, created)}`
  }
  const byStatus = (wanted: string[]) =>
    run.report.destinations.filter(d => wanted.includes(d.status)).map(d => d.destination)
  const holdsNew = byStatus(['created', 'updated'])
  const unsure = run.writesSent.filter(l => !holdsNew.includes(l))
  const holdsOld = run.report.destinations
    .map(d => d.destination)
    .filter(l => !run.writesSent.includes(l))
  const list = (labels: string[]) => (labels.length > 0 ? labels.join(', ') : 'none')
  const renamed = await markStopped(run, created)
  return (
    (renamed ? `${renamed[0].toUpperCase()}${renamed.slice(1)} ` : '') +
    `The new key ${newKey.id} (${newKey.prefix}…) was kept` +
    (oldKey
      ? `, and so was the old key ${oldKey.id} (${oldKey.prefix}…)` +
        `${run.emergency ? ', revoked as compromised' : ''}. `
      : ' (the old key was already dead). ') +
    `Hold the new key: ${list(holdsNew)}. May hold either (write sent, not confirmed): ` +
    `${list(unsure)}. Hold the old key: ${list(holdsOld)}.`
  )
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
    if (holdsNewKey(run, label)) continue
    const error = await writeNewKey(
      run,
      p,
      created,
      status => `${s.secretName} ${status}: the only live key`
    )
    if (error) failed.push(`${label}: ${error.message}`)
    else held.push(label)
  }
  const all = report.destinations.every(d => holdsNewKey(run, d.destination))
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

/** True when the store confirmed the new key at this destination. */
function holdsNewKey(run: Run, label: string): boolean {
  const status = run.report.destinations.find(d => d.destination === label)?.status
  return status === 'created' || status === 'updated'
}

/**
 * One destination's write of the new key, recorded as it happens: sent (it may land from now
 * on), then its status and detail in the report. Returns the error, or undefined when GitHub
 * shows the write.
 */
async function writeNewKey(
  run: Run,
  p: PreparedDestination,
  { value }: Created,
  detail: (status: 'created' | 'updated') => string
): Promise<DestinationError | undefined> {
  const label = p.destination.label
  const record = run.report.destinations.find(d => d.destination === label)!
  if (!run.writesSent.includes(label)) run.writesSent.push(label)
  try {
    const status = await run.deps.secrets.write(p, run.s.secretName, value)
    record.status = status
    record.detail = detail(status)
    return undefined
  } catch (error) {
    const e = asDestinationError(error)
    record.status = e.unconfirmed ? 'not confirmed' : 'failed'
    record.detail = e.message
    return e
  }
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
