/**
 * Workflows, dispatches and runs for the GitHub emulator (`github.ts`), so that tests can run the
 * action's canary for real: dispatch a consumer workflow, wait for its run, read its jobs, cancel
 * it.
 *
 * A run of behaviour `consumer` does what a real consumer job does with its secret: when its job
 * starts it reads the secret the job would see (the named environment's own, else the
 * repository's, else an org secret visible to the repository: the host resolves that), then calls
 * Hive over real HTTP (`GET /executions-cli/executions`, then `GET /api-keys/current` with
 * `X-Api-Key`) and succeeds only when both answer 200 and the key's id equals the `hive-key-id`
 * input. The value lives in a local variable of the job for the length of those two calls: no run
 * object, record or log ever holds it; a run records the key's id (`usedKeyId`) instead.
 *
 * This file holds the state and the answers; `github.ts` routes the requests to it after its own
 * authentication and the `actions` permission check.
 */
import { performance } from 'node:perf_hooks'

// ---------------------------------------------------------------------------------------------
// Public API types
// ---------------------------------------------------------------------------------------------

/**
 * What a dispatched run does:
 * - `consumer`: reads the secret and checks it with Hive (see the file comment);
 * - `fail`: does what `consumer` does, then a step `Run the tests` fails: `failure` whatever;
 * - `hang`: starts and stays `in_progress` forever (until cancelled);
 * - `cancelled`: starts, then concludes `cancelled` (as when someone cancels it in the UI);
 * - `no-run`: the dispatch is accepted (with run details, an id is even answered) but no run
 *   ever appears.
 */
export type WorkflowBehaviour = 'consumer' | 'fail' | 'hang' | 'cancelled' | 'no-run'

export type WorkflowState = 'active' | 'disabled_manually'

export interface WorkflowOptions {
  /** The workflow's `name:`; default the file name without its extension. */
  name?: string
  /** Default `active`. */
  state?: WorkflowState
  /** Has an `on: workflow_dispatch` trigger; default true. */
  dispatch?: boolean
  /** The declared `workflow_dispatch` input names; default `['hive-key-id', 'canary-id']`. */
  inputs?: string[]
  /**
   * The `run-name:` template; `${{ inputs.X }}` and `${{ github.event.inputs.X }}` are replaced
   * by the input's value ('' when not given). Default `'hive smoke ${{ inputs.canary-id }}'`;
   * null: no run-name, and the run's `display_title` is the workflow's name.
   */
  runName?: string | null
  /** The job's `environment:`; default none. */
  environment?: string
  /** The secret the job reads (`secrets.X`); default `HIVE_API_KEY`. */
  secretName?: string
  /** Default `consumer`. */
  behaviour?: WorkflowBehaviour
  /** Real ms from the dispatch to the run's completion (it starts at half); default 50. */
  runDelayMs?: number
  /** Where a consumer job calls Hive; default the emulator's `hiveUrl`. */
  hiveUrl?: string
}

/** A workflow as the emulator holds it: mutable, read at each dispatch and at each job start. */
export interface Workflow extends Required<Omit<WorkflowOptions, 'environment' | 'hiveUrl'>> {
  id: number
  /** The file name under `.github/workflows/`. */
  file: string
  environment?: string
  hiveUrl?: string
}

export type RunStatus = 'queued' | 'in_progress' | 'completed'
export type RunConclusion = 'success' | 'failure' | 'cancelled'
export type StepConclusion = RunConclusion | 'skipped'

/** Which secret a consumer job saw: the level it came from, or `none` when no level held it. */
export type SecretSource = 'environment' | 'repository' | 'organization' | 'none'

export interface JobStep {
  name: string
  number: number
  status: RunStatus
  conclusion: StepConclusion | null
}

