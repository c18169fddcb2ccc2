/**
 * Step 3, create: the new key, with the permission, scope and expiry the preflight settled. Its
 * value is masked the moment it exists and lives only in memory. Hive's answer is checked before
 * it is used: a key that is not new, or not what was asked for, is a protocol error, and only a
 * key this run provably made is revoked because of it.
 *
 * The name asked for carries the run's mark (names.ts): a key found by name after a lost answer
 * is this run's only when it carries that mark, so two runs that create in the same second never
 * take each other's key. The answer's name must be the name asked for; a Hive that cuts or alters
 * names is told apart, and the key renamed to the rotation's record without the mark.
 *
 * Stopping after it leaves: a new key that no destination holds, and the old key in every
 * destination. A failed or stopped create revokes what it made (found by the run's mark) while
 * the old key answers (revocation.ts); a key Hive was still making is looked for again by the
 * post step, and otherwise is a leftover the next run prunes.
 */
import type { CreateKeyRequest, HiveKey, NewHiveKey } from '../hive/types.js'
import { describeScope } from './plan.js'
import { compactKeyName, isoSeconds, newKeyName, stoppedName } from './names.js'
import { sameExpiry, sameScope } from './scope.js'
import { RotationError, warn } from './steps.js'
import { unchanged, type Created, type Ready, type Run } from './run.js'
import { whyKept } from './revocation.js'
import { sanitize } from '../text.js'

const DAY_MS = 86_400_000

