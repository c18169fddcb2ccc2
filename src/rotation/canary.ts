/**
 * Step 6, test the applications (only with canary-workflows): Hive's own procedure is "create a
 * new key, update the applications, test, then revoke the old key". The key's own test proves the
 * key; only a consumer proves the applications (an environment secret that shadows the one
 * written, a scope the consumer's engagement lacks, a job that reads another secret name).
 *
 * Every canary workflow is dispatched at once with the inputs `hive-key-id` (the new key's id,
 * never its value) and `canary-id` (random, one per run), found (GitHub names the run, or it is
 * found by the canary-id in its title), and polled at most every POLL_MS until it completes or
 * canary-timeout-minutes pass. It passes only on conclusion `success` and proof of use: Hive's
 * usage of the new key moved during the canary (no usage data: judged by the conclusion alone).
 *
 * A failure rolls back: runs still going are cancelled, the old key (hive-api-key) is written back
 * into every destination that was given the new key (sealed again, read back), and only when
 * every rollback write is confirmed, and the old key answers (revocation.ts), is the new key
 * revoked. A rollback write that fails revokes nothing: both keys stay live (invariant 10).
 *
 * Stopping during it leaves: every destination holds the new key, the old key still works; the
 * dispatched runs are cancelled, both keys kept, and the next run converges (the post step marks
 * the new key stopped after a kill).
 */
import { randomBytes } from 'node:crypto'
import type { CanaryWorkflow } from '../github/destinations.js'
import type { CanaryRecord } from './report.js'
import type { CanaryRun, WorkflowRunner } from './ports.js'
import { asDestinationError } from './ports.js'
import { RotationError, warn } from './steps.js'
import { adminAfterStore, type Created, type Ready, type Run } from './run.js'
import { whyKept } from './revocation.js'
import { sanitize } from '../text.js'

/** At most one request per run this often (GitHub gives no interval; 5 s is gentle). */
export const POLL_MS = 5_000
/** How long a dispatched run may take to appear in the list, when GitHub did not name it. */
export const FIND_RUN_MS = 60_000
/** Clock skew allowed when listing runs created since the dispatch. */
const SKEW_MS = 2 * 60_000
/** Consecutive failed polls of one run before it counts as failed. */
const POLL_FAILURES = 3

/** The canary's runs under way, for the clean-up after a signal. */
const dispatched = new WeakMap<Run, { workflow: CanaryWorkflow; run: CanaryRun }[]>()

export async function canaryStep(run: Run, ready: Ready, created: Created) {
  const { s, deps, report } = run
  const runner = deps.workflows
  if (!runner) throw new RotationError('canary-workflows is set, but no workflow runner exists.')
  const { newKey } = created
  const canaryId = randomBytes(8).toString('hex')
  const sleep = deps.sleep ?? (ms => run.cancellation.sleep(ms))
  const pollMs = deps.canaryPollMs ?? POLL_MS
  const admin = adminAfterStore(run, created)
  const before = await readUse(run, admin, newKey.id)
  const since = deps.now()
  const records: CanaryRecord[] = s.canaryWorkflows.map(w => ({
    workflow: w.label,
    url: '',
    conclusion: 'pending',
    usedNewKey: 'unknown',
    failed: []
  }))
  report.canary = records
  const under: { workflow: CanaryWorkflow; run: CanaryRun }[] = []
  dispatched.set(run, under)
  await Promise.all(
    s.canaryWorkflows.map((w, i) =>
      oneCanary(run, runner, w, records[i], {
        canaryId,
        since,
        sleep,
        pollMs,
        under,
        newKeyId: newKey.id
      })
    )
  )
  const after = await readUse(run, admin, newKey.id)
  const used = usedSince(before, after, since)
  for (const r of records) r.usedNewKey = used
  const failed = records.filter(r => r.conclusion !== 'success' || used === false)
  if (failed.length === 0) {
    return {
      result: undefined,
      detail:
        `${records.length} canary run(s) succeeded` +
        (used === true
          ? ', and Hive saw the new key used.'
          : ': Hive has no usage data for the new key, so the conclusion alone decided.')
    }
  }
  const why = failed
    .map(
      r =>
        `${r.workflow}: ${r.conclusion}` +
        (r.conclusion === 'success' && used === false
          ? ' but Hive saw no use of the new key'
          : '') +
        (r.url ? ` (${r.url})` : '') +
        (r.failed.length ? `; failed: ${r.failed.join(', ')}` : '') +
        (r.detail ? `; ${r.detail}` : '')
    )
    .join('\n  - ')
  const outcome = await rollBack(run, ready, created)
  throw new RotationError(
    `The canary failed, so the new key is not trusted with the applications:\n  - ${why}\n${outcome}`
  )
}

