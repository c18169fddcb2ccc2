/**
 * The post step (action.yml `runs.post`): the runner starts it after the main step whatever
 * happened, with the same inputs and the main step's journal as STATE_journal
 * (shared/design/action.md, "A `post:` step").
 *
 * - The main step ended (ok, failed, cancelled): its own clean-up ran. What it could not finish
 *   is in the journal's `todo`: a revocation that failed, a create whose key was not found yet.
 * - The main step was killed or crashed (a journal without `ended`):
 *   - a new key no write was ever sent for is revoked (no destination can hold it);
 *   - a create sent without an answer: the keys that carry the run's mark are revoked;
 *   - a new key some write was sent for is kept (a destination may hold it, invariant 1) and
 *     renamed to its `stopped` form, so the next run takes it for a leftover at once instead of
 *     waiting out the in-flight window.
 *
 * Every revocation goes through the same policy as the main step's (rotation/revocation.ts): only
 * a key the journal shows this run made (its create answer's id, or the run's mark in its name,
 * and none of the ids active before the create), never the old or admin key, and only while the
 * old key answers, checked now. A key the policy keeps is renamed stopped, for the next run.
 *
 * It never fails the job: every problem is a warning and it exits 0. Its Hive requests have short
 * deadlines and no long retries, so that it ends within ~15 s.
 */
import * as core from '@actions/core'
import { getSettings, type Settings } from '../settings.js'
import { HiveHttp } from '../hive/http.js'
import { HiveClient } from '../hive/client.js'
import {
  readJournal,
  readSeen,
  JOURNAL_STATE,
  SEEN_STATE,
  type JournalData
} from '../rotation/journal.js'
import { stoppedName } from '../rotation/names.js'
import { RevocationPolicy, whyKept } from '../rotation/revocation.js'
import { revokeInstallationTokens } from '../github/revoke-tokens.js'
import { escapeCell } from '../report/summary.js'
import { logText, redactor, sanitize } from '../text.js'

export interface PostLog {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
}

export interface PostDeps {
  getInput(name: string): string
  getState(name: string): string
  env: Record<string, string | undefined>
  mask(value: string): void
  log: PostLog
  /** Writes the job summary section; undefined: none. */
  summary?: (title: string, lines: string[]) => Promise<void>
  /** Hive request deadline per attempt (ms). */
  hiveTimeoutMs?: number
  /** The wait before a 401 of the old key is asked again; injected so tests don't wait. */
  sleep?: (ms: number) => Promise<void>
}

/** What the post step did, for its tests. */
export interface PostOutcome {
  killed: boolean
  revoked: string[]
  renamed: { id: string; name: string }[]
  kept: string[]
  lines: string[]
}

export async function post(deps: PostDeps): Promise<PostOutcome> {
  const outcome: PostOutcome = { killed: false, revoked: [], renamed: [], kept: [], lines: [] }
  const { log } = deps
  let settings: Settings
  try {
    settings = getSettings({ getInput: deps.getInput, env: deps.env, mask: deps.mask })
  } catch {
    // The main step reported the inputs already; nothing was changed with them.
    return outcome
  }
  const raw = deps.getState(JOURNAL_STATE)
  const journal = readJournal(raw)
  if (journal === undefined) {
    if (raw)
      log.warning('Post step: the main step’s journal is unreadable; nothing was cleaned up.')
    return outcome
  }
  for (const token of journal.appTokens) deps.mask(token)

  outcome.killed = journal.ended === undefined
  if (outcome.killed || journal.todo.revoke.length > 0 || journal.todo.findCreated) {
    await cleanUp(settings, journal, deps, outcome).catch((error: unknown) =>
      log.warning(`Post step: clean-up stopped: ${sanitize((error as Error).message)}`)
    )
  }

  if (journal.appTokens.length > 0 && settings.github.kind === 'app') {
    await revokeInstallationTokens(journal.appTokens, {
      baseUrl: settings.githubApiUrl,
      debug: log.debug,
      warn: log.warning
    })
    const line = `Revoked the ${journal.appTokens.length} GitHub App installation token(s) the run minted.`
    if (outcome.killed) outcome.lines.push(line)
    log.info(line)
  }

  if (outcome.lines.length > 0 && deps.summary) {
    await deps
      .summary(
        outcome.killed
          ? 'Post step: clean-up after a killed run'
          : 'Post step: what the main step left to do',
        outcome.lines
      )
      .catch((error: unknown) =>
        log.warning(`Could not write the job summary: ${sanitize((error as Error).message)}`)
      )
  }
  return outcome
}

/** The clock skew allowed when a key found by mark is judged by its creation time. */
const SKEW_MS = 5 * 60_000

