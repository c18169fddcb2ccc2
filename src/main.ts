import * as core from '@actions/core'
import { getSettings, SettingsError, type Settings } from './settings.js'
import type { Log } from './rotation/rotate.js'
import type { SecretStore, WorkflowRunner } from './rotation/ports.js'
import { emptyReport, heldKey, type RotationReport } from './rotation/report.js'
import { writeInputProblems, writeOutputs, writeSummary } from './report/summary.js'
import { logText, oneLine, redactor, type Redactor } from './text.js'
import type { Journal } from './rotation/journal.js'
import { neverCancelled, type Cancellation } from './cancel.js'
import { compileWasmOnce } from './wasm-flags.js'

/**
 * What the action prints, all of it filtered on the way out (text.ts): no outside text becomes a
 * workflow command, and no secret leaves, whatever a module upstream forgot. Only the runner's
 * own commands (add-mask, group markers, and the ::error::/::warning::/::debug:: that core wraps
 * around these texts) are written unfiltered, by @actions/core itself.
 */
interface Out {
  log: Log
  error(message: string): void
  setFailed(message: string): void
  setOutput(name: string, value: string): void
}

function filteredOutput(secrets: Redactor): Out {
  const text = (message: string) => logText(message, secrets.values)
  return {
    log: {
      info: message => core.info(text(message)),
      warning: message => core.warning(text(message)),
      debug: message => core.debug(text(message)),
      group: (name, fn) => core.group(oneLine(name, secrets.values), fn)
    },
    error: message => core.error(text(message)),
    setFailed: message => core.setFailed(text(message)),
    setOutput: (name, value) => core.setOutput(name, oneLine(value, secrets.values))
  }
}

/**
 * The action: settings, then the rotation, then the report. This is the one place that fails the
 * run; every error on the way is a sentence for the user, never a stack trace.
 */
export async function run({
  cancellation = neverCancelled()
}: { cancellation?: Cancellation } = {}): Promise<void> {
  // Every secret goes to the runner's mask and to our own redactor (every printed text).
  const secrets = redactor()
  const out = filteredOutput(secrets)
  const { log } = out
  const mask = (value: string) => {
    core.setSecret(value)
    secrets.add(value)
  }
  cancellation.onStop(signal =>
    log.warning(
      `Received ${signal}: cancelling. No new request starts; the step in progress is brought ` +
        'to its safe state, and the log and job summary say what was left.'
    )
  )
  try {
    await rotation(secrets, out, mask, cancellation)
  } catch (error) {
    out.setFailed(describe(error, log))
  }
}

