/**
 * Step 2, preflight: read-only. The current key, the admin key, the active keys (leftovers of
 * earlier runs, a run in flight), whether a rotation is due, and every destination's public key.
 * Anything wrong here fails the run before anything changes.
 *
 * When hive-api-key is dead (401), the run is a recovery if it has what one needs (a separate
 * hive-admin-key, an explicit permission and scope): no old key, nothing to retire. Without them it
 * stops here and names the inputs to set.
 *
 * Stopping after it (or during it) leaves: nothing changed. The next run starts from the same place.
 */
import type { Settings } from '../settings.js'
import type { HiveKey, Permission, Scope } from '../hive/types.js'
import type { PreparedDestination, SecretStore } from './ports.js'
import { asDestinationError, DestinationError } from './ports.js'
import type { DestinationRecord } from './report.js'
import { describePlan, describeScope } from './plan.js'
import { describeCanaries } from './canary.js'
import { findLeftovers, inGrace, IN_FLIGHT_MS, type Leftover } from './leftovers.js'
import { recordLeftovers } from './prune.js'
import { scopeCovers } from './scope.js'
import { RotationError, warn } from './steps.js'
import { describeKey, inFlightUntil, type Ready, type Run } from './run.js'
import { sanitize } from '../text.js'

/**
 * How many destinations are prepared at once (reads only; writes go one at a time). Octokit's
 * throttling plugin lets at most 10 requests run at once anyway, far below GitHub's 100.
 */
const READ_CONCURRENCY = 10
const DAY_MS = 86_400_000

/** What the preflight found: nothing to do, or everything the later steps need. */
export type Preflight = ({ due: false } | ({ due: true } & Ready)) & { detail: string }

export async function preflight(run: Run): Promise<Preflight> {
  // Every read at once, in one round: the current key, the admin key, the active keys, and every
  // destination's public key and secret metadata. The destinations' answers are awaited before
  // the preflight ends whatever happens, so nothing of them comes after the report. With
  // rotate-if-expiring-within-days the run is often not due: GitHub is read only once it is.
  const alwaysDue = run.s.rotateIfExpiringWithinDays === undefined || run.emergency
  const read = () =>
    Promise.all([readDestinations(run.s, run.deps.secrets, run.pending), checkCanaries(run)])
  const early = alwaysDue ? read() : undefined
  try {
    return await decide(run, () => early ?? read())
  } finally {
    await early
  }
}

