/**
 * The emergency step (mode emergency only), between the preflight and the create: the current key
 * is compromised, so it dies first, before its successor exists.
 *
 * Stopping after it leaves: the compromised key revoked, no new key, and every destination holding
 * a dead key: every consumer fails until a run stores a new key. The next run finds hive-api-key
 * answering 401 and recovers (preflight.ts) when given hive-admin-key, permission and scope.
 */
import { warn } from './steps.js'
import { noteOutsideUse, retireByRevoking } from './retire.js'
import type { Retiring, Run } from './run.js'

export async function revokeCompromised(run: Run, ready: Retiring) {
  const { oldKey } = ready
  warn(
    run.log,
    run.report,
    `EMERGENCY: revoking the compromised key ${oldKey.id} (${oldKey.prefix}…) now. Every ` +
      `consumer that holds it fails until the new key is stored in every destination.`
  )
  await noteOutsideUse(run, ready, 'is revoked now')
  await retireByRevoking(run, ready, run.s.hiveAdminKey)
  return {
    result: undefined,
    detail: `Revoked the compromised key ${oldKey.id} (${oldKey.prefix}…); it answers 401.`
  }
}

/** Stopped during the emergency step: the compromised key may or may not be revoked yet. */
export function emergencyStopped(run: Run, { oldKey }: Retiring): string {
  return run.report.revokedKeyIds.includes(oldKey.id)
    ? `The compromised key ${oldKey.id} was revoked and no new key exists: every consumer ` +
        'fails until a run stores a new key.'
    : `The compromised key ${oldKey.id} may or may not be revoked (the request was cut off); ` +
        'no new key exists.'
}
