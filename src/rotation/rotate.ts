/**
 * The rotation, in the order of shared/design/action.md. One call a step; each step's file says
 * what it does and what stopping after it leaves, and holds its own failure rules.
 *
 *   1. validate   settings.ts, before this file runs
 *   2. preflight  preflight.ts: read-only; nothing changes if it fails. A dead hive-api-key
 *                 makes the run a recovery: no emergency step, nothing to retire
 *      emergency  emergency.ts (mode emergency only): the compromised key is revoked first
 *   3. create     create.ts: the new key, masked the moment it exists
 *   4. test       test-key.ts: it answers the verify path and is what was asked for, or it is revoked
 *                 (while the old key answers). The old key is checked in the same round: when the
 *                 create revoked it, the store starts at once, and the test's verdict comes after
 *   5. store      store-key.ts: sealed into every destination; on any failure nothing old is revoked
 *      canary     canary.ts (with canary-workflows only): the consumer workflows, dispatched and
 *                 awaited; a failure rolls every destination back to the old key
 *   6. prune      prune.ts: leftovers of earlier interrupted runs, now that every destination
 *                 holds one key (before the retire: the old key's name may be their only record)
 *   7. retire     retire.ts: the old key, only now: revoked and confirmed dead, given grace, or kept
 *   8. report     main.ts, from the RotationReport filled in here
 *
 * mode check is check.ts. Everything talks to Hive and GitHub only through the two ports,
 * KeyService and SecretStore (ports.ts), and every revocation goes through one policy
 * (revocation.ts): a new key only while the old key answers, and only a key this run made. On a signal (cancel.ts) the step in progress ends, its
 * "stopped" function brings the run to that step's safe state, and the run ends cancelled.
 */
import type { Settings } from '../settings.js'
import type { RotationReport } from './report.js'
import { checkKey } from './check.js'
import { newRun, type Run } from './run.js'
import { preflight } from './preflight.js'
import { emergencyStopped, revokeCompromised } from './emergency.js'
import { createKey, createStopped } from './create.js'
import { finishTest, testKey } from './test-key.js'
import { discardUnheld, storeKey, storeStopped } from './store-key.js'
import { pruneStep, pruneStopped } from './prune.js'
import { canaryStep, canaryStopped } from './canary.js'
import { retireOldKey, retireStopped } from './retire.js'
import { RotationError, skipSteps, stepRunner, type Log, type RotationDeps } from './steps.js'

export { RotationError, type Log, type RotationDeps }

const AFTER_PREFLIGHT = [
  'Create the new key',
  'Test the new key',
  'Store the new key',
  'Prune leftovers',
  'Retire the old key'
]

export async function rotate(s: Settings, deps: RotationDeps, report: RotationReport) {
  if (s.mode === 'check') return checkKey(s, deps, report)
  const run = newRun(s, deps, report)
  try {
    return await steps(run)
  } finally {
    // The preflight's checks that can only warn (a shadowing secret) are in the report before
    // the run ends, however it ends; the store step awaited them before its first write.
    await Promise.all(run.pending)
  }
}

async function steps(run: Run) {
  const { s, report } = run
  const step = stepRunner(run.log, report, run.deps.journal, run.cancellation)

  const pre = await step('Preflight', async () => {
    const found = await preflight(run)
    return { result: found, detail: found.detail }
  })
  if (!pre.due) return skipSteps(report, AFTER_PREFLIGHT, 'not due')
  if (s.dryRun) {
    run.log.info(
      `Dry run: nothing was changed. The plan:\n${report.plan.map(l => `  - ${l}`).join('\n')}`
    )
    const skipped = run.emergency
      ? ['Revoke the compromised key', ...AFTER_PREFLIGHT]
      : AFTER_PREFLIGHT
    return skipSteps(report, skipped, 'dry-run')
  }
  const ready = pre
  const { oldKey } = ready
  // A recovery (hive-api-key is dead: preflight.ts) has no old key to revoke first or to retire.
  const retiring = oldKey ? { ...ready, oldKey } : undefined

  if (run.emergency && !retiring) {
    skipSteps(
      report,
      ['Revoke the compromised key'],
      'already dead: it answers 401, and Hive’s key list holds no active key with its prefix'
    )
  }
  if (run.emergency && retiring) {
    await step(
      'Revoke the compromised key',
      () => revokeCompromised(run, retiring),
      () => emergencyStopped(run, retiring)
    )
  }
  const created = await step(
    'Create the new key',
    () => createKey(run, ready),
    () => createStopped(run)
  )
  const tested = await step(
    'Test the new key',
    () => testKey(run, ready, created),
    () => discardUnheld(run, ready, created)
  )
  await step(
    'Store the new key',
    () => storeKey(run, ready, created),
    () => storeStopped(run, ready, created)
  )
  // The old key died at the create: the store went first, and the test's verdict comes now.
  if (tested.verdict) await step('Finish the test of the new key', () => finishTest(run, tested))
  if (s.canaryWorkflows.length > 0) {
    await step(
      'Test the applications',
      () => canaryStep(run, ready, created),
      () => canaryStopped(run, ready, created)
    )
  }
  await step(
    'Prune leftovers',
    () => pruneStep(run, ready, created),
    () => pruneStopped(run, ready, created)
  )
  if (!retiring) {
    return skipSteps(report, ['Retire the old key'], 'recovery: the old key was already dead')
  }
  if (report.oldKeyDied) {
    return skipSteps(
      report,
      ['Retire the old key'],
      'the old key no longer answers: nothing to revoke'
    )
  }
  await step(
    'Retire the old key',
    () => retireOldKey(run, retiring, created),
    () => retireStopped(run, retiring, created)
  )
}