/** A run as `runs()` returns it (a copy). Never holds a secret value. */
export interface WorkflowRunRecord {
  id: number
  /** `owner/name` as given to `addRepo`. */
  repo: string
  /** The workflow's file name. */
  workflow: string
  workflowId: number
  ref: string
  inputs: Record<string, string>
  displayTitle: string
  /** The behaviour read at dispatch. */
  behaviour: WorkflowBehaviour
  status: RunStatus
  conclusion: RunConclusion | null
  createdAt: string
  updatedAt: string
  /** When the job started (and read its secret); undefined while queued. */
  startedAt?: string
  completedAt?: string
  /** The environment the job named, read when it started. */
  environment?: string
  /** The secret name the job read, read when it started. */
  secretName?: string
  /** Where the secret the job read came from; undefined until the job reads it. */
  secretFrom?: SecretSource
  /**
   * The id of the Hive key the job read: by the emulator's `keyIdOf` when set, else the id
   * `GET /api-keys/current` answered; null when neither knows it (no secret, a key Hive
   * refused without a `keyIdOf`); undefined until the job reads its secret.
   */
  usedKeyId?: string | null
  /** The statuses Hive answered the job (0: no answer); absent for calls not made. */
  hive: { executions?: number; current?: number }
  /** The name of the step that failed, for a run that concluded `failure`. */
  failedStep?: string
  /** True when `POST …/cancel` cancelled it. */
  cancelRequested: boolean
  steps: JobStep[]
}

/** A dispatch as received (accepted or not). Inputs are not secrets; no value is ever here. */
export interface DispatchRecord {
  repo: string
  workflow: string
  ref?: string
  inputs: Record<string, string>
  returnRunDetails?: boolean
  status: number
  /** The run created (or, for `no-run`, the id answered); absent when refused. */
  runId?: number
  at: string
}

/** What the host (the GitHub emulator) gives the workflows. */
export interface WorkflowHost {
  now(): Date
  /** The API's base URL (for `url` fields). */
  apiUrl(): string
  /** `ghesVersion` of the emulator's options, when it plays GitHub Enterprise Server. */
  ghesVersion?: string
  /** Default for a workflow's `hiveUrl`; read at each job start. */
  hiveUrl(): string | undefined
  /** The id of a Hive key from its value, when the test told the emulator how (`keyIdOf`). */
  keyIdOf(value: string): string | undefined
  /**
   * The secret a job of this repository sees under `name` when it names `environment`:
   * the environment's own, else the repository's, else a visible org secret's.
   */
  secretSeenBy(
    repo: string,
    environment: string | undefined,
    name: string
  ): { value: string; from: Exclude<SecretSource, 'none'> } | undefined
}

/** An answer, in the shape `github.ts` sends. */
export interface WorkflowReply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

const DOCS = 'https://docs.github.com/rest/actions'
const DEFAULT_INPUTS = ['hive-key-id', 'canary-id']
const DEFAULT_RUN_NAME = 'hive smoke ${{ inputs.canary-id }}'
/** GitHub's limit of `workflow_dispatch` inputs. */
const MAX_INPUTS = 25
/** A consumer's Hive call gives up after this (a real job's step would time out too). */
const HIVE_TIMEOUT_MS = 10_000

/** A consumer job's steps; `fail` adds `Run the tests` (which fails) before `Complete job`. */
const CONSUMER_STEPS = ['Set up job', 'Run aphids-cli', 'Check the key id', 'Complete job']
const FAIL_STEPS = [
  'Set up job',
  'Run aphids-cli',
  'Check the key id',
  'Run the tests',
  'Complete job'
]
/** Indices in both lists. */
const RUN_CLI = 1
const CHECK_ID = 2
const TESTS = 3

function error(status: number, message: string, docs = DOCS): WorkflowReply {
  return { status, body: { message, documentation_url: docs, status: String(status) } }
}

/** GitHub's timestamps: ISO-8601 UTC without milliseconds. */
function stamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** The fields of a `Run` that `runs()` leaves out. */
const INTERNAL_RUN_FIELDS = new Set(['owner', 'name', 'workflowName', 'jobId', 'timers', 'abort'])

/** A run as the emulator holds it. */
interface Run extends WorkflowRunRecord {
  owner: string
  name: string
  workflowName: string
  jobId: number
  timers: Set<ReturnType<typeof setTimeout>>
  /** Aborts the job's Hive calls (cancel, stop). */
  abort: AbortController
}

