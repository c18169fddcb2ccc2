/**
 * The rotation, in the order of shared/design/action.md:
 *
 *   1. validate   (settings.ts, before this file runs)
 *   2. preflight  read-only: the current key, the admin key, every destination's public key
 *   3. create     the new key; masked the moment it exists
 *   4. test       the new key answers the verify path and is what was asked for, or it is revoked
 *   5. store      sealed into every destination; on any failure nothing old is revoked
 *   6. retire     the old key, only now, and confirmed dead
 *   7. report     (main.ts, from the RotationReport filled in here)
 *
 * It talks to Hive and GitHub only through the two ports, KeyService and SecretStore.
 */
import type { Settings } from '../settings.js'
import type { HiveKey, Permission, Scope } from '../hive/types.js'
import type { KeyService, PreparedDestination, SecretStore } from './ports.js'
import { DestinationError } from './ports.js'
import type { DestinationRecord, RotationReport } from './report.js'
import { describePlan, describeScope } from './plan.js'

export interface Log {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

export interface RotationDeps {
  keys: KeyService
  secrets: SecretStore
  /** Registers a value with the runner's log masking (`core.setSecret`). */
  mask(value: string): void
  log: Log
  now(): Date
}

/** A failure the user can act on; its message is the whole explanation (no stack trace). */
export class RotationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RotationError'
  }
}

/**
 * How many destinations are prepared at once (reads only; writes go one at a time). Octokit's
 * throttling plugin lets at most 10 requests run at once anyway, far below GitHub's 100.
 */
const READ_CONCURRENCY = 10

