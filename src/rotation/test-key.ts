/**
 * Step 4, test: the new key answers the verify path, and Hive reads it back as what was asked
 * for (its id, permission, scope and expiry). In the same first round, the old key is asked
 * whether it still answers: a Hive whose create revokes the old key (its Generate button does)
 * leaves every consumer holding a dead key from the create on.
 *
 *   - the old key answers, the new key passes: on to the store;
 *   - the old key answers, the new key fails: it is revoked (the revocation policy checks the old
 *     key again at that moment), and the run fails with nothing else changed;
 *   - the old key is dead: warned, and the store starts at once without waiting for the test,
 *     which goes on and is reported after the store (rotate.ts). A failed test then fails the
 *     run, but the new key, the only live key, is kept and stored.
 *
 * Stopping after it (or during it) leaves: a new key that no destination holds; a run that is
 * stopped revokes it while the old key answers, and otherwise keeps and stores it (run.ts
 * discardUnheld).
 */
import { describeScope } from './plan.js'
import { sameExpiry, sameScope } from './scope.js'
import { RotationError } from './steps.js'
import { unchanged, type Created, type Ready, type Run } from './run.js'
import { discardUnheld, oldKeyDied } from './store-key.js'
import { CancelledError } from '../cancel.js'
import { readUsageAhead } from './retire.js'

/** What the test step leaves for the rest of the run. */
export interface Tested {
  /**
   * Set when the old key was found dead: the test's verdict, still to come (a failure's reason,
   * or undefined when it passed). The store does not wait for it; the run reports it after.
   */
  verdict?: Promise<Verdict>
}

type Verdict = { passed: true; detail: string } | { passed: false; reason: string }

/** A new key that is not what was asked for or not accepted: the reason, for the run's message. */
class TestFailure extends Error {}

export async function testKey(
  run: Run,
  ready: Ready,
  created: Created
): Promise<{ result: Tested; detail: string }> {
  const verdict = testNewKey(run, ready, created).then(
    (detail): Verdict => ({ passed: true, detail }),
    (error: unknown): Verdict => {
      if (run.cancellation.requested || error instanceof CancelledError) throw error
      if (error instanceof RotationError) throw error
      return {
        passed: false,
        reason:
          error instanceof TestFailure
            ? error.message
            : `Testing the new key failed: ${(error as Error).message}`
      }
    }
  )
  verdict.catch(() => undefined)
  // The old key, in the same round as the new key's first probe (not in an emergency, where it
  // is revoked on purpose, nor in a recovery, where it is dead from the start).
  if (ready.oldKey && !run.emergency) {
    const old = await run.revocations.oldKeyState()
    // The retire step's usage read of the old key goes out now, while the new key is tested:
    // after the old key's own check, so that Hive's count of its use holds this run's exactly.
    if (old.state !== 'dead') readUsageAhead(run, { ...ready, oldKey: ready.oldKey })
    if (old.state === 'dead') {
      oldKeyDied(run, created, old.said)
      return {
        result: { verdict },
        detail:
          `The old key ${ready.oldKey.id} no longer answers (${old.said}): the new key is ` +
          'stored at once; its test goes on and is reported after the store.'
      }
    }
  }
  const v = await verdict
  // The usage read ends inside this step (it never rejects), so the store starts after it.
  await run.usageRead
  if (v.passed) return { result: {}, detail: v.detail }
  const outcome = await discardUnheld(run, ready, created)
  const revoked = run.report.revokedKeyIds.includes(created.newKey.id)
  throw new RotationError(
    `${v.reason} ${outcome}${revoked ? ` ${unchanged(run, ready.oldKey)}` : ''}`
  )
}

/** After the store, when the old key was found dead: the test's verdict, reported. */
export async function finishTest(run: Run, tested: Tested) {
  const v = await tested.verdict!
  if (v.passed) return { result: undefined, detail: v.detail }
  const { newKey } = run.report
  throw new RotationError(
    `${v.reason} The new key ${newKey?.id ?? ''} was kept and stored all the same: the old key ` +
      'no longer answers, so it is the only live key. Find out why it failed its test (its ' +
      'scope, the verify path, a slow propagation), and run again: the next run rotates to a ' +
      'new key that passes.'
  )
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
    throw new TestFailure(`The new key failed its test: ${why}.`)
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
  if (mismatch) throw new TestFailure(`The new key is not what was asked for: ${mismatch}.`)
  return (
    `${s.verifyPath} accepted the new key after ${verify.attempts} attempt(s) ` +
    `(${verify.elapsedMs} ms); Hive confirms ${ready.permission}, ${describeScope(ready.scope)}.`
  )
}