async function decide(
  run: Run,
  reading: () => Promise<[DestinationRead[], string[]]>
): Promise<Preflight> {
  const { s, deps, report, keys } = run
  const [currentRead, adminRead, activeRead] = await Promise.allSettled([
    readCurrentKey(run),
    s.separateAdminKey
      ? keys.current(s.hiveAdminKey, 'reading the admin key (hive-admin-key)')
      : undefined,
    keys.list(s.hiveAdminKey)
  ])
  // Reported in the order they were asked: the current key's problem first.
  const current = settled(currentRead)
  let oldKey = 'dead' in current ? undefined : current
  let dead = 'dead' in current ? current.dead : undefined
  let admin = oldKey
  if (s.separateAdminKey) {
    admin = settled(adminRead)
    report.adminKey = admin
  }
  if (dead !== undefined) {
    // Two 401s: the admin's key list has the last word (deadOrListed).
    if (!s.separateAdminKey) throw deadKeyError(run, dead, recoveryProblem(s))
    const listed = deadOrListed(run, dead, settled(activeRead), admin!)
    if (listed) {
      oldKey = listed
      dead = undefined
    } else {
      const problem = recoveryProblem(s)
      if (problem) throw deadKeyError(run, dead, problem)
    }
  }
  if (oldKey) {
    report.oldKey = oldKey
    deps.journal?.oldKey(oldKey)
  }
  // A recovery has a separate admin key (recoveryProblem): `admin` is set either way.
  if (!admin) throw new RotationError('No admin key: set hive-admin-key.')
  // Two different values that Hive says are one key: an answer not to be trusted with a rotation
  // (the key it "replaces" would be the admin key, which nothing ever revokes).
  if (s.separateAdminKey && oldKey && oldKey.id === admin.id) {
    throw new RotationError(
      `Hive answered that hive-api-key and hive-admin-key, two different values, are the same key ` +
        `${sanitize(admin.id)}. This is a protocol error: nothing was changed. Check hive-url, and ` +
        'that the two inputs hold the keys you mean.'
    )
  }
  // The revocation policy's facts (revocation.ts): the old key is revoked only to retire it,
  // a separate admin key never, and no key active before the create is ever this run's.
  const facts = run.revocations.facts
  facts.oldKeyId = oldKey?.id
  if (s.separateAdminKey) {
    facts.adminKeyId = admin.id
    deps.journal?.adminKeyId(admin.id)
  }
  for (const id of [oldKey?.id, admin.id]) if (id !== undefined) run.knownIds.add(id)
  // In a recovery, both are explicit (recoveryProblem): the dead key's can't be read.
  const permission = s.permission === 'inherit' ? oldKey!.permission : s.permission
  const scope = s.scope === 'inherit' ? oldKey!.scope : s.scope
  checkAdmin(s, admin, permission, scope)
  if (dead !== undefined) warnRecovery(run, dead, permission, scope)

  const now = deps.now()
  const active = settled(activeRead)
  for (const key of active) run.knownIds.add(key.id)
  if (oldKey && dead === undefined) checkCurrentAgainstList(s.hiveApiKey, oldKey, active)
  const found = findLeftovers(s.keyName, active, oldKey, admin.id, now)
  if (found.inFlight) throw inFlightError(found.inFlight, run.emergency)
  // Expected, and left alone: a key given grace by an earlier run (Hive ends it), and with
  // revoke-old: false the old keys the current key replaced (kept on purpose).
  const spared = (l: Leftover) =>
    inGrace(l.key, now)
      ? ('left to expire' as const)
      : !s.revokeOld && l.replacedByCurrent
        ? ('kept (revoke-old: false)' as const)
        : undefined
  const leftovers = found.leftovers.filter(l => !spared(l))
  recordLeftovers(s, run.log, report, found.leftovers, spared)
  const due: { due: boolean; why: string } = oldKey
    ? isDue(run, oldKey, leftovers, now)
    : { due: true, why: 'hive-api-key is dead (401): a recovery' }
  report.due = due.why
  const currentKey = oldKey ? describeKey('Current key', oldKey) : 'Current key dead (401)'
  if (!due.due) return { due: false, detail: `${currentKey}. Not due: ${due.why}.` }
  const [destinations, canaryProblems] = await reading()
  const prepared = checkDestinations(s, destinations, report.destinations)
  if (canaryProblems.length > 0) {
    throw new RotationError(
      `${canaryProblems.length} canary workflow(s) can't be dispatched; nothing was changed:\n` +
        canaryProblems.map(p => `  - ${p}`).join('\n')
    )
  }
  report.plan = [
    ...describePlan(s, oldKey, permission, scope, leftovers),
    ...describeCanaries(s.canaryWorkflows, s.canaryTimeoutMinutes)
  ]
  return {
    due: true,
    oldKey,
    dead,
    // A recovery's record of the key it replaces: the dead key's id can't be read, but its
    // prefix (the start of its value, as long as Hive's prefixes are) can be named.
    replaces: oldKey?.id ?? `prefix:${s.hiveApiKey.slice(0, admin.prefix.length)}`,
    prepared,
    permission,
    scope,
    leftovers,
    detail:
      `${currentKey}; ${prepared.length} destination(s) ready; ` +
      `${leftovers.length} leftover key(s). Due: ${due.why}.`
  }
}

/**
 * The current key, or, when Hive answers 401 to it, what Hive said: a key that may be dead
 * (expired, revoked, or left dead by an emergency run). One answer is not a verdict: a 401 is
 * asked again a moment later, and counts only when both are Hive's own 401 (the contract's JSON
 * error, not a gateway's page); a second answer of 200 makes it a normal run. The admin's key
 * list then has the last word (deadOrListed).
 */
