import * as core from '@actions/core'
import { getSettings, SettingsError, type Settings } from './settings.js'
import { HiveHttp } from './hive/http.js'
import { HiveClient } from './hive/client.js'
import { createGitHubClients } from './github/auth.js'
import { GitHubSecretStore } from './github/store.js'
import { rotate, type Log } from './rotation/rotate.js'
import type { SecretStore } from './rotation/ports.js'
import { emptyReport, heldKey, type RotationReport } from './rotation/report.js'
import { writeInputProblems, writeOutputs, writeSummary } from './report/summary.js'
import { redactor } from './text.js'

const log: Log = {
  info: message => core.info(message),
  warning: message => core.warning(message),
  debug: message => core.debug(message),
  group: (name, fn) => core.group(name, fn)
}

/**
 * The action: settings, then the rotation, then the report. This is the one place that fails the
 * run; every error on the way is a sentence for the user, never a stack trace.
 */
export async function run(): Promise<void> {
  // Every secret goes to the runner's mask and to our own redactor (outputs and summary).
  const secrets = redactor()
  const mask = (value: string) => {
    core.setSecret(value)
    secrets.add(value)
  }

  let settings: Settings
  try {
    settings = getSettings({ getInput: name => core.getInput(name), env: process.env, mask })
  } catch (error) {
    if (!(error instanceof SettingsError)) return core.setFailed(describe(error, secrets.redact))
    for (const problem of error.problems) core.error(secrets.redact(problem))
    core.setFailed(`${error.problems.length} input problem(s), listed above; nothing was changed.`)
    await writeInputProblems(error.problems, core.summary, secrets.redact).catch(() => undefined)
    return
  }
  core.debug(
    `Settings: hive-url ${settings.hiveUrl}, GitHub API ${settings.githubApiUrl}, ` +
      `secret ${settings.secretName}, destinations ${settings.destinations.map(d => d.label).join(' ')}, ` +
      `separate admin key ${settings.separateAdminKey}, dry-run ${settings.dryRun}, ` +
      `mode ${settings.mode}, grace ${settings.oldKeyGraceMinutes} min, prune ${settings.prune}, ` +
      `rotate if expiring within ${settings.rotateIfExpiringWithinDays ?? '(always)'} day(s)`
  )

  const keys = new HiveClient(new HiveHttp({ baseUrl: settings.hiveUrl, debug: core.debug }), {
    mask
  })
  const report = emptyReport(settings.dryRun, settings.mode)
  let failure: string | undefined
  try {
    await rotate(
      settings,
      {
        keys,
        secrets: secretStore(settings, mask, secrets.redact, report),
        mask,
        log,
        now: () => new Date()
      },
      report
    )
  } catch (error) {
    failure = describe(error, secrets.redact)
  }

  await core.group('Report', async () => {
    const now = new Date()
    writeOutputs(report, core, secrets.redact, now)
    core.info(`Outputs set: rotated=${report.rotated}, key-id=${heldKeyId(report)}.`)
    try {
      await writeSummary(report, failure, core.summary, secrets.redact, now)
      core.info('Job summary written.')
    } catch (error) {
      core.warning(`Could not write the job summary: ${(error as Error).message}`)
    }
  })
  if (failure) core.setFailed(failure)
}

/** The GitHub secret store; mode check needs no GitHub credential and never reads or writes. */
function secretStore(
  settings: Settings,
  mask: (value: string) => void,
  redact: (text: string) => string,
  report: RotationReport
): SecretStore {
  if (settings.mode === 'check') {
    const refuse = async (): Promise<never> => {
      throw new Error('mode check reads no secrets and writes none')
    }
    return { prepare: refuse, write: refuse }
  }
  // GitHub's warnings (shadowing, a kept org visibility, rate limits) go to the summary too.
  const warn = (message: string) => {
    core.warning(redact(message))
    report.warnings.push(message)
  }
  const debug = (message: string) => core.debug(redact(message))
  const github = createGitHubClients(settings.github, {
    baseUrl: settings.githubApiUrl,
    warn,
    debug,
    mask
  })
  return new GitHubSecretStore(github, {
    secretName: settings.secretName,
    destinations: settings.destinations,
    workflowRepository: settings.workflowRepository,
    warn,
    debug
  })
}

/** An error as one redacted sentence for the user; its stack only in the debug log. */
function describe(error: unknown, redact: (text: string) => string): string {
  if (error instanceof Error && error.stack) core.debug(redact(error.stack))
  return redact(error instanceof Error ? error.message : String(error))
}

function heldKeyId(report: RotationReport) {
  return heldKey(report)?.id ?? 'none'
}
