/**
 * mode: check, for a daily monitoring job: test the current key and report its permission, scope
 * and expiry. It changes nothing, needs no admin key and no GitHub token, and fails when the key
 * is invalid or expires within rotate-if-expiring-within-days.
 */
import type { Settings } from '../settings.js'
import { describeScope } from './plan.js'
import { daysUntilExpiry, type RotationReport } from './report.js'
import { RotationError, stepRunner, type RotationDeps } from './steps.js'

const DAY_MS = 86_400_000

export async function checkKey(s: Settings, deps: RotationDeps, report: RotationReport) {
  const { keys } = deps
  const step = stepRunner(deps.log, report)
  await step('Check the current key', async () => {
    const status = await keys.probe(s.hiveApiKey, s.verifyPath)
    if (status === 401) {
      throw new RotationError(
        `hive-api-key is not valid: GET ${s.verifyPath} answers 401 (the key is revoked, ` +
          'expired or unknown), so every consumer that holds it fails now. Make a new key in ' +
          'Hive, store it in the secret, and let this action rotate it from then on.'
      )
    }
    if (status === 403) {
      throw new RotationError(
        `hive-api-key is valid but may not read ${s.verifyPath} (403): it lacks the permission ` +
          'or scope for it. Give it the permission and scope your jobs need, or set verify-path ' +
          'to a read it is meant to make.'
      )
    }
    const key = await keys.current(s.hiveApiKey, 'reading the current key (hive-api-key)')
    report.oldKey = key
    const now = deps.now()
    const days = daysUntilExpiry(key, now)
    const left = days === undefined ? 'it never expires' : `${days} day(s) left`
    const threshold = s.rotateIfExpiringWithinDays
    if (
      threshold !== undefined &&
      key.expires_at !== null &&
      Date.parse(key.expires_at) <= now.getTime() + threshold * DAY_MS
    ) {
      throw new RotationError(
        `hive-api-key ${key.id} (${key.prefix}…) expires at ${key.expires_at}, ${left}: within ` +
          `rotate-if-expiring-within-days (${threshold}). Rotate it: run this action with ` +
          'mode: rotate.'
      )
    }
    report.due = threshold === undefined ? undefined : `not within ${threshold} day(s) of expiry`
    return {
      result: undefined,
      detail:
        `hive-api-key ${key.id} (${key.prefix}…) is valid: ${key.permission}, ` +
        `${describeScope(key.scope)}, expires ${key.expires_at ?? 'never'} (${left}); ` +
        `GET ${s.verifyPath} answered ${status}.`
    }
  })
}