async function oneCanary(
  run: Run,
  runner: WorkflowRunner,
  w: CanaryWorkflow,
  record: CanaryRecord,
  ctx: {
    canaryId: string
    since: Date
    sleep: (ms: number) => Promise<void>
    pollMs: number
    under: { workflow: CanaryWorkflow; run: CanaryRun }[]
    newKeyId: string
  }
) {
  const { deps, s, log } = run
  let found: CanaryRun | undefined
  try {
    found = await runner.dispatch(w, { 'hive-key-id': ctx.newKeyId, 'canary-id': ctx.canaryId })
  } catch (error) {
    if (run.cancellation.requested) throw error
    record.conclusion = 'not dispatched'
    record.detail = (error as Error).message
    return
  }
  // GitHub did not name the run (GHES before 3.21): find it by the canary-id in its title.
  const start = deps.now().getTime()
  while (!found && deps.now().getTime() - start < FIND_RUN_MS) {
    await ctx.sleep(ctx.pollMs)
    found = await runner
      .findRun(w, ctx.canaryId, new Date(ctx.since.getTime() - SKEW_MS))
      .catch((error: unknown) => {
        if (run.cancellation.requested) throw error
        log.debug(`Looking for the run of ${w.label}: ${(error as Error).message}`)
        return undefined
      })
  }
  if (!found) {
    record.conclusion = 'not found'
    record.detail =
      `no run with the canary-id ${ctx.canaryId} in its title appeared within ` +
      `${FIND_RUN_MS / 1000} s: put \${{ inputs.canary-id }} in the workflow's run-name`
    return
  }
  record.url = found.htmlUrl
  ctx.under.push({ workflow: w, run: found })
  log.info(`Dispatched ${w.label}: run ${found.id}${found.htmlUrl ? ` ${found.htmlUrl}` : ''}.`)
  const deadline = start + s.canaryTimeoutMinutes * 60_000
  let failures = 0
  for (;;) {
    await ctx.sleep(ctx.pollMs)
    try {
      const state = await runner.state(w, found.id)
      failures = 0
      if (state.htmlUrl) record.url = state.htmlUrl
      if (state.status === 'completed') {
        record.conclusion = state.conclusion ?? 'unknown'
        break
      }
    } catch (error) {
      if (run.cancellation.requested) throw error
      if (++failures >= POLL_FAILURES) {
        record.conclusion = 'unknown'
        record.detail = `reading the run failed ${failures} times: ${(error as Error).message}`
        break
      }
    }
    if (deps.now().getTime() >= deadline) {
      record.conclusion = 'timed out'
      record.detail = `not completed after canary-timeout-minutes (${s.canaryTimeoutMinutes})`
      await runner.cancel(w, found.id).catch(() => undefined)
      break
    }
  }
  const done = ctx.under.findIndex(u => u.run.id === found.id)
  if (done >= 0 && record.conclusion !== 'timed out') ctx.under.splice(done, 1)
  if (record.conclusion !== 'success') {
    record.failed = await runner.failedSteps(w, found.id).catch(() => [])
  }
}

type Use = { requests: number; lastUsedAt: string | null } | null | 'error'

async function readUse(run: Run, adminKey: string, id: string): Promise<Use> {
  try {
    const usage = await run.keys.usage(adminKey, id)
    return usage ? { requests: usage.requests_24h, lastUsedAt: usage.last_used_at } : null
  } catch (error) {
    if (run.cancellation.requested) throw error
    run.log.debug(`Reading the new key's usage failed: ${(error as Error).message}`)
    return 'error'
  }
}

/** Did the consumers use the new key? true, false, or 'unknown' (no usage data). */
function usedSince(before: Use, after: Use, since: Date): boolean | 'unknown' {
  if (before === null || after === null || before === 'error' || after === 'error') {
    return 'unknown'
  }
  if (after.requests > before.requests) return true
  return after.lastUsedAt !== null && Date.parse(after.lastUsedAt) > since.getTime()
}