async function cleanUp(
  settings: Settings,
  journal: JournalData,
  deps: PostDeps,
  outcome: PostOutcome
) {
  const { log } = deps
  const say = (line: string) => {
    outcome.lines.push(line)
    log.info(line)
  }
  if (outcome.killed) {
    say(
      `The main step was killed or crashed${journal.step ? ` in step ${sanitize(journal.step)}` : ''}: cleaning up what it left.`
    )
  } else {
    say(
      'The main step left work for the post step (a revocation that failed, or a key not found yet).'
    )
  }
  const keys = new HiveClient(
    new HiveHttp({
      baseUrl: settings.hiveUrl,
      debug: log.debug,
      timeoutMs: deps.hiveTimeoutMs ?? 4_000,
      maxAttempts: 2,
      baseDelayMs: 500,
      maxDelayMs: 1_000
    }),
    { mask: deps.mask }
  )
  const admin = settings.hiveAdminKey
  const newKey = journal.newKey
  const seen = readSeen(deps.getState(SEEN_STATE))
  const policy = new RevocationPolicy(
    keys,
    {
      keyName: settings.keyName,
      apiKey: settings.hiveApiKey,
      oldKeyId: journal.oldKey?.id,
      adminKeyId: journal.adminKeyId,
      mark: journal.mark,
      asked: journal.createSent?.name,
      ownIds: new Set([...(newKey ? [newKey.id] : []), ...journal.todo.revoke]),
      knownIds: seen ?? new Set(),
      madeAfter: seen ? undefined : new Date(Date.parse(journal.started) - SKEW_MS).toISOString()
    },
    {
      sleep: deps.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms))),
      debug: log.debug
    }
  )
  if (journal.oldKey && journal.revoked.includes(journal.oldKey.id)) policy.oldKeyRevoked()

  // The keys of this run that no destination can hold, to revoke (or keep, if the policy says).
  const candidates = new Map<string, { id: string; prefix: string; name?: string }>()
  const gone = (id: string) => journal.revoked.includes(id)
  if (outcome.killed && newKey && journal.writesSent.length === 0 && !gone(newKey.id)) {
    candidates.set(newKey.id, newKey)
  }
  for (const id of journal.todo.revoke) {
    if (!gone(id)) candidates.set(id, id === newKey?.id ? newKey : { id, prefix: '?' })
  }
  if (!newKey && journal.createSent && (outcome.killed || journal.todo.findCreated)) {
    const found = (await keys.list(admin)).filter(k => policy.isOwn(k) && !gone(k.id))
    for (const k of found) candidates.set(k.id, k)
    if (found.length === 0) say('The run’s create left no key in Hive.')
  }

  for (const key of candidates.values()) {
    const which = `${sanitize(key.id)} (${sanitize(key.prefix)}…)`
    if (!policy.isOwn(key)) {
      say(`Left key ${which} alone: nothing proves the run made it.`)
      continue
    }
    const fate = await policy.revokeNew(admin, key)
    if (fate.revoked) {
      outcome.revoked.push(key.id)
      say(
        `Revoked key ${which}, made by the run: no destination was sent it, and the old key ` +
          `answered just now${fate.outcome === 'already-gone' ? ' (it was gone already)' : ''}. ` +
          'Every destination still holds the old key; the next run rotates again.'
      )
      continue
    }
    outcome.kept.push(key.id)
    const renamed = await markStopped(keys, admin, settings.keyName, key, outcome)
    say(
      `Kept key ${which}, made by the run: ${whyKept(fate)}. ` +
        (renamed
          ? 'Marked it stopped, so the next run starts at once and prunes it.'
          : 'The next run prunes it.')
    )
  }

  if (outcome.killed && newKey && journal.writesSent.length > 0 && !gone(newKey.id)) {
    // Some write was sent: a destination may hold the new key, so it must stay active.
    outcome.kept.push(newKey.id)
    const renamed = await markStopped(keys, admin, settings.keyName, newKey, outcome)
    say(
      `Kept new key ${sanitize(newKey.id)} (${sanitize(newKey.prefix)}…): writes were sent to ` +
        `${journal.writesSent.map(l => sanitize(l)).join(', ')} (confirmed: ` +
        `${journal.writesConfirmed.map(l => sanitize(l)).join(', ') || 'none'}), so a destination ` +
        `may hold it; ${renamed ? 'marked it stopped, so the next run' : 'the next run'} takes it ` +
        `for a leftover at once: it stores a new key everywhere, then prunes this one and the old key.`
    )
  }
}

/** Renames a kept key of the run to its stopped form (names.ts); true when it did. */
async function markStopped(
  keys: HiveClient,
  admin: string,
  keyName: string,
  key: { id: string; name?: string },
  outcome: PostOutcome
): Promise<boolean> {
  const renamed = key.name === undefined ? undefined : stoppedName(keyName, key.name)
  if (renamed === undefined || renamed === key.name) return false
  await keys.update(admin, key.id, { name: renamed })
  outcome.renamed.push({ id: key.id, name: renamed })
  return true
}

/** The action's post step as the runner starts it. */
export async function runPost(): Promise<void> {
  const secrets = redactor()
  const text = (m: string) => logText(m, secrets.values)
  const mask = (value: string) => {
    core.setSecret(value)
    secrets.add(value)
  }
  // Mask every credential input at once, before anything can print.
  for (const name of ['hive-api-key', 'hive-admin-key', 'github-token', 'app-private-key']) {
    const value = core.getInput(name)
    if (value) mask(value)
  }
  try {
    await post({
      getInput: name => core.getInput(name),
      getState: name => core.getState(name),
      env: process.env,
      mask,
      log: {
        info: m => core.info(text(m)),
        warning: m => core.warning(text(m)),
        debug: m => core.debug(text(m))
      },
      summary: async (title, lines) => {
        await core.summary
          .addHeading(escapeCell(title, secrets.values), 3)
          .addList(lines.map(l => escapeCell(l, secrets.values)))
          .write()
      }
    })
  } catch (error) {
    core.warning(text(`Post step: ${(error as Error).message}`))
  }
  // Never fail the job because of a clean-up problem.
  process.exitCode = 0
}