/** Below GitHub Enterprise Server 3.21, `return_run_details` is not a permitted key. */
function refusesRunDetails(version: string | undefined): boolean {
  if (version === undefined) return false
  const match = /^(\d+)\.(\d+)/.exec(version)
  if (match === null) throw new Error(`ghesVersion is not a version: ${version}`)
  const [major, minor] = [Number(match[1]), Number(match[2])]
  return major < 3 || (major === 3 && minor < 21)
}

/** `run-name` with its `${{ inputs.X }}` expressions replaced. */
function renderRunName(template: string, inputs: Record<string, string>): string {
  return template.replace(
    /\$\{\{\s*(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)\s*\}\}/g,
    (_all, name: string) => inputs[name] ?? ''
  )
}

/**
 * The `created` filter of GitHub's search syntax: `>=T`, `>T`, `<=T`, `<T`, `A..B` or a date
 * (that whole day, UTC). Returns a predicate over epoch ms, or null when it does not parse.
 */
function createdFilter(raw: string): ((ms: number) => boolean) | null {
  // A '+' of a time zone arrives as a space when the client did not encode it.
  const text = raw.trim().replace(/ /g, '+')
  const parse = (s: string): number | null => {
    const ms = Date.parse(s)
    return Number.isNaN(ms) ? null : ms
  }
  const range = /^(.+)\.\.(.+)$/.exec(text)
  if (range !== null) {
    const [from, to] = [parse(range[1]), parse(range[2])]
    if (from === null || to === null) return null
    return ms => ms >= from && ms <= to
  }
  const op = /^(>=|<=|>|<)(.+)$/.exec(text)
  if (op !== null) {
    const at = parse(op[2])
    if (at === null) return null
    if (op[1] === '>=') return ms => ms >= at
    if (op[1] === '>') return ms => ms > at
    if (op[1] === '<=') return ms => ms <= at
    return ms => ms < at
  }
  const day = /^\d{4}-\d\d-\d\d$/.test(text) ? parse(`${text}T00:00:00Z`) : null
  if (day === null) return null
  return ms => ms >= day && ms < day + 86_400_000
}

// ---------------------------------------------------------------------------------------------
// The workflows of every repository
// ---------------------------------------------------------------------------------------------

export class Workflows {
  /** By lower-case `owner/repo`, then by lower-case file name. */
  private readonly workflows = new Map<string, Map<string, Workflow>>()
  /** Extra branches per lower-case `owner/repo`; `main` is always there. */
  private readonly branches = new Map<string, Set<string>>()
  private readonly runList: Run[] = []
  private readonly dispatchList: DispatchRecord[] = []
  private nextWorkflowId = 161_335
  private nextRunId = 30_433_642_001
  private nextJobId = 80_001_001_001

  constructor(private readonly host: WorkflowHost) {
    refusesRunDetails(host.ghesVersion) // a version that does not parse throws here, not later
  }

  // ----- set-up and inspection -----

  add(repo: string, file: string, opts: WorkflowOptions = {}): Workflow {
    const byFile = this.workflowsOf(repo, true)
    if (byFile.has(file.toLowerCase())) throw new Error(`${repo} already has workflow ${file}`)
    const workflow: Workflow = {
      id: this.nextWorkflowId++,
      file,
      name: opts.name ?? file.replace(/\.ya?ml$/, ''),
      state: opts.state ?? 'active',
      dispatch: opts.dispatch ?? true,
      inputs: [...(opts.inputs ?? DEFAULT_INPUTS)],
      runName: opts.runName === undefined ? DEFAULT_RUN_NAME : opts.runName,
      secretName: opts.secretName ?? 'HIVE_API_KEY',
      behaviour: opts.behaviour ?? 'consumer',
      runDelayMs: opts.runDelayMs ?? 50,
      ...(opts.environment === undefined ? {} : { environment: opts.environment }),
      ...(opts.hiveUrl === undefined ? {} : { hiveUrl: opts.hiveUrl })
    }
    byFile.set(file.toLowerCase(), workflow)
    return workflow
  }

  /** The live record: change it and the next dispatch (or job start) follows. */
  get(repo: string, file: string): Workflow {
    const workflow = this.workflowsOf(repo, false)?.get(file.toLowerCase())
    if (workflow === undefined) throw new Error(`${repo} has no workflow ${file}`)
    return workflow
  }