/**
 * The canary failed: the old key back into every destination given the new one, then the new key
 * revoked, only when every rollback write is confirmed and the old key answers. Never throws.
 */
async function rollBack(run: Run, ready: Ready, created: Created): Promise<string> {
  const { s, deps, report } = run
  const { newKey } = created
  if (!ready.oldKey || report.oldKeyDied) {
    return (
      `There is no live old key to roll back to (${ready.oldKey ? 'it no longer answers' : 'a recovery'}): ` +
      `every destination keeps the new key ${newKey.id}, which stays active. Fix the consumers, ` +
      'and run again.'
    )
  }
  const old = await run.revocations.oldKeyState()
  if (old.state !== 'answers') {
    return (
      `Nothing was rolled back: ${whyKept({ revoked: false, why: old.state === 'dead' ? 'old-dead' : 'old-unknown', said: old.said })}. ` +
      `Every destination keeps the new key ${newKey.id}; both keys stay active.`
    )
  }
  const given = ready.prepared.filter(p => {
    const status = report.destinations.find(d => d.destination === p.destination.label)?.status
    return status === 'created' || status === 'updated'
  })
  const failed: string[] = []
  for (const p of given) {
    const record = report.destinations.find(d => d.destination === p.destination.label)!
    try {
      await deps.secrets.write(p, s.secretName, s.hiveApiKey)
      record.status = 'rolled back'
      record.detail = `${s.secretName} holds the old key again`
    } catch (error) {
      const e = asDestinationError(error)
      record.detail = `rollback failed: ${e.message}`
      failed.push(`${p.destination.label}: ${e.message}`)
    }
  }
  report.rotated = false
  const holds = (status: string) =>
    report.destinations.filter(d => d.status === status).map(d => d.destination)
  if (failed.length > 0) {
    warn(
      run.log,
      report,
      `The canary's rollback could not write ${failed.length} destination(s): both keys stay ` +
        'active, and nothing was revoked.'
    )
    return (
      `Rolled back ${given.length - failed.length} of ${given.length} destination(s); the rest ` +
      `failed, so nothing was revoked and both keys stay active. Hold the old key ` +
      `${ready.oldKey.id}: ${holds('rolled back').join(', ') || 'none'}. Hold the new key ` +
      `${newKey.id}: ${given
        .map(p => p.destination.label)
        .filter(l => !holds('rolled back').includes(l))
        .join(', ')}.\n  - ${failed.join('\n  - ')}`
    )
  }
  try {
    const fate = await run.revocations.revokeNew(s.hiveAdminKey, newKey)
    if (fate.revoked) {
      report.revokedKeyIds.push(newKey.id)
      return (
        `Rolled back: every destination holds the old key ${ready.oldKey.id} again, and the new ` +
        `key ${newKey.id} was revoked. Every destination is as it was before the run.`
      )
    }
    return (
      `Rolled back: every destination holds the old key again; the new key ${newKey.id} was ` +
      `kept: ${whyKept(fate)}.`
    )
  } catch (error) {
    run.deps.journal?.revokeLater(newKey.id)
    return (
      `Rolled back: every destination holds the old key again; revoking the new key ` +
      `${newKey.id} failed (${(error as Error).message}): the post step tries again.`
    )
  }
}

/** Stopped during the canary: cancel the runs dispatched, keep both keys. */
export async function canaryStopped(run: Run, ready: Ready, { newKey }: Created): Promise<string> {
  const runner = run.deps.workflows
  const under = dispatched.get(run) ?? []
  const cancelled: string[] = []
  for (const u of under) {
    await runner
      ?.cancel(u.workflow, u.run.id)
      .then(() => cancelled.push(`${u.workflow.label} run ${u.run.id}`))
      .catch(() => undefined)
  }
  return (
    (cancelled.length ? `Cancelled the canary run(s): ${cancelled.join(', ')}. ` : '') +
    `Every destination holds the new key ${newKey.id}` +
    (ready.oldKey ? `; the old key ${ready.oldKey.id} still works and was kept` : '') +
    '. The next run starts from the new key.'
  )
}

/** A line of the plan per canary workflow (dry-run and the plan). */
export function describeCanaries(workflows: CanaryWorkflow[], timeoutMinutes: number): string[] {
  return workflows.map(
    w =>
      `Dispatch ${sanitize(w.label)} with the new key's id and wait for it (at most ` +
      `${timeoutMinutes} min); a failure rolls every destination back to the old key.`
  )
}