export async function createKey(
  run: Run,
  ready: Ready
): Promise<{ result: Created; detail: string }> {
  const { s, deps, report } = run
  const now = deps.now()
  const asked: CreateKeyRequest = {
    name: newKeyName(s.keyName, now, ready.replaces, run.mark),
    permission: ready.permission,
    scope: ready.scope,
    expires_at: isoSeconds(new Date(now.getTime() + s.expiresInDays * DAY_MS))
  }
  run.asked = asked
  run.revocations.facts.asked = asked.name
  // The ids active before the create, for the post step: none of them is ever this run's.
  deps.journal?.seen(run.knownIds)
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
  run.revocations.facts.ownIds.add(newKey.id)
  deps.journal?.newKey(newKey)
  const answeredName = newKey.name
  if (newKey.name !== asked.name) await keepRecord(run, ready, newKey, asked.name, now)
  return {
    result: { value, newKey },
    detail:
      `Created ${newKey.id} (${newKey.prefix}…) "${sanitize(answeredName)}", ` +
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
  if (run.revocations.isProtected(id)) return 'the admin key (hive-admin-key)'
  return 'a key that was active before this run'
}

/**
 * Hive stored another name than the one asked for (a Hive that cuts names, say): the rotation's
 * record ("replaces <old id>") must survive, or a later run can't find the old key. The key is
 * renamed to the record without the run's mark (its id proves it ours from now on), when that
 * fits what this Hive keeps; the journal keeps the old key's id either way. A warning, never a
 * failure: the key itself is what was asked for.
 */
async function keepRecord(run: Run, ready: Ready, newKey: HiveKey, asked: string, now: Date) {
  const { s, log, report, deps } = run
  const cut = asked.startsWith(newKey.name)
  const compact = compactKeyName(s.keyName, isoSeconds(now), ready.replaces)
  const said =
    `Hive stored the new key's name as "${sanitize(newKey.name)}", not the name asked for ` +
    `("${sanitize(asked)}"): ${cut ? `it cuts names at ${newKey.name.length} characters` : 'it altered it'}.`
  if (cut && compact.length > newKey.name.length) {
    warn(
      log,
      report,
      `${said} Even without the run's mark the rotation's record ("${compact}") does not fit, ` +
        'so a later run may not find the key this one replaces. Shorten key-name to at most ' +
        `${Math.max(0, s.keyName.length - (compact.length - newKey.name.length))} characters.`
    )
    return
  }
  try {
    const updated = await run.keys.update(s.hiveAdminKey, newKey.id, { name: compact })
    if (updated.name !== compact) throw new Error(`Hive stored "${sanitize(updated.name)}"`)
    newKey.name = compact
    deps.journal?.newKey(newKey)
    warn(log, report, `${said} Renamed it "${compact}", which keeps the rotation's record.`)
  } catch (error) {
    warn(
      log,
      report,
      `${said} Renaming it to "${compact}" failed (${(error as Error).message}): a later run ` +
        `may not find the key this one replaces${ready.oldKey ? ` (${ready.oldKey.id})` : ''}.`
    )
  }
}

/**
 * Revokes what this run made for the create request it sent, when the answer never came or could
 * not be used: an active key that carries this run's mark (names.ts) and that no key before the
 * create had. The answered id alone proves nothing (a hostile answer may name any key), so it is
 * never revoked on its own word. The revocation policy keeps such a key when the old key does
 * not answer (a Hive whose create revokes the old key); it is then renamed stopped, for the next
 * run. Nothing found: the post step looks again. Returns a sentence of what it did.
 */
export async function revokeMadeByMark(run: Run): Promise<string> {
  const revoked: string[] = []
  const kept: string[] = []
  const failed: string[] = []
  let found
  try {
    found = (await run.keys.list(run.s.hiveAdminKey)).filter(k => run.revocations.isOwn(k))
  } catch (error) {
    run.deps.journal?.findCreatedLater()
    return (
      ` Looking for the key Hive made also failed (${(error as Error).message}); the post step ` +
      `looks again. A key whose name starts "${run.s.keyName} ${run.mark}" is this run's: ` +
      'revoke it in Hive if it stays.'
    )
  }
  if (found.length === 0) {
    run.deps.journal?.findCreatedLater()
    return (
      ` No key carries this run's mark (${run.mark}); the post step looks again, and one Hive ` +
      'may still be making is a leftover the next run prunes.'
    )
  }
  for (const key of found) {
    try {
      const fate = await run.revocations.revokeNew(run.s.hiveAdminKey, key)
      if (fate.revoked) {
        revoked.push(key.id)
        run.report.revokedKeyIds.push(key.id)
        continue
      }
      const renamed = stoppedName(run.s.keyName, key.name)
      if (renamed !== undefined) {
        await run.keys.update(run.s.hiveAdminKey, key.id, { name: renamed }).catch(() => undefined)
      }
      kept.push(`${key.id} (${whyKept(fate)})`)
    } catch (error) {
      run.deps.journal?.revokeLater(key.id)
      failed.push(`${key.id} (${(error as Error).message})`)
    }
  }
  return (
    (revoked.length > 0 ? ` Revoked the key(s) this run made: ${revoked.join(', ')}.` : '') +
    (kept.length > 0 ? ` Kept the key(s) this run made: ${kept.join('; ')}.` : '') +
    (failed.length > 0
      ? ` Revoking failed for ${failed.join('; ')}: the post step tries again.`
      : '')
  )
}

/** A create answer that can't be used (or none came): revoke what this run made, and fail. */
async function refuseCreated(
  run: Run,
  ready: Ready,
  reason: string,
  { protocol = true } = {}
): Promise<never> {
  const outcome = await revokeMadeByMark(run)
  // What the message says of the old key is checked, not assumed: a create may have revoked it.
  if (ready.oldKey && !run.emergency && !run.revocations.lastCheck) {
    await run.revocations.oldKeyState()
  }
  const used = protocol
    ? ' This is a protocol error: the answer was not used and nothing was stored.'
    : ' Nothing was stored.'
  throw new RotationError(`${reason}${used}${outcome} ${unchanged(run, ready.oldKey)}`)
}

/** Stopped during the create: whatever it made is revoked (found by the run's mark), or kept. */
export async function createStopped(run: Run): Promise<string> {
  if (!run.asked) return 'No key was created.'
  return (await revokeMadeByMark(run)).trim()
}
