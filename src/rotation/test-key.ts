/**
 * Step 4, test: the new key answers the verify path, and Hive reads it back as what was asked
 * for (its id, permission, scope and expiry). A new key that fails is revoked: nothing else has
 * changed, and no destination holds it.
 *
 * Stopping after it (or during it) leaves: a tested new key that no destination holds; a run
 * that is stopped revokes it, and the old key stays in every destination.
 */
import { describeScope } from './plan.js'
import { sameExpiry, sameScope } from './scope.js'
import { RotationError } from './steps.js'
import { revokeOwn, unchanged, type Created, type Ready, type Run } from './run.js'

export async function testKey(run: Run, ready: Ready, created: Created) {
  try {
    return await testNewKey(run, ready, created)
  } catch (error) {
    if (error instanceof RotationError || run.cancellation.requested) throw error
    return discardNewKey(
      run,
      ready,
      created,
      `Testing the new key failed: ${(error as Error).message}`
    )
  }
}

async function testNewKey(run: Run, ready: Ready, { value, newKey }: Created) {
  const { s, keys } = run
  const readBack = () => keys.current(value, 'reading the new key back')
  // The probe and the read-back in one round. A read-back that met the propagation (401) is
  // asked again once the probe saw the key accepted.
  const early = readBack().then(
    key => ({ key }),
    (error: unknown) => ({ error })
  )
  const verify = await keys.waitUntilAccepted(value, s.verifyPath, s.verifyTimeoutSeconds * 1000)
  if (!verify.accepted) {
    const why =
      verify.status === 403
        ? `it lacks the permission or scope to read ${s.verifyPath} (403)`
        : `${s.verifyPath} still answered ${verify.status} after ${verify.attempts} attempt(s) ` +
          `over ${Math.round(verify.elapsedMs / 1000)} s (verify-timeout-seconds: ` +
          `${s.verifyTimeoutSeconds})`
    await early
    await discardNewKey(run, ready, { value, newKey }, `The new key failed its test: ${why}.`)
  }
  const first = await early
  let seen
  if ('key' in first) seen = first.key
  else if ((first.error as { status?: number }).status === 401) seen = await readBack()
  else throw first.error
  const mismatch =
    seen.id !== newKey.id
      ? `Hive reports it as ${seen.id}, not ${newKey.id}`
      : seen.permission !== ready.permission
        ? `its permission is ${seen.permission}, not ${ready.permission}`
        : !sameScope(seen.scope, ready.scope)
          ? `it has ${describeScope(seen.scope)}, not ${describeScope(ready.scope)}`
          : !sameExpiry(seen.expires_at, newKey.expires_at)
            ? `it expires ${seen.expires_at ?? 'never'}, not ${newKey.expires_at ?? 'never'}`
            : ''
  if (mismatch) {
    await discardNewKey(
      run,
      ready,
      { value, newKey },
      `The new key is not what was asked for: ${mismatch}.`
    )
  }
  return {
    result: undefined,
    detail:
      `${s.verifyPath} accepted the new key after ${verify.attempts} attempt(s) ` +
      `(${verify.elapsedMs} ms); Hive confirms ${ready.permission}, ${describeScope(ready.scope)}.`
  }
}

/** Revoke the new key (no destination holds it) and fail the run. */
async function discardNewKey(
  run: Run,
  ready: Ready,
  { newKey }: Created,
  reason: string
): Promise<never> {
  try {
    await revokeOwn(run, newKey.id)
    run.report.revokedKeyIds.push(newKey.id)
  } catch (error) {
    if (run.cancellation.requested) throw error
    throw new RotationError(
      `${reason} Revoking it also failed (${(error as Error).message}): revoke key ` +
        `${newKey.id} (${newKey.prefix}…) by hand. ${unchanged(run, ready.oldKey)}`
    )
  }
  throw new RotationError(
    `${reason} The new key ${newKey.id} was revoked. ${unchanged(run, ready.oldKey)}`
  )
}