async function readCurrentKey(run: Run): Promise<HiveKey | { dead: string }> {
  const read = () => run.keys.current(run.s.hiveApiKey, 'reading the current key (hive-api-key)')
  try {
    return await read()
  } catch (first) {
    if ((first as { status?: number }).status !== 401) throw first
    await (run.deps.sleep ?? (ms => run.cancellation.sleep(ms)))(CONFIRM_401_MS)
    let second: unknown
    try {
      const key = await read()
      run.log.info(
        'hive-api-key answered 401 once, then 200 a moment later: a transient answer, not a ' +
          'dead key. The run goes on as usual.'
      )
      return key
    } catch (error) {
      second = error
    }
    if ((second as { status?: number }).status !== 401) throw second
    const own = [first, second].every(e => (e as { code?: string }).code === 'unauthorized')
    if (!own) {
      throw new RotationError(
        'hive-api-key answered 401 twice, but not with the Hive API’s own error (a gateway or ' +
          'proxy page): that is not a verdict that the key is dead, so nothing was changed. ' +
          'Check hive-url and any gateway in front of Hive, and run again.'
      )
    }
    const { hiveMessage } = second as { hiveMessage?: string }
    return {
      dead: hiveMessage ? `Hive said: "${sanitize(hiveMessage, [], 200)}"` : 'Hive gave no reason'
    }
  }
}

/**
 * Which key hive-api-key is, as GET /api-keys/current answered, must agree with the admin's list
 * of active keys: its prefix starts hive-api-key's value, and the list holds a key under its id
 * whose prefix does too. That id is the one the retire step revokes: an answer that names another
 * key's id would have the run revoke a key it never held (the property test's seed 29: a
 * self-managed key answered as the platform admin key, which the run then revoked as "the old
 * key"). With a separate admin key, the two current answers catch a shared id too (decide); this
 * check needs no second key.
 */
function checkCurrentAgainstList(hiveApiKey: string, current: HiveKey, active: HiveKey[]) {
  const id = sanitize(current.id)
  const listed = active.find(k => k.id === current.id)
  const problem = !hiveApiKey.startsWith(current.prefix)
    ? `its prefix ${sanitize(current.prefix)}… is not the start of hive-api-key`
    : !listed
      ? `Hive's list of active keys has no key ${id}`
      : !hiveApiKey.startsWith(listed.prefix)
        ? `Hive's list of active keys shows ${id} with the prefix ${sanitize(listed.prefix)}…, ` +
          'which is not the start of hive-api-key'
        : undefined
  if (problem) {
    throw new RotationError(
      `Hive answered that hive-api-key is the key ${id}, but ${problem}: the answers disagree ` +
        'about which key hive-api-key is. This is a protocol error: nothing was changed. Check ' +
        'hive-url (and any proxy or gateway that could rewrite answers), and run again.'
    )
  }
}

/** The wait before a 401 of hive-api-key is asked again. */
const CONFIRM_401_MS = 1_000

/**
 * hive-api-key answered Hive's own 401 twice: is it in the admin's list of active keys all the
 * same (a key whose prefix starts its value)? Then it is not dead, whatever the 401s said:
 *   - in an emergency, exactly one such key is the compromised key: it is revoked first, as ever;
 *   - otherwise the run stops with nothing changed (a transient answer, or a gateway).
 * Returns the listed key in an emergency, undefined when the list confirms the key is dead.
 */
function deadOrListed(
  run: Run,
  said: string,
  active: HiveKey[],
  admin: HiveKey
): HiveKey | undefined {
  const { s } = run
  const listed = active.filter(k => k.id !== admin.id && s.hiveApiKey.startsWith(k.prefix))
  if (listed.length === 0) return undefined
  const which = listed.map(k => `${k.id} (${k.prefix}…)`).join(', ')
  if (run.emergency && listed.length === 1) {
    warn(
      run.log,
      run.report,
      `hive-api-key answered 401 (${said}), but Hive's key list shows it active as ${which}: ` +
        'it is revoked first all the same, as the compromised key.'
    )
    return listed[0]
  }
  throw new RotationError(
    `hive-api-key answered 401 twice (${said}), but Hive's key list (read with hive-admin-key) ` +
      `shows an active key whose prefix starts it: ${which}. One answer is not a verdict: the ` +
      'run did not treat the key as dead, and nothing was changed. Run again; if it persists, ' +
      'check the key in Hive.' +
      (run.emergency && listed.length > 1
        ? ' In an emergency, revoke the compromised key in Hive by hand now: more than one ' +
          'active key has its prefix.'
        : '')
  )
}