  addBranch(repo: string, branch: string): void {
    const key = repo.toLowerCase()
    const set = this.branches.get(key) ?? new Set<string>()
    set.add(branch)
    this.branches.set(key, set)
  }

  runs(repo?: string): WorkflowRunRecord[] {
    return this.runList
      .filter(r => repo === undefined || r.repo.toLowerCase() === repo.toLowerCase())
      .map(r => this.record(r))
  }

  dispatches(repo?: string): DispatchRecord[] {
    return this.dispatchList
      .filter(d => repo === undefined || d.repo.toLowerCase() === repo.toLowerCase())
      .map(d => structuredClone(d))
  }

  /** Cancel every pending step and Hive call (the emulator stops); runs keep their state. */
  stop(): void {
    for (const run of this.runList) this.halt(run)
  }

  // ----- answers (after authentication and the permission check) -----

  getWorkflow(repo: string, file: string): WorkflowReply {
    const workflow = this.find(repo, file)
    if (workflow === undefined) return error(404, 'Not Found', `${DOCS}/workflows#get-a-workflow`)
    return { status: 200, body: this.workflowView(repo, workflow) }
  }

  dispatch(repo: string, file: string, rawBody: string): WorkflowReply {
    const docs = `${DOCS}/workflows#create-a-workflow-dispatch-event`
    const record: DispatchRecord = {
      repo,
      workflow: file,
      inputs: {},
      status: 0,
      at: stamp(this.host.now())
    }
    this.dispatchList.push(record)
    const answer = (reply: WorkflowReply): WorkflowReply => {
      record.status = reply.status
      return reply
    }
    let payload: unknown
    try {
      payload = rawBody === '' ? {} : JSON.parse(rawBody)
    } catch {
      return answer(error(400, 'Problems parsing JSON', docs))
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      return answer(error(400, 'Problems parsing JSON', docs))
    }
    const body = payload as Record<string, unknown>
    if (typeof body.ref === 'string') record.ref = body.ref
    if (typeof body.return_run_details === 'boolean') {
      record.returnRunDetails = body.return_run_details
    }

    if ('return_run_details' in body && refusesRunDetails(this.host.ghesVersion)) {
      return answer(
        error(400, 'Invalid request.\n\n"return_run_details" is not a permitted key.', docs)
      )
    }
    const workflow = this.find(repo, file)
    if (workflow === undefined) return answer(error(404, 'Not Found', docs))
    if (typeof body.ref !== 'string') {
      return answer(error(422, `Invalid request.\n\n"ref" wasn't supplied.`, docs))
    }
    if (
      'return_run_details' in body &&
      typeof body.return_run_details !== 'boolean' &&
      body.return_run_details !== null
    ) {
      return answer(
        error(
          422,
          "Invalid request.\n\nFor 'properties/return_run_details', it is not a boolean.",
          docs
        )
      )
    }
    const inputs = body.inputs ?? {}
    if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) {
      return answer(
        error(422, "Invalid request.\n\nFor 'properties/inputs', it is not an object.", docs)
      )
    }
    const given: Record<string, string> = {}
    for (const [name, value] of Object.entries(inputs as Record<string, unknown>)) {
      if (typeof value === 'string') given[name] = value
      else if (typeof value === 'number' || typeof value === 'boolean') given[name] = String(value)
      else {
        return answer(
          error(422, `Invalid request.\n\nFor 'properties/${name}', it is not a string.`, docs)
        )
      }
    }
    record.inputs = given
    if (Object.keys(given).length > MAX_INPUTS) {
      return answer(
        error(
          422,
          `Invalid request.\n\nNo more than ${String(MAX_INPUTS)} properties are allowed; ` +
            `${String(Object.keys(given).length)} were supplied.`,
          docs
        )
      )
    }
    if (workflow.state !== 'active') {
      return answer(error(422, "Cannot trigger a 'workflow_dispatch' on a disabled workflow", docs))
    }
    if (!workflow.dispatch) {
      return answer(error(422, "Workflow does not have 'workflow_dispatch' trigger", docs))
    }
    const branch = body.ref.replace(/^refs\/heads\//, '')
    if (branch !== 'main' && !this.branches.get(repo.toLowerCase())?.has(branch)) {
      return answer(error(422, `No ref found for: ${body.ref}`, docs))
    }
    const unexpected = Object.keys(given).filter(name => !workflow.inputs.includes(name))
    if (unexpected.length > 0) {
      return answer(error(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`, docs))
    }

    const run = this.startRun(repo, workflow, branch, given)
    record.runId = run?.id ?? this.nextRunId++
    if (body.return_run_details !== true) return answer({ status: 204 })
    const [owner, name] = repo.split('/')
    return answer({
      status: 200,
      body: {
        workflow_run_id: record.runId,
        run_url: `${this.host.apiUrl()}/repos/${owner}/${name}/actions/runs/${String(record.runId)}`,
        html_url: `https://github.com/${owner}/${name}/actions/runs/${String(record.runId)}`
      }
    })
  }

