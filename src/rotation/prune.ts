/**
 * Leftovers of earlier runs (see leftovers.ts): put in the report by the preflight, revoked by the
 * prune step once every destination holds the new key.
 */
import type { Settings } from '../settings.js'
import { inGrace, type Leftover } from './leftovers.js'
import type { RotationReport } from './report.js'
import { warn, type Log, type RotationDeps } from './steps.js'
import { adminAfterStore, type Created, type Ready, type Run } from './run.js'

/**
 * Puts every leftover in the report, the spared ones with the reason, and warns about the others:
 * the ones interrupted runs left, which this run revokes.
 */
export function recordLeftovers(
  s: Settings,
  log: Log,
  report: RotationReport,
  all: Leftover[],
  spared: (l: Leftover) => 'left to expire' | 'kept (revoke-old: false)' | undefined
) {
  report.leftovers = all.map(l => ({
    id: l.key.id,
    prefix: l.key.prefix,
    name: l.key.name,
    why: l.why,
    expiresAt: l.key.expires_at,
    outcome: spared(l) ?? 'found'
  }))
  const leftovers = all.filter(l => !spared(l))
  for (const l of all.filter(l => spared(l))) {
    log.info(
      `${l.key.id} (${l.key.prefix}…, ${l.why}), expiring ${l.key.expires_at ?? 'never'}: ${spared(l)}.`
    )
  }
  if (leftovers.length === 0) return
  warn(
    log,
    report,
    `Found ${leftovers.length} leftover key(s) of earlier interrupted runs of this rotation: ` +
      leftovers.map(l => `${l.key.id} (${l.key.prefix}…, ${l.why})`).join(', ') +
      '. ' +
      (s.prune
        ? 'They are revoked once every destination holds the new key.'
        : 'prune: false, so they are only reported: revoke them in Hive.')
  )
}

/**
 * The prune step: revokes each leftover the preflight found, once every destination holds the new
 * key. A failure is a warning (the next run retries), never the run's.
 */
export async function pruneLeftovers(
  s: Settings,
  deps: RotationDeps,
  report: RotationReport,
  found: Leftover[],
  {
    adminKey,
    never,
    revoke
  }: {
    adminKey: string
    never: string[]
    /** The revocation policy's revokeLeftover (revocation.ts). */
    revoke: (adminKey: string, id: string) => Promise<unknown>
  }
): Promise<string> {
  const { log } = deps
  if (found.length === 0) {
    const spared = report.leftovers.length
    return spared === 0
      ? 'No leftovers of earlier runs.'
      : `No leftovers to revoke; ${spared} key(s) left alone (see the leftovers table).`
  }
  const now = deps.now()
  const failed: string[] = []
  for (const { key } of found) {
    const record = report.leftovers.find(l => l.id === key.id)!
    if (never.includes(key.id)) continue // the new and old keys: findLeftovers spares them too
    // Checked again: a key may have entered the last 24 h of its life during this run.
    if (!s.prune) record.outcome = 'kept (prune: false)'
    else if (inGrace(key, now)) record.outcome = 'left to expire'
    else {
      try {
        await revoke(adminKey, key.id)
        report.revokedKeyIds.push(key.id)
        record.outcome = 'revoked'
      } catch (error) {
        record.outcome = 'revoke failed'
        failed.push(`${key.id} (${key.prefix}…): ${(error as Error).message}`)
      }
    }
    log.info(`${key.id} (${key.prefix}…, ${record.why}): ${record.outcome}`)
  }
  if (failed.length > 0) {
    warn(
      log,
      report,
      `Could not revoke ${failed.length} leftover key(s); every destination holds the new key, ` +
        `so this is safe to leave: the next run retries, or revoke them in Hive:\n` +
        failed.map(f => `  - ${f}`).join('\n')
    )
  }
  const count = (outcome: string) => report.leftovers.filter(l => l.outcome === outcome).length
  return (
    `${count('revoked')} leftover key(s) revoked, ${count('revoke failed')} failed, ` +
    `${count('kept (prune: false)')} kept (prune: false); ${count('left to expire')} left to ` +
    `expire (given grace earlier), ${count('kept (revoke-old: false)')} kept (revoke-old: false).`
  )
}

/**
 * Step 6, prune: every destination holds the new key, so the leftovers of earlier runs can go.
 * Before the old key is retired: its name may be the only record of a key it replaced, and a run
 * stopped between revoking it and pruning would lose that record for good.
 *
 * Stopping after it (or during it) leaves: every destination holds the new key, the old key still
 * works, and any leftover not yet revoked is pruned by the next run.
 */
export async function pruneStep(run: Run, ready: Ready, created: Created) {
  return {
    result: undefined,
    detail: await pruneLeftovers(run.s, run.deps, run.report, ready.leftovers, {
      adminKey: adminAfterStore(run, created),
      never: [created.newKey.id, ...(ready.oldKey ? [ready.oldKey.id] : [])],
      revoke: (adminKey, id) => run.revocations.revokeLeftover(adminKey, id)
    })
  }
}

export function pruneStopped(_run: Run, ready: Ready, { newKey }: Created): string {
  return (
    `Every destination holds the new key ${newKey.id} (${newKey.prefix}…)` +
    (ready.oldKey ? `; the old key ${ready.oldKey.id} still works` : '') +
    '. Leftovers not yet revoked are pruned by the next run.'
  )
}
