/**
 * Step 3, create: the new key, with the permission, scope and expiry the preflight settled. Its
 * value is masked the moment it exists and lives only in memory. Hive's answer is checked before
 * it is used: a key that is not new, or not what was asked for, is a protocol error, and only a
 * key this run provably made is revoked because of it.
 *
 * Stopping after it leaves: a new key that no destination holds, and the old key in every
 * destination. A failed or stopped create revokes what it made (found by its exact name), so
 * the next run starts from the same place; a key Hive was still making is a leftover it prunes.
 */
import type { CreateKeyRequest, NewHiveKey } from '../hive/types.js'
import { describeScope } from './plan.js'
import { isoSeconds, newKeyName } from './names.js'
import { sameExpiry, sameScope } from './scope.js'
import { RotationError } from './steps.js'
import { revokeOwn, unchanged, type Created, type Ready, type Run } from './run.js'
import { sanitize } from '../text.js'

const DAY_MS = 86_400_000

export async function createKey(
  run: Run,
  ready: Ready
): Promise<{ result: Created; detail: string }> {
  const { s, deps, report } = run
  const now = deps.now()
  const asked: CreateKeyRequest = {
    name: newKeyName(s.keyName, now, ready.oldKey?.id),
    permission: ready.permission,
    scope: ready.scope,
    expires_at: isoSeconds(new Date(now.getTime() + s.expiresInDays * DAY_MS))
  }
  run.asked = asked
  let created: NewHiveKey
  try {
    created = await run.keys.create(s.hiveAdminKey, asked)
  } catch (error) {
    // An answer that broke the contract, or none (a timeout, a 5xx): Hive may have made the key
    // all the same. A definite refusal (4xx) made nothing.
    const { kind, status } = error as { kind?: string; status?: number }
    const refused = kind === 'status' && status !== undefined && status < 500
    if (refused || !['invalid-response', 'status', 'timeout', 'network'].includes(kind ?? '')) {
      throw error
    }
    return refuseCreated(run, ready, (error as Error).message, {
      protocol: kind === 'invalid-response'
    })
  }
  deps.mask(created.key)
  const problem = createdProblem(run, created, asked)
  if (problem) {
    return refuseCreated(
      run,
      ready,
      `Hive's answer to the create is not the key that was asked for: ${problem}.`
    )
  }
  const { key: value, ...newKey } = created
  report.newKey = newKey
  // Only now, checked: the post step revokes a journaled new key no write was sent for, so a
  // hostile answer naming the old or admin key must never reach the journal.
  deps.journal?.newKey(newKey)
  return {
    result: { value, newKey },
    detail:
      `Created ${newKey.id} (${newKey.prefix}…) "${sanitize(newKey.name)}", ` +
      `${newKey.permission}, ${describeScope(newKey.scope)}, expires ${newKey.expires_at}.`
  }
}

/** Why Hive's answer to the create can't be the key asked for; '' when it can. */
function createdProblem(run: Run, created: NewHiveKey, asked: CreateKeyRequest): string {
  const { s } = run
  if (run.knownIds.has(created.id)) {
    return `its id ${created.id} is that of ${knownRole(run, created.id)}, not a new key`
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

function knownRole(run: Run, id: string): string {
  if (id === run.report.oldKey?.id) return 'the key being rotated (hive-api-key)'
  if (run.protectedIds.has(id)) return 'the admin key (hive-admin-key)'
  return 'a key that was active before this run'
}

/**
 * Revokes what this run provably made for the create request `name`: an active key that carries
 * that exact name and that no key before the create had. The answered id alone proves nothing (a
 * key made by someone else between the preflight's listing and the create would also be "new"),
 * so it is never revoked on its own word; the key Hive really made is found by its name. Returns
 * a sentence of what it did.
 */
export async function revokeMadeByName(run: Run, name: string): Promise<string> {
  const revoked: string[] = []
  const failed: string[] = []
  let search = ''
  try {
    const named = (await run.keys.list(run.s.hiveAdminKey)).filter(k => k.name === name)
    for (const key of named) {
      if (run.knownIds.has(key.id) || revoked.includes(key.id)) continue
      try {
        if ((await revokeOwn(run, key.id)) === 'revoked') {
          revoked.push(key.id)
          run.report.revokedKeyIds.push(key.id)
        }
      } catch (error) {
        failed.push(`${key.id} (${(error as Error).message})`)
      }
    }
  } catch (error) {
    search =
      ` Looking for the key Hive made also failed (${(error as Error).message}): revoke by ` +
      `hand any key named "${name}".`
  }
  return (
    (revoked.length > 0
      ? ` Revoked the key(s) this run made: ${revoked.join(', ')}.`
      : search
        ? ''
        : ` No active key is named "${name}"; one that Hive may still be making is a ` +
          'leftover the next run prunes.') +
    (failed.length > 0 ? ` Revoking failed for ${failed.join('; ')}: revoke by hand.` : '') +
    search
  )
}

/** A create answer that can't be used (or none came): revoke what this run made, and fail. */
async function refuseCreated(
  run: Run,
  ready: Ready,
  reason: string,
  { protocol = true } = {}
): Promise<never> {
  const outcome = await revokeMadeByName(run, run.asked!.name)
  const used = protocol
    ? ' This is a protocol error: the answer was not used and nothing was stored.'
    : ' Nothing was stored.'
  throw new RotationError(`${reason}${used}${outcome} ${unchanged(run, ready.oldKey)}`)
}

/** Stopped during the create: whatever it made is revoked, found by name. */
export async function createStopped(run: Run): Promise<string> {
  if (!run.asked) return 'No key was created.'
  return (await revokeMadeByName(run, run.asked.name)).trim()
}