async function rotation(
  secrets: Redactor,
  out: Out,
  mask: (value: string) => void,
  cancellation: Cancellation
) {
  const { log } = out
  let settings: Settings
  try {
    settings = getSettings({ getInput: name => core.getInput(name), env: process.env, mask })
    // Before the run loads libsodium; a run refused on its inputs never gets here.
    compileWasmOnce()
  } catch (error) {
    if (!(error instanceof SettingsError)) return out.setFailed(describe(error, log))
    for (const problem of error.problems) out.error(problem)
    out.setFailed(`${error.problems.length} input problem(s), listed above; nothing was changed.`)
    await writeInputProblems(error.problems, core.summary, secrets.values).catch(() => undefined)
    return
  }
  log.debug(
    `Settings: hive-url ${settings.hiveUrl}, GitHub API ${settings.githubApiUrl}, ` +
      `secret ${settings.secretName}, destinations ${settings.destinations.map(d => d.label).join(' ')}, ` +
      `key-name "${settings.keyName}", separate admin key ${settings.separateAdminKey}, ` +
      `dry-run ${settings.dryRun}, mode ${settings.mode}, grace ${settings.oldKeyGraceMinutes} ` +
      `min, prune ${settings.prune}, rotate if expiring within ` +
      `${settings.rotateIfExpiringWithinDays ?? '(always)'} day(s)`
  )
  if (settings.mode === 'audit') return audit(settings, secrets, out, cancellation)

  // The Hive side and the rotation's steps are loaded only now that the settings are valid (the
  // GitHub side in secretStore): a bad input fails before any of it loads or compiles.
  const [
    { HiveHttp },
    { HiveClient },
    { rotate },
    { Journal },
    { journaledKeys, journaledSecrets },
    { loopbackTestHookMs }
  ] = await Promise.all([
    import('./hive/http.js'),
    import('./hive/client.js'),
    import('./rotation/rotate.js'),
    import('./rotation/journal.js'),
    import('./rotation/journaled.js'),
    import('./http/agent.js')
  ])
  // The journal, for the post step: each fact saved in the step state the moment it happens.
  const journal = new Journal((name, value) => core.saveState(name, value), settings.mode)
  const hive = new HiveClient(
    new HiveHttp({ baseUrl: settings.hiveUrl, debug: log.debug, cancellation }),
    {
      mask
    }
  )
  const keys = journaledKeys(hive, journal)
  const report = emptyReport(settings.dryRun, settings.mode)
  let failure: string | undefined
  try {
    // The GitHub side loads while the preflight's Hive requests are in flight: its first use
    // (a destination's public key) waits for it, the Hive requests of that round do not.
    const github = gitHubSide(settings, mask, log, report, journal, cancellation)
    const { store, workflows } = whenLoaded(github, settings.canaryWorkflows.length > 0)
    const secrets = journaledSecrets(store, journal)
    const now = () => new Date()
    // Test hook: the canary's pace against a loopback emulator (a real GitHub: every 5 s).
    const canaryPollMs = loopbackTestHookMs(
      'HIVE_ROTATE_KEY_CANARY_POLL_MS',
      settings.githubApiUrl,
      process.env
    )
    await rotate(
      settings,
      { keys, secrets, workflows, mask, log, now, journal, cancellation, canaryPollMs },
      report
    )
  } catch (error) {
    failure = describe(error, log)
  }

  await log.group('Report', async () => {
    const now = new Date()
    writeOutputs(report, out, secrets.values, now)
    log.info(`Outputs set: rotated=${report.rotated}, key-id=${heldKeyId(report)}.`)
    try {
      await writeSummary(report, failure, core.summary, secrets.values, now)
      log.info('Job summary written.')
    } catch (error) {
      log.warning(`Could not write the job summary: ${(error as Error).message}`)
    }
  })
  if (failure) out.setFailed(failure)
  // The last act: the post step finds the main step ended, with its own clean-up done.
  journal.ended(report.cancelled ? 'cancelled' : failure ? 'failed' : 'ok')
}

/**
 * mode audit: every active key against Hive's best practices (audit/audit.ts), then its report:
 * outputs, the report file, the job summary. It changes nothing and loads no GitHub code; its own
 * code and the Hive side load only now that the settings are valid. The step fails when the audit
 * could not be made, or when a finding reaches fail-on.
 */
async function audit(settings: Settings, secrets: Redactor, out: Out, cancellation: Cancellation) {
  const { log } = out
  const [{ HiveHttp }, { HiveClient }, { auditKeys }, report] = await Promise.all([
    import('./hive/http.js'),
    import('./hive/client.js'),
    import('./audit/audit.js'),
    import('./audit/report.js')
  ])
  const hive = new HiveClient(
    new HiveHttp({ baseUrl: settings.hiveUrl, debug: log.debug, cancellation })
  )
  let result: Awaited<ReturnType<typeof auditKeys>> | undefined
  let failure: string | undefined
  try {
    result = await auditKeys(settings, {
      hive,
      log,
      annotate: (level, message) => (level === 'error' ? out.error : log.warning)(message),
      now: () => new Date()
    })
  } catch (error) {
    failure = describe(error, log)
  }

  await log.group('Report', async () => {
    let path: string | undefined
    if (result) {
      out.setOutput('findings', report.findingsOutput(result, secrets.values))
      try {
        const document = report.reportDocument(result, settings, secrets.values)
        path = await report.writeReportFile(document, settings.runnerTemp)
        out.setOutput('report-path', path)
        log.info(`Report file written: ${path}`)
      } catch (error) {
        failure = `Could not write the report file under ${settings.runnerTemp}: ${describe(error, log)}`
      }
      failure ??= report.verdict(result, settings.failOn)
    }
    try {
      await report.writeAuditSummary(result, settings, failure, path, core.summary, secrets.values)
      log.info('Job summary written.')
    } catch (error) {
      log.warning(`Could not write the job summary: ${(error as Error).message}`)
    }
  })
  if (failure) out.setFailed(failure)
}