  /** The runs of a repository, newest first, filtered by `event`, `created`, `status`. */
  listRuns(repo: string, query: URLSearchParams): WorkflowReply | { items: unknown[] } {
    let runs = this.runList.filter(r => r.repo.toLowerCase() === repo.toLowerCase())
    const event = query.get('event')
    // Every run here is a workflow_dispatch run.
    if (event !== null && event !== 'workflow_dispatch') runs = []
    const created = query.get('created')
    if (created !== null) {
      const keep = createdFilter(created)
      if (keep === null) {
        return error(
          422,
          `Invalid request.\n\nInvalid created: ${created}`,
          `${DOCS}/workflow-runs`
        )
      }
      runs = runs.filter(r => keep(Date.parse(r.createdAt)))
    }
    const status = query.get('status')
    if (status !== null) runs = runs.filter(r => r.status === status || r.conclusion === status)
    return { items: [...runs].reverse().map(r => this.runView(r)) }
  }

  getRun(repo: string, id: string): WorkflowReply {
    const run = this.findRun(repo, id)
    if (run === undefined)
      return error(404, 'Not Found', `${DOCS}/workflow-runs#get-a-workflow-run`)
    return { status: 200, body: this.runView(run) }
  }

  jobs(repo: string, id: string): WorkflowReply | { items: unknown[] } {
    const run = this.findRun(repo, id)
    if (run === undefined) return error(404, 'Not Found', `${DOCS}/workflow-jobs`)
    return {
      items: [
        {
          id: run.jobId,
          run_id: run.id,
          name: 'smoke',
          status: run.status,
          conclusion: run.conclusion,
          started_at: run.startedAt ?? run.createdAt,
          completed_at: run.completedAt ?? null,
          html_url: `https://github.com/${run.owner}/${run.name}/actions/runs/${String(run.id)}/job/${String(run.jobId)}`,
          steps: run.steps.map(s => ({ ...s }))
        }
      ]
    }
  }

  cancel(repo: string, id: string): WorkflowReply {
    const run = this.findRun(repo, id)
    if (run === undefined)
      return error(404, 'Not Found', `${DOCS}/workflow-runs#cancel-a-workflow-run`)
    if (run.status === 'completed') {
      return error(409, 'Cannot cancel a workflow run that is completed.', `${DOCS}/workflow-runs`)
    }
    run.cancelRequested = true
    this.halt(run)
    for (const step of run.steps) {
      if (step.status !== 'completed') {
        step.status = 'completed'
        step.conclusion = 'cancelled'
      }
    }
    this.complete(run, 'cancelled')
    return { status: 202, body: {} }
  }

  // ----- runs -----

  private startRun(
    repo: string,
    workflow: Workflow,
    ref: string,
    inputs: Record<string, string>
  ): Run | undefined {
    if (workflow.behaviour === 'no-run') return undefined
    const [owner, name] = repo.split('/')
    const now = stamp(this.host.now())
    const run: Run = {
      id: this.nextRunId++,
      repo,
      owner,
      name,
      workflow: workflow.file,
      workflowId: workflow.id,
      workflowName: workflow.name,
      ref,
      inputs: { ...inputs },
      displayTitle:
        workflow.runName === null ? workflow.name : renderRunName(workflow.runName, inputs),
      behaviour: workflow.behaviour,
      status: 'queued',
      conclusion: null,
      createdAt: now,
      updatedAt: now,
      hive: {},
      cancelRequested: false,
      steps: [],
      jobId: this.nextJobId++,
      timers: new Set(),
      abort: new AbortController()
    }
    this.runList.push(run)
    const delay = Math.max(0, workflow.runDelayMs)
    this.after(run, Math.floor(delay / 2), () => {
      this.jobStarts(run, workflow, performance.now() + delay - Math.floor(delay / 2))
    })
    return run
  }

