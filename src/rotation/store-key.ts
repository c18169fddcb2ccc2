/**
 * Step 5, store: the new key sealed into every destination, one at a time, each write read back.
 * Until every write is confirmed, nothing old is revoked. When no destination can hold the new
 * key (every write refused), it is revoked; otherwise both keys stay, for the next run.
 *
 * Stopping after it leaves: every destination holds the new key; the old key still works.
 * Stopping during it leaves: the destinations written hold the new key, the others the old one,
 * and both keys work. A stop before any write was sent revokes the new key (no emergency).
 */
import type { DestinationRecord } from './report.js'
import { RotationError, warn } from './steps.js'
import { asDestinationError, DestinationError } from './ports.js'
import { isoSeconds } from './names.js'
import {
  discardUnheld,
  inFlightUntil,
  markStopped,
  type Created,
  type Ready,
  type Run
} from './run.js'

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
    try {
      run.writesSent.push(p.destination.label)
      const existed = p.secret.exists
      record.status = await deps.secrets.write(p, s.secretName, created.value)
      // The store confirmed it: GitHub shows the secret changed since the preflight.
      record.detail = `${s.secretName} ${record.status}` + (existed ? '' : ' (did not exist)')
      log.info(`${p.destination.label}: ${record.detail}, confirmed`)
    } catch (error) {
      const e = asDestinationError(error)
      record.status = e.unconfirmed ? 'not confirmed' : 'failed'
      record.detail = e.message
      if (run.cancellation.requested) throw error
      failures.push({ record, error: e })
      log.warning(`${p.destination.label}: ${e.message}`)
    }
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