/**
 * What keeps a dead key from being recovered, as the inputs to set; '' when nothing does. The new
 * key must be made without the dead one: by a separate admin key, with a permission and scope
 * given outright (the dead key's own can no longer be read).
 */
function recoveryProblem(s: Settings): string {
  const missing = [
    ...(s.separateAdminKey
      ? []
      : ['hive-admin-key (an admin key other than hive-api-key, which is the dead one)']),
    ...(s.permission === 'inherit'
      ? ['permission (read-only, read-write or admin: what your jobs need)']
      : []),
    ...(s.scope === 'inherit' ? ['scope (all, engagements:<ids> or campaigns:<ids>)'] : [])
  ]
  return missing.length === 0 ? '' : missing.join('; ')
}

function deadKeyError(run: Run, said: string, missing: string): RotationError {
  return new RotationError(
    `hive-api-key answers 401: Hive does not accept it (expired, revoked, or never a key of ` +
      `this Hive: check that the secret holds the whole value; ${said}), so ` +
      'every consumer that holds it is failing now' +
      (run.emergency ? ', and there is nothing left to revoke' : '') +
      '. This action can recover: it makes a new key with an admin key, tests it and stores ' +
      `it in every destination. For that, set: ${missing}. ` +
      (run.s.permission === 'inherit' || run.s.scope === 'inherit'
        ? 'Permission and scope cannot be inherited from a dead key. '
        : '') +
      'Nothing was changed.'
  )
}

/** The loud warning of a recovery, in the log and the summary. */
function warnRecovery(run: Run, said: string, permission: Permission, scope: Scope) {
  run.report.recovery = said
  warn(
    run.log,
    run.report,
    `RECOVERY: hive-api-key is dead: Hive answers 401 to it (${said}). Every consumer that ` +
      'holds it has been failing since it died. This run makes its successor with ' +
      `hive-admin-key (${permission}, ${describeScope(scope)}), tests it and stores it in every ` +
      'destination; there is no old key to revoke. Find out why the key died (an expired key, ' +
      'a rotation that stopped running, an emergency run that failed) so it does not happen again.'
  )
}

/** Due: always without rotate-if-expiring-within-days; else when expiring, or leftovers exist. */
function isDue(run: Run, key: HiveKey, found: Leftover[], now: Date) {
  const days = run.s.rotateIfExpiringWithinDays
  if (run.emergency) return { due: true, why: 'mode emergency: the current key is compromised' }
  if (days === undefined)
    return { due: true, why: 'on every run (rotate-if-expiring-within-days is empty)' }
  const expires = key.expires_at === null ? Infinity : Date.parse(key.expires_at)
  const expiry = `the current key expires ${key.expires_at ?? 'never'}`
  if (expires <= now.getTime() + days * DAY_MS) {
    return { due: true, why: `${expiry}, within ${days} day(s)` }
  }
  if (found.length > 0) {
    return {
      due: true,
      why:
        `${expiry}, later than ${days} day(s), but leftovers of an interrupted run exist and ` +
        'only a full store proves that every destination holds one key'
    }
  }
  return { due: false, why: `${expiry}, later than ${days} day(s) from now` }
}

function inFlightError(
  { key, createdAt }: { key: HiveKey; createdAt: string },
  emergency: boolean
) {
  const after = inFlightUntil(createdAt)
  return new RotationError(
    `Another rotation seems to be in flight: key ${key.id} (${key.prefix}…) "${sanitize(key.name)}" of ` +
      `this rotation was created at ${createdAt}, after the current key, less than ` +
      `${IN_FLIGHT_MS / 60_000} minutes ago. Stopped rather than race it; nothing was changed. ` +
      `If no other run is going on (an earlier run was cancelled or killed), run again after ` +
      `${after}: it then finishes what the earlier run left. To keep two runs from overlapping, give the ` +
      'workflow a concurrency group (concurrency: { group: rotate-hive-api-key, ' +
      'cancel-in-progress: false }).' +
      (emergency
        ? ' In an emergency that cannot wait, revoke the compromised key in Hive by hand now.'
        : '')
  )
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

type DestinationRead = PreparedDestination | DestinationError

/** The value of a settled read, or its error thrown. */
function settled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason
  return result.value
}

