/**
 * The post step (action.yml `runs.post`): the runner starts it after the main step whatever
 * happened, with the same inputs and the main step's journal as STATE_journal
 * (shared/design/action.md, "A `post:` step").
 *
 * - The main step ended (ok, failed, cancelled): its own clean-up ran; only the GitHub App
 *   installation tokens it minted are revoked, quietly.
 * - The main step was killed or crashed (a journal without `ended`):
 *   - a new key no write was ever sent for is revoked (no destination can hold it);
 *   - a create sent without an answer: active keys with exactly the asked name are revoked;
 *   - a new key some write was sent for is kept (a destination may hold it, invariant 1) and
 *     renamed to its `stopped` form, so the next run takes it for a leftover at once instead of
 *     waiting out the in-flight window.
 *
 * It never fails the job: every problem is a warning and it exits 0. Its Hive requests have short
 * deadlines and no long retries, so that it ends within ~15 s.
 */
import * as core from '@actions/core'
import { getSettings, type Settings } from '../settings.js'
import { HiveHttp } from '../hive/http.js'
import { HiveClient } from '../hive/client.js'
import { readJournal, JOURNAL_STATE, type JournalData } from '../rotation/journal.js'
import { stoppedName } from '../rotation/names.js'
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

  if (journal.ended === undefined) {
    outcome.killed = true
    await afterKill(settings, journal, deps, outcome).catch((error: unknown) =>
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

  if (outcome.killed && outcome.lines.length > 0 && deps.summary) {
    await deps
      .summary('Post step: clean-up after a killed run', outcome.lines)
      .catch((error: unknown) =>
        log.warning(`Could not write the job summary: ${sanitize((error as Error).message)}`)
      )
  }
  return outcome
}

async function afterKill(
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
  say(
    `The main step was killed or crashed${journal.step ? ` in step ${sanitize(journal.step)}` : ''}: cleaning up what it left.`
  )
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
  const protectedIds = new Set([journal.oldKey?.id].filter((id): id is string => !!id))
  const newKey = journal.newKey

  if (newKey && journal.revoked.includes(newKey.id)) return
  if (newKey && protectedIds.has(newKey.id)) return

  if (newKey && journal.writesSent.length === 0) {
    if (settings.mode === 'emergency') {
      // The old key is gone already in an emergency: the new one is the only way back; keep it.
      say(`Kept new key ${sanitize(newKey.id)} (${sanitize(newKey.prefix)}…): mode emergency.`)
      outcome.kept.push(newKey.id)
      return
    }
    const result = await keys.revoke(admin, newKey.id)
    outcome.revoked.push(newKey.id)
    say(
      `Revoked new key ${sanitize(newKey.id)} (${sanitize(newKey.prefix)}…): no destination was ` +
        `sent it${result === 'already-gone' ? ' (it was gone already)' : ''}. Every destination ` +
        `still holds the old key; the next run rotates again.`
    )
    return
  }

  if (!newKey && journal.createSent) {
    const asked = journal.createSent.name
    let admId: string | undefined
    try {
      admId = settings.separateAdminKey ? (await keys.current(admin)).id : undefined
    } catch {
      admId = undefined
    }
    const found = (await keys.list(admin)).filter(
      k => k.name === asked && !protectedIds.has(k.id) && k.id !== admId
    )
    for (const k of found) {
      await keys.revoke(admin, k.id)
      outcome.revoked.push(k.id)
      say(
        `Revoked key ${sanitize(k.id)} (${sanitize(k.prefix)}…), created by the killed run ` +
          `before it heard Hive's answer: no destination was sent it.`
      )
    }
    if (found.length === 0) say('The killed run’s create left no key in Hive.')
    return
  }

  if (newKey) {
    // Some write was sent: a destination may hold the new key, so it must stay active.
    outcome.kept.push(newKey.id)
    const renamed = stoppedName(settings.keyName, newKey.name)
    if (renamed !== undefined && renamed !== newKey.name) {
      await keys.update(admin, newKey.id, { name: renamed })
      outcome.renamed.push({ id: newKey.id, name: renamed })
    }
    say(
      `Kept new key ${sanitize(newKey.id)} (${sanitize(newKey.prefix)}…): writes were sent to ` +
        `${journal.writesSent.map(l => sanitize(l)).join(', ')} (confirmed: ` +
        `${journal.writesConfirmed.map(l => sanitize(l)).join(', ') || 'none'}), so a destination ` +
        `may hold it; ${renamed ? 'marked it stopped, so the next run' : 'the next run'} takes it ` +
        `for a leftover at once: it stores a new key everywhere, then prunes this one and the old key.`
    )
  }
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