/**
 * The GitHub side: the secret store, and with canary-workflows the workflow runner; mode check
 * needs no GitHub credential and never reads or writes. The GitHub side (@actions/github,
 * Octokit's plugins, bottleneck) is loaded here, after the settings are valid, and never in mode
 * check.
 */
async function gitHubSide(
  settings: Settings,
  mask: (value: string) => void,
  log: Log,
  report: RotationReport,
  journal: Journal,
  cancellation: Cancellation
): Promise<{ store: SecretStore; workflows?: WorkflowRunner }> {
  if (settings.mode === 'check') {
    const refuse = async (): Promise<never> => {
      throw new Error('mode check reads no secrets and writes none')
    }
    return { store: { prepare: refuse, write: refuse } }
  }
  const [{ createGitHubClients }, { GitHubSecretStore }, { GitHubWorkflows }] = await Promise.all([
    import('./github/auth.js'),
    import('./github/store.js'),
    import('./github/workflows.js')
  ])
  // GitHub's warnings (shadowing, a kept org visibility, rate limits) go to the summary too.
  const warn = (message: string) => {
    log.warning(message)
    report.warnings.push(message)
  }
  const github = createGitHubClients(settings.github, {
    baseUrl: settings.githubApiUrl,
    warn,
    debug: log.debug,
    mask,
    onInstallationToken: token => journal.appToken(token),
    cancellation
  })
  const store = new GitHubSecretStore(github, {
    secretName: settings.secretName,
    destinations: settings.destinations,
    workflowRepository: settings.workflowRepository,
    warn,
    debug: log.debug,
    sealAhead: !settings.dryRun
  })
  if (settings.canaryWorkflows.length === 0) return { store }
  return { store, workflows: new GitHubWorkflows(github, webOrigin(settings.githubApiUrl)) }
}

/**
 * The GitHub side as ports that wait for it to load: every call awaits the load first, so that
 * the run can start its Hive requests meanwhile. A load that failed fails every call.
 */
function whenLoaded(
  loading: Promise<{ store: SecretStore; workflows?: WorkflowRunner }>,
  canary: boolean
): { store: SecretStore; workflows?: WorkflowRunner } {
  loading.catch(() => undefined)
  const store = async () => (await loading).store
  const runner = async () => {
    const { workflows } = await loading
    if (!workflows) throw new Error('no workflow runner: canary-workflows is empty')
    return workflows
  }
  return {
    store: {
      prepare: async d => (await store()).prepare(d),
      write: async (p, name, value) => (await store()).write(p, name, value)
    },
    ...(canary
      ? {
          workflows: {
            check: async w => (await runner()).check(w),
            dispatch: async (w, inputs) => (await runner()).dispatch(w, inputs),
            findRun: async (w, marker, since) => (await runner()).findRun(w, marker, since),
            state: async (w, id) => (await runner()).state(w, id),
            failedSteps: async (w, id) => (await runner()).failedSteps(w, id),
            cancel: async (w, id) => (await runner()).cancel(w, id)
          }
        }
      : {})
  }
}

/**
 * GitHub's web origin, where a canary run's page must be: GITHUB_SERVER_URL when the runner sets
 * it, else the API's own origin without its `api.` host part (github.com) or /api/v3 (GHES).
 */
function webOrigin(apiUrl: string): string {
  const server = process.env.GITHUB_SERVER_URL
  try {
    if (server) return new URL(server).origin
    const api = new URL(apiUrl)
    if (api.hostname.startsWith('api.')) api.hostname = api.hostname.slice(4)
    return api.origin
  } catch {
    return ''
  }
}

/** An error as one sentence for the user; its stack only in the debug log. */
function describe(error: unknown, log: Log): string {
  if (error instanceof Error && error.stack) log.debug(error.stack)
  return error instanceof Error ? error.message : String(error)
}

function heldKeyId(report: RotationReport) {
  return heldKey(report)?.id ?? 'none'
}

/**
 * The last resort of index.ts, for what escaped run(): printed as run() prints, filtered, though
 * no secret is known here any more (the runner's masks still apply).
 */
export function failUnexpected(error: unknown): void {
  process.exitCode = 1
  filteredOutput(redactor()).setFailed(error instanceof Error ? error.message : String(error))
}