/**
 * Every canary workflow exists and is active (read-only); the problems, every one at once. Never
 * rejects.
 */
async function checkCanaries(run: Run): Promise<string[]> {
  const { canaryWorkflows } = run.s
  const runner = run.deps.workflows
  if (canaryWorkflows.length === 0) return []
  if (!runner) return ['canary-workflows is set, but this run has no GitHub workflow runner']
  const checked = await Promise.allSettled(canaryWorkflows.map(w => runner.check(w)))
  return checked.flatMap((c, i) =>
    c.status === 'rejected' ? [`${canaryWorkflows[i].label}: ${(c.reason as Error).message}`] : []
  )
}

/** Every destination's reads, a few destinations at a time; never rejects. */
async function readDestinations(
  s: Settings,
  secrets: SecretStore,
  pending: Promise<void>[]
): Promise<DestinationRead[]> {
  const results: DestinationRead[] = []
  let next = 0
  async function worker() {
    while (next < s.destinations.length) {
      const i = next++
      try {
        results[i] = await secrets.prepare(s.destinations[i])
        const checks = results[i].pending
        if (checks) pending.push(checks)
      } catch (error) {
        results[i] = asDestinationError(error)
      }
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(READ_CONCURRENCY, s.destinations.length) }, worker)
  )
  return results
}

/**
 * Records what each destination's reads found, and fails with every problem at once. Then the
 * guard: when no destination holds a secret named `secret-name`, the key being rotated is kept
 * under another name (aphids-cli's examples say APHIDS_API_KEY), and a rotation would write a
 * secret nobody reads and revoke the key everybody reads: stop, and name the secrets that do exist.
 */
function checkDestinations(s: Settings, results: DestinationRead[], records: DestinationRecord[]) {
  records.push(
    ...s.destinations.map(d => ({ destination: d.label, status: 'not written' as const }))
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
      if (!r.secret.exists)
        record.detail = `${s.secretName} does not exist here: it will be created`
    }
  })
  if (problems.length > 0) {
    throw new RotationError(
      `${problems.length} of ${s.destinations.length} destination(s) can't be written; nothing ` +
        `was changed:\n${problems.join('\n')}`
    )
  }
  const prepared = results as PreparedDestination[]
  if (prepared.every(p => !p.secret.exists)) throw secretNowhere(s, prepared)
  return prepared
}

/** Names shown per destination in the "lives nowhere" message. */
const NAMES_SHOWN = 10

function secretNowhere(s: Settings, prepared: PreparedDestination[]): RotationError {
  const where = prepared.map(p => {
    const found = p.secret.exists ? undefined : p.secret
    const names = found?.otherNames
    if (names === undefined) return `${p.destination.label}: (its secrets could not be listed)`
    if (names.length === 0) return `${p.destination.label} holds no secrets`
    const total = found?.total ?? names.length
    const more = total > NAMES_SHOWN ? ` and ${total - NAMES_SHOWN} more` : ''
    return `${p.destination.label} holds ${names.slice(0, NAMES_SHOWN).join(', ')}${more}`
  })
  const one = prepared.length === 1
  return new RotationError(
    `${one ? 'The destination does not hold' : `None of the ${prepared.length} destinations holds`} ` +
      `a secret named ${s.secretName}, so the key being rotated is kept somewhere else. Stopped ` +
      `before anything changed: a rotation would create ${s.secretName} where nothing reads it ` +
      `and revoke the key your jobs use. ${where.join('; ')}. Set secret-name to the secret ` +
      'your jobs read (aphids-cli’s examples use APHIDS_API_KEY), or add the destination that ' +
      'holds it. To start from nothing, store the current key under that name at one ' +
      'destination first.'
  )
}