export async function rotate(s: Settings, deps: RotationDeps, report: RotationReport) {
  const { keys, secrets, log } = deps

  /** Run one step in its own log group, timed, and record how it ended. */
  async function step<T>(name: string, fn: () => Promise<{ result: T; detail: string }>) {
    const started = Date.now()
    return log.group(name, async () => {
      try {
        const { result, detail } = await fn()
        report.steps.push({ step: name, status: 'ok', detail, ms: Date.now() - started })
        log.info(detail)
        return result
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error)
        report.steps.push({ step: name, status: 'failed', detail, ms: Date.now() - started })
        throw error
      }
    })
  }

  // 2. Preflight: read-only. Anything wrong here fails the run before anything changes.
  const { oldKey, prepared, permission, scope } = await step('Preflight', async () => {
    const oldKey = await keys.current(s.hiveApiKey, 'reading the current key (hive-api-key)')
    report.oldKey = oldKey
    let admin = oldKey
    if (s.separateAdminKey) {
      admin = await keys.current(s.hiveAdminKey, 'reading the admin key (hive-admin-key)')
      report.adminKey = admin
    }
    const permission = s.permission === 'inherit' ? oldKey.permission : s.permission
    const scope = s.scope === 'inherit' ? oldKey.scope : s.scope
    checkAdmin(s, admin, permission, scope)

    const prepared = await prepareAll(s, secrets, report.destinations)
    report.plan = describePlan(s, oldKey, permission, scope)
    return {
      result: { oldKey, prepared, permission, scope },
      detail:
        `Current key ${oldKey.id} (${oldKey.prefix}…), ${oldKey.permission}, ` +
        `${describeScope(oldKey.scope)}, expires ${oldKey.expires_at ?? 'never'}; ` +
        `${prepared.length} destination(s) ready.`
    }
  })

  if (s.dryRun) {
    log.info(
      `Dry run: nothing was changed. The plan:\n${report.plan.map(l => `  - ${l}`).join('\n')}`
    )
    for (const name of ['Create', 'Test', 'Store', 'Retire']) {
      report.steps.push({ step: name, status: 'skipped', detail: 'dry-run', ms: 0 })
    }
    return
  }

  // 3. Create. The value is masked before anything else happens, and lives only in `value`.
  const { value, newKey } = await step('Create the new key', async () => {
    const now = deps.now()
    const created = await keys.create(s.hiveAdminKey, {
      name: `${s.keyName} ${isoSeconds(now)}`,
      permission,
      scope,
      expires_at: isoSeconds(new Date(now.getTime() + s.expiresInDays * 86_400_000))
    })
    deps.mask(created.key)
    const { key: value, ...newKey } = created
    report.newKey = newKey
    return {
      result: { value, newKey: newKey as HiveKey },
      detail:
        `Created ${newKey.id} (${newKey.prefix}…) "${newKey.name}", ${newKey.permission}, ` +
        `${describeScope(newKey.scope)}, expires ${newKey.expires_at}.`
    }
  })

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
      await keys.revoke(s.hiveAdminKey, newKey.id)
      report.revokedKeyIds.push(newKey.id)
    } catch (error) {
      throw new RotationError(
        `${reason} Revoking it also failed (${(error as Error).message}): revoke key ` +
          `${newKey.id} (${newKey.prefix}…) by hand. The old key and every destination are unchanged.`
      )
    }
    throw new RotationError(
      `${reason} The new key ${newKey.id} was revoked; the old key and every destination are ` +
        'unchanged.'
    )
  }

  // 5. Store, one destination at a time. Until every write is confirmed, nothing is revoked.
  await step('Store the new key', async () => {
    const failures: { record: DestinationRecord; error: DestinationError }[] = []
    for (const p of prepared) {
      const record = report.destinations.find(d => d.destination === p.destination.label)!
      try {
        record.status = await secrets.write(p, s.secretName, value)
        record.detail = `${s.secretName} ${record.status}`
        log.info(`${p.destination.label}: ${s.secretName} ${record.status}`)
      } catch (error) {
        const e = asDestinationError(error)
        record.status = 'failed'
        record.detail = e.message
        failures.push({ record, error: e })
        log.warning(`${p.destination.label}: ${e.message}`)
      }
    }
    if (failures.length > 0) {
      const noneHolds = failures.length === prepared.length && failures.every(f => f.error.definite)
      let outcome: string
      if (noneHolds) {
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
        outcome = `The new key ${newKey.id} stays active: some destinations hold it or may hold it.`
      }
      throw new RotationError(
        `${failures.length} of ${prepared.length} destination(s) could not be written. ${outcome} ` +
          `The old key ${oldKey.id} was not revoked, so every destination still holds a key that ` +
          'works. Fix the cause and run again.\n' +
          failures.map(f => `  - ${f.record.destination}: ${f.error.message}`).join('\n')
      )
    }
    report.rotated = true
    return {
      result: undefined,
      detail: `${s.secretName} written to ${prepared.length} destination(s).`
    }
  })

  // 6. Retire the old key: only now, with every destination holding the new one.
  await step('Retire the old key', async () => {
    if (!s.revokeOld) {
      return {
        result: undefined,
        detail: `Kept the old key ${oldKey.id} (revoke-old: false); it expires ${oldKey.expires_at ?? 'never'}.`
      }
    }
    const outcome = await keys.revoke(s.hiveAdminKey, oldKey.id)
    report.revokedKeyIds.push(oldKey.id)
    if (!(await keys.confirmRevoked(s.hiveApiKey, s.verifyPath))) {
      throw new RotationError(
        `Hive answered that the old key ${oldKey.id} was revoked, but ${s.verifyPath} still ` +
          `accepts it. Every destination holds the new key; revoke ${oldKey.id} ` +
          `(${oldKey.prefix}…) in Hive and check it answers 401.`
      )
    }
    return {
      result: undefined,
      detail:
        (outcome === 'revoked'
          ? `Revoked the old key ${oldKey.id} (${oldKey.prefix}…)`
          : `The old key ${oldKey.id} was already revoked`) + `; it now answers 401.`
    }
  })
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

/** Read every destination's public key, a few at a time; fail with all problems at once. */
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
    }
  })
  if (problems.length > 0) {
    throw new RotationError(
      `${problems.length} of ${s.destinations.length} destination(s) can't be written; nothing ` +
        `was changed:\n${problems.join('\n')}`
    )
  }
  return results as PreparedDestination[]
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

/** ISO-8601 UTC to the second, as Hive writes timestamps. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