  /** Run `fn` after `ms` unless the run is halted meanwhile. */
  private after(run: Run, ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      run.timers.delete(timer)
      fn()
    }, ms)
    run.timers.add(timer)
  }

  private halt(run: Run): void {
    for (const timer of run.timers) clearTimeout(timer)
    run.timers.clear()
    run.abort.abort()
  }

  private touch(run: Run): void {
    run.updatedAt = stamp(this.host.now())
  }

  private complete(run: Run, conclusion: RunConclusion, failedStep?: string): void {
    if (run.status === 'completed') return
    run.status = 'completed'
    run.conclusion = conclusion
    if (failedStep !== undefined) run.failedStep = failedStep
    run.completedAt = stamp(this.host.now())
    this.touch(run)
  }

  /** The job starts: in_progress, and (unless it only hangs or is cancelled) its steps run. */
  private jobStarts(run: Run, workflow: Workflow, doneAtMs: number): void {
    run.status = 'in_progress'
    run.startedAt = stamp(this.host.now())
    this.touch(run)
    const names = run.behaviour === 'fail' ? FAIL_STEPS : CONSUMER_STEPS
    run.steps = names.map((name, i) => ({
      name,
      number: i + 1,
      status: i === 0 ? 'completed' : i === 1 ? 'in_progress' : 'queued',
      conclusion: i === 0 ? 'success' : null
    }))
    if (run.behaviour === 'hang') return
    if (run.behaviour === 'cancelled') {
      this.after(run, Math.max(0, doneAtMs - performance.now()), () => {
        this.settleSteps(run, RUN_CLI, 'cancelled')
        this.complete(run, 'cancelled')
      })
      return
    }
    void this.consumerJob(run, workflow, doneAtMs)
  }

  /**
   * Steps from index `from` on: the first gets `conclusion`, the rest `skipped`, but `Complete
   * job` always runs (success, or cancelled with the run).
   */
  private settleSteps(run: Run, from: number, conclusion: StepConclusion): void {
    run.steps.forEach((step, i) => {
      if (i < from) return
      step.status = 'completed'
      if (step.name === 'Complete job') {
        step.conclusion = conclusion === 'cancelled' ? 'cancelled' : 'success'
      } else step.conclusion = i === from ? conclusion : 'skipped'
    })
  }

  /** What a real consumer job does with its secret (see the file comment). */
  private async consumerJob(run: Run, workflow: Workflow, doneAtMs: number): Promise<void> {
    if (workflow.environment !== undefined) run.environment = workflow.environment
    run.secretName = workflow.secretName
    const seen = this.host.secretSeenBy(run.repo, workflow.environment, workflow.secretName)
    run.secretFrom = seen?.from ?? 'none'
    // An absent secret expands to '': the job then calls Hive without a key, as a real one would.
    let value: string | undefined = seen?.value
    run.usedKeyId = value === undefined ? null : (this.host.keyIdOf(value) ?? null)
    const hiveUrl = (workflow.hiveUrl ?? this.host.hiveUrl())?.replace(/\/+$/, '')
    const signal = AbortSignal.any([run.abort.signal, AbortSignal.timeout(HIVE_TIMEOUT_MS)])

    const call = async (path: string): Promise<{ status: number; json?: unknown }> => {
      if (hiveUrl === undefined) return { status: 0 }
      try {
        const res = await fetch(`${hiveUrl}${path}`, {
          headers: value === undefined || value === '' ? {} : { 'X-Api-Key': value },
          signal
        })
        const text = await res.text()
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          // not JSON
        }
        return { status: res.status, json }
      } catch {
        return { status: 0 }
      }
    }

    let failed: number | undefined
    const executions = await call('/executions-cli/executions')
    if (run.abort.signal.aborted) return
    run.hive.executions = executions.status
    if (executions.status !== 200) failed = RUN_CLI
    else {
      run.steps[RUN_CLI].status = 'completed'
      run.steps[RUN_CLI].conclusion = 'success'
      run.steps[CHECK_ID].status = 'in_progress'
      const current = await call('/api-keys/current')
      if (run.abort.signal.aborted) return
      run.hive.current = current.status
      const id = (current.json as { id?: unknown } | undefined)?.id
      if (current.status === 200 && typeof id === 'string') {
        run.usedKeyId ??= id
        if (id !== run.inputs['hive-key-id']) failed = CHECK_ID
      } else failed = CHECK_ID
    }
    value = undefined // the job is done with it

    this.after(run, Math.max(0, doneAtMs - performance.now()), () => {
      if (failed !== undefined) {
        this.settleSteps(run, failed, 'failure')
        this.complete(run, 'failure', run.steps[failed].name)
      } else if (run.behaviour === 'fail') {
        run.steps[CHECK_ID].status = 'completed'
        run.steps[CHECK_ID].conclusion = 'success'
        this.settleSteps(run, TESTS, 'failure')
        this.complete(run, 'failure', run.steps[TESTS].name)
      } else {
        this.settleSteps(run, CHECK_ID, 'success')
        this.complete(run, 'success')
      }
    })
  }

  // ----- views -----

  private workflowsOf(repo: string, create: true): Map<string, Workflow>
  private workflowsOf(repo: string, create: false): Map<string, Workflow> | undefined
  private workflowsOf(repo: string, create: boolean): Map<string, Workflow> | undefined {
    const key = repo.toLowerCase()
    let byFile = this.workflows.get(key)
    if (byFile === undefined && create) {
      byFile = new Map()
      this.workflows.set(key, byFile)
    }
    return byFile
  }

  /** By file name or numeric id, as GitHub takes either. */
  private find(repo: string, fileOrId: string): Workflow | undefined {
    const byFile = this.workflowsOf(repo, false)
    if (byFile === undefined) return undefined
    return (
      byFile.get(fileOrId.toLowerCase()) ??
      [...byFile.values()].find(w => String(w.id) === fileOrId)
    )
  }

  private findRun(repo: string, id: string): Run | undefined {
    return this.runList.find(
      r => String(r.id) === id && r.repo.toLowerCase() === repo.toLowerCase()
    )
  }

  private workflowView(repo: string, workflow: Workflow): Record<string, unknown> {
    const [owner, name] = repo.split('/')
    const path = `.github/workflows/${workflow.file}`
    return {
      id: workflow.id,
      node_id: `W_kwDO${Buffer.from(`${repo}/${String(workflow.id)}`).toString('base64url')}`,
      name: workflow.name,
      path,
      state: workflow.state,
      url: `${this.host.apiUrl()}/repos/${owner}/${name}/actions/workflows/${String(workflow.id)}`,
      html_url: `https://github.com/${owner}/${name}/blob/main/${path}`
    }
  }

  private runView(run: Run): Record<string, unknown> {
    const api = `${this.host.apiUrl()}/repos/${run.owner}/${run.name}/actions/runs/${String(run.id)}`
    return {
      id: run.id,
      name: run.workflowName,
      display_title: run.displayTitle,
      event: 'workflow_dispatch',
      status: run.status,
      conclusion: run.conclusion,
      head_branch: run.ref,
      run_attempt: 1,
      workflow_id: run.workflowId,
      path: `.github/workflows/${run.workflow}`,
      html_url: `https://github.com/${run.owner}/${run.name}/actions/runs/${String(run.id)}`,
      url: api,
      jobs_url: `${api}/jobs`,
      cancel_url: `${api}/cancel`,
      created_at: run.createdAt,
      updated_at: run.updatedAt,
      run_started_at: run.startedAt ?? run.createdAt
    }
  }

  /** A copy of the run's public fields (the internal ones, timers and abort, stay behind). */
  private record(run: Run): WorkflowRunRecord {
    const copy: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(run)) {
      if (!INTERNAL_RUN_FIELDS.has(key)) copy[key] = value
    }
    return structuredClone(copy) as unknown as WorkflowRunRecord
  }
}
