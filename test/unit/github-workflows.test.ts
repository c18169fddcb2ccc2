/**
 * The GitHub emulator's workflows, dispatches and runs, over real HTTP, with a real Hive emulator
 * behind the consumer runs. The canary's tests trust these runs to do what a consumer job does with
 * its secret (read the one its job sees, call Hive with it, compare the key id), so they are
 * tested here on their own.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { GitHubEmulator, type WorkflowRunRecord } from '../emulators/github.js'
import { HiveEmulator } from '../emulators/hive.js'
import { fetchAnswer, type Answer } from '../support/fetch-answer.js'

const TOKEN = 'ghp_workflowsTestToken00000000000000'
const READ_TOKEN = 'github_pat_actionsReadOnly000000000000'
const NO_ACTIONS_TOKEN = 'github_pat_noActions0000000000000000'

const REPO = 'acme/widgets'
const REPO_TARGET = { owner: 'acme', repo: 'widgets' }
const ENV_TARGET = { owner: 'acme', repo: 'widgets', environment: 'production' }
const FLOWS = '/repos/acme/widgets/actions/workflows'
const RUNS = '/repos/acme/widgets/actions/runs'
const SMOKE = 'hive-smoke.yml'

let github: GitHubEmulator
let hive: HiveEmulator
let admin: { id: string; value: string }
let live: { id: string; value: string }

beforeEach(async () => {
  hive = new HiveEmulator()
  github = new GitHubEmulator()
  await Promise.all([hive.start(), github.start()])
  github.hiveUrl = hive.url
  github.addToken(TOKEN, { label: 'pat' })
  github.addToken(READ_TOKEN, { label: 'read-only', actions: 'read' })
  github.addToken(NO_ACTIONS_TOKEN, { label: 'no-actions', actions: 'none' })
  github.addRepo(REPO)
  github.addEnvironment(REPO, 'production')
  admin = hive.seedKey({ name: 'admin' })
  live = hive.seedKey({ name: 'ci', permission: 'read-only' })
  github.setSecretPlain(REPO_TARGET, 'HIVE_API_KEY', live.value)
})

afterEach(async () => {
  await Promise.all([github.stop(), hive.stop()])
})

async function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; emu?: GitHubEmulator } = {}
): Promise<Answer<Record<string, unknown>>> {
  const emu = opts.emu ?? github
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    authorization: `Bearer ${opts.token ?? TOKEN}`
  }
  const body =
    opts.body === undefined
      ? undefined
      : typeof opts.body === 'string'
        ? opts.body
        : JSON.stringify(opts.body)
  return fetchAnswer(emu.url + path, { method, headers, body }, {})
}

function dispatch(
  body: unknown,
  file = SMOKE,
  opts: { token?: string; emu?: GitHubEmulator } = {}
) {
  return call('POST', `${FLOWS}/${file}/dispatches`, { ...opts, body })
}

/** A dispatch as the canary sends it, for the key `keyId`. */
function canaryBody(keyId: string, canaryId = 'c-1', details = true): Record<string, unknown> {
  return {
    ref: 'main',
    inputs: { 'hive-key-id': keyId, 'canary-id': canaryId },
    ...(details ? { return_run_details: true } : {})
  }
}

/** Poll the emulator's state (every 5 ms, at most 3 s) until `check` holds. */
async function until<T>(probe: () => T, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 3000
  for (;;) {
    const value = probe()
    if (check(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(value)}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

function runOf(id: unknown): WorkflowRunRecord {
  const run = github.runs().find(r => r.id === id)
  if (run === undefined) throw new Error(`no run ${String(id)}`)
  return run
}

/** Dispatch with run details and wait until the run completes. */
async function completedRun(body: Record<string, unknown>, file = SMOKE) {
  const res = await dispatch(body, file)
  expect(res.status).toBe(200)
  return until(
    () => runOf(res.json.workflow_run_id),
    r => r.status === 'completed'
  )
}

async function revoke(id: string): Promise<void> {
  const res = await fetch(`${hive.url}/api-keys/${id}`, {
    method: 'DELETE',
    headers: { 'X-Api-Key': admin.value }
  })
  await res.arrayBuffer()
  expect(res.status).toBe(204)
}

describe('workflows', () => {
  it('answers a workflow by file name or id, 404 for an unknown one', async () => {
    const added = github.addWorkflow(REPO, SMOKE, { name: 'Hive smoke' })
    const res = await call('GET', `${FLOWS}/${SMOKE}`)
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({
      id: added.id,
      name: 'Hive smoke',
      path: '.github/workflows/hive-smoke.yml',
      state: 'active'
    })
    expect(res.json.node_id).toEqual(expect.any(String))
    expect(res.json.html_url).toMatch(/^https:\/\/github\.com\/acme\/widgets\//)
    expect((await call('GET', `${FLOWS}/${String(added.id)}`)).json.id).toBe(added.id)
    expect((await call('GET', `${FLOWS}/nope.yml`)).status).toBe(404)
    expect((await call('GET', '/repos/acme/nothing/actions/workflows/x.yml')).status).toBe(404)
  })

  it('refuses to add a workflow to an unknown repository, or twice', () => {
    expect(() => github.addWorkflow('acme/nothing', SMOKE)).toThrow(/no repository/)
    github.addWorkflow(REPO, SMOKE)
    expect(() => github.addWorkflow(REPO, SMOKE)).toThrow(/already/)
  })
})

describe('dispatch', () => {
  beforeEach(() => {
    github.addWorkflow(REPO, SMOKE)
  })

  it('answers 200 with the run details when asked', async () => {
    const res = await dispatch(canaryBody(live.id))
    expect(res.status).toBe(200)
    const id = res.json.workflow_run_id as number
    expect(Object.keys(res.json).sort()).toEqual(['html_url', 'run_url', 'workflow_run_id'])
    expect(res.json.run_url).toBe(`${github.url}${RUNS}/${String(id)}`)
    expect(res.json.html_url).toBe(`https://github.com/acme/widgets/actions/runs/${String(id)}`)
    const run = await call('GET', `${RUNS}/${String(id)}`)
    expect(run.status).toBe(200)
    expect(run.json).toMatchObject({
      id,
      name: 'hive-smoke',
      display_title: 'hive smoke c-1',
      event: 'workflow_dispatch',
      workflow_id: github.workflow(REPO, SMOKE).id,
      path: '.github/workflows/hive-smoke.yml',
      html_url: res.json.html_url,
      url: res.json.run_url
    })
    for (const field of ['created_at', 'updated_at', 'run_started_at']) {
      expect(run.json[field]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    }
    expect(github.dispatches()).toEqual([
      {
        repo: REPO,
        workflow: SMOKE,
        ref: 'main',
        inputs: { 'hive-key-id': live.id, 'canary-id': 'c-1' },
        returnRunDetails: true,
        status: 200,
        runId: id,
        at: expect.any(String)
      }
    ])
  })

  it('answers 204 without a body when run details are not asked for (or false)', async () => {
    const plain = await dispatch(canaryBody(live.id, 'c-2', false))
    expect(plain.status).toBe(204)
    expect(plain.text).toBe('')
    const off = await dispatch({ ...canaryBody(live.id, 'c-3', false), return_run_details: false })
    expect(off.status).toBe(204)
    expect(github.runs(REPO).map(r => r.displayTitle)).toEqual(['hive smoke c-2', 'hive smoke c-3'])
    expect(github.dispatches().map(d => d.runId)).toEqual(github.runs().map(r => r.id))
  })

  it('takes refs/heads/main and the branches it was given', async () => {
    expect((await dispatch({ ref: 'refs/heads/main' })).status).toBe(204)
    github.addBranch(REPO, 'release')
    expect((await dispatch({ ref: 'release' })).status).toBe(204)
    expect(github.runs().map(r => r.ref)).toEqual(['main', 'release'])
  })

  it('as GHES 3.20, refuses return_run_details with 400, and takes a plain dispatch', async () => {
    const ghes = new GitHubEmulator({ ghesVersion: '3.20', basePath: '/api/v3' })
    await ghes.start()
    try {
      ghes.addToken(TOKEN)
      ghes.addRepo(REPO)
      ghes.addWorkflow(REPO, SMOKE)
      for (const details of [true, false]) {
        const refused = await dispatch(
          { ...canaryBody(live.id), return_run_details: details },
          SMOKE,
          { emu: ghes }
        )
        expect(refused.status).toBe(400)
        expect(refused.json.message).toBe(
          'Invalid request.\n\n"return_run_details" is not a permitted key.'
        )
      }
      expect(ghes.runs()).toEqual([])
      const plain = await dispatch(canaryBody(live.id, 'c-9', false), SMOKE, { emu: ghes })
      expect(plain.status).toBe(204)
      expect(ghes.runs().map(r => r.displayTitle)).toEqual(['hive smoke c-9'])
    } finally {
      await ghes.stop()
    }
    const newer = new GitHubEmulator({ ghesVersion: '3.21' })
    await newer.start()
    try {
      newer.addToken(TOKEN)
      newer.addRepo(REPO)
      newer.addWorkflow(REPO, SMOKE)
      expect((await dispatch(canaryBody(live.id), SMOKE, { emu: newer })).status).toBe(200)
    } finally {
      await newer.stop()
    }
  })

  it('answers 422 as GitHub does, and 404 for an unknown workflow; no run starts', async () => {
    github.addWorkflow(REPO, 'push-only.yml', { dispatch: false })
    github.addWorkflow(REPO, 'off.yml', { state: 'disabled_manually' })
    const cases: [unknown, string, number, string][] = [
      [
        canaryBody(live.id),
        'push-only.yml',
        422,
        "Workflow does not have 'workflow_dispatch' trigger"
      ],
      [
        canaryBody(live.id),
        'off.yml',
        422,
        "Cannot trigger a 'workflow_dispatch' on a disabled workflow"
      ],
      [
        { ref: 'main', inputs: { 'hive-key-id': 'k', x: '1' } },
        SMOKE,
        422,
        'Unexpected inputs provided: ["x"]'
      ],
      [{ ref: 'develop' }, SMOKE, 422, 'No ref found for: develop'],
      [{ inputs: {} }, SMOKE, 422, `Invalid request.\n\n"ref" wasn't supplied.`],
      [canaryBody(live.id), 'nope.yml', 404, 'Not Found'],
      ['{not json', SMOKE, 400, 'Problems parsing JSON']
    ]
    for (const [body, file, status, message] of cases) {
      const res = await dispatch(body, file)
      expect([file, res.status, res.json.message]).toEqual([file, status, message])
    }
    expect(github.runs()).toEqual([])
    expect(github.dispatches().map(d => d.status)).toEqual(cases.map(c => c[2]))
  })

  it('follows a workflow changed after it was added', async () => {
    github.workflow(REPO, SMOKE).dispatch = false
    expect((await dispatch(canaryBody(live.id))).status).toBe(422)
    Object.assign(github.workflow(REPO, SMOKE), { dispatch: true, inputs: ['x'] })
    expect((await dispatch({ ref: 'main', inputs: { x: '1' } })).status).toBe(204)
  })

  it('needs actions: write to dispatch and cancel, actions: read to read', async () => {
    const res = await dispatch(canaryBody(live.id), SMOKE, { token: READ_TOKEN })
    expect(res.status).toBe(403)
    expect(res.json.message).toBe('Resource not accessible by personal access token')
    expect(res.headers.get('x-accepted-github-permissions')).toBe('actions=write')
    expect(github.runs()).toEqual([])

    github.workflow(REPO, SMOKE).behaviour = 'hang'
    const ok = await dispatch(canaryBody(live.id))
    const runPath = `${RUNS}/${String(ok.json.workflow_run_id)}`
    expect((await call('GET', runPath, { token: READ_TOKEN })).status).toBe(200)
    expect(
      (await call('GET', `${RUNS}?event=workflow_dispatch`, { token: READ_TOKEN })).status
    ).toBe(200)
    const cancel = await call('POST', `${runPath}/cancel`, { token: READ_TOKEN })
    expect(cancel.status).toBe(403)
    expect(cancel.headers.get('x-accepted-github-permissions')).toBe('actions=write')

    const none = await call('GET', runPath, { token: NO_ACTIONS_TOKEN })
    expect(none.status).toBe(403)
    expect(none.headers.get('x-accepted-github-permissions')).toBe('actions=read')
    expect((await call('GET', runPath, { token: 'ghp_unknown' })).status).toBe(401)
  })
})

describe('listing runs', () => {
  it('lists workflow_dispatch runs newest first, by created, and finds one by its title', async () => {
    let clock = Date.parse('2026-11-28T10:00:00Z')
    const timed = new GitHubEmulator({ now: () => new Date(clock) })
    await timed.start()
    try {
      timed.addToken(TOKEN)
      timed.addRepo(REPO)
      timed.addWorkflow(REPO, SMOKE, { behaviour: 'hang' })
      const send = (canary: string) =>
        dispatch(canaryBody('k', canary, false), SMOKE, { emu: timed })
      await send('old')
      clock += 60_000
      await send('a1b2')
      clock += 1000
      await send('c3d4')

      const list = (query: string) => call('GET', `${RUNS}?${query}`, { emu: timed })
      const all = await list('event=workflow_dispatch')
      expect(all.json.total_count).toBe(3)
      const titles = (res: Answer<Record<string, unknown>>) =>
        (res.json.workflow_runs as { display_title: string }[]).map(r => r.display_title)
      expect(titles(all)).toEqual(['hive smoke c3d4', 'hive smoke a1b2', 'hive smoke old'])

      const since = await list(
        `event=workflow_dispatch&created=${encodeURIComponent('>=2026-11-28T10:00:30Z')}`
      )
      expect(titles(since)).toEqual(['hive smoke c3d4', 'hive smoke a1b2'])
      const raw = await list('event=workflow_dispatch&created=>=2026-11-28T10:01:00Z')
      expect(titles(raw)).toEqual(['hive smoke c3d4', 'hive smoke a1b2'])
      const found = (since.json.workflow_runs as { id: number; display_title: string }[]).find(r =>
        r.display_title.includes('a1b2')
      )
      expect(found?.id).toBe(timed.runs()[1].id)

      expect((await list('event=push')).json).toEqual({ total_count: 0, workflow_runs: [] })
      const one = await list('event=workflow_dispatch&per_page=1')
      expect(titles(one)).toEqual(['hive smoke c3d4'])
      expect(one.headers.get('link')).toContain('rel="next"')
      expect((await list('created=yesterday')).status).toBe(422)
    } finally {
      await timed.stop()
    }
  })

  it('titles a run by the workflow name when it has no run-name', async () => {
    github.addWorkflow(REPO, 'plain.yml', { name: 'Plain', runName: null, inputs: [] })
    expect((await dispatch({ ref: 'main' }, 'plain.yml')).status).toBe(204)
    expect(github.runs()[0].displayTitle).toBe('Plain')
  })
})

describe('a consumer run', () => {
  beforeEach(() => {
    github.addWorkflow(REPO, SMOKE)
  })

  it('goes queued, in_progress, completed, and succeeds with the live key and its id', async () => {
    github.workflow(REPO, SMOKE).runDelayMs = 120
    const res = await dispatch(canaryBody(live.id))
    const path = `${RUNS}/${String(res.json.workflow_run_id)}`
    expect((await call('GET', path)).json).toMatchObject({ status: 'queued', conclusion: null })
    await until(
      () => runOf(res.json.workflow_run_id).status,
      s => s !== 'queued'
    )
    expect((await call('GET', path)).json.status).toBe('in_progress')
    const run = await until(
      () => runOf(res.json.workflow_run_id),
      r => r.status === 'completed'
    )
    expect(run).toMatchObject({
      conclusion: 'success',
      usedKeyId: live.id,
      secretFrom: 'repository',
      secretName: 'HIVE_API_KEY',
      hive: { executions: 200, current: 200 },
      inputs: { 'hive-key-id': live.id, 'canary-id': 'c-1' },
      workflow: SMOKE,
      repo: REPO
    })
    expect(run.failedStep).toBeUndefined()
    expect((await call('GET', path)).json).toMatchObject({
      status: 'completed',
      conclusion: 'success'
    })

    const jobs = await call('GET', `${path}/jobs?filter=latest`)
    expect(jobs.status).toBe(200)
    expect(jobs.json.total_count).toBe(1)
    const [job] = jobs.json.jobs as {
      name: string
      conclusion: string
      html_url: string
      steps: { name: string; conclusion: string; number: number }[]
    }[]
    expect(job).toMatchObject({ name: 'smoke', status: 'completed', conclusion: 'success' })
    expect(job.html_url).toContain(`/actions/runs/${String(res.json.workflow_run_id)}/job/`)
    expect(job.steps.map(s => [s.number, s.name, s.conclusion])).toEqual([
      [1, 'Set up job', 'success'],
      [2, 'Run aphids-cli', 'success'],
      [3, 'Check the key id', 'success'],
      [4, 'Complete job', 'success']
    ])

    // Hive saw the two calls, with the key the secret held.
    expect(hive.requests.map(r => [r.path, r.status, r.keyId])).toEqual([
      ['/executions-cli/executions', 200, live.id],
      ['/api-keys/current', 200, live.id]
    ])
    // No secret value anywhere the emulator shows.
    const shown = JSON.stringify([github.requests, github.runs(), github.dispatches(), jobs.json])
    expect(shown).not.toContain(live.value)
  })

  it('fails at "Run aphids-cli" with a revoked key (401), and names the key it read', async () => {
    github.keyIdOf = value => hive.keys().find(k => k.value === value)?.id
    await revoke(live.id)
    const run = await completedRun(canaryBody(live.id))
    expect(run).toMatchObject({
      conclusion: 'failure',
      failedStep: 'Run aphids-cli',
      usedKeyId: live.id,
      hive: { executions: 401 }
    })
    expect(run.hive.current).toBeUndefined()
    const jobs = await call('GET', `${RUNS}/${String(run.id)}/jobs`)
    const [job] = jobs.json.jobs as {
      conclusion: string
      steps: { name: string; conclusion: string }[]
    }[]
    expect(job.conclusion).toBe('failure')
    expect(job.steps.map(s => s.conclusion)).toEqual(['success', 'failure', 'skipped', 'success'])
  })

  it('fails at "Check the key id" when the key is not the one hive-key-id names', async () => {
    const other = hive.seedKey({ name: 'new', permission: 'read-only' })
    const run = await completedRun(canaryBody(other.id))
    expect(run).toMatchObject({
      conclusion: 'failure',
      failedStep: 'Check the key id',
      usedKeyId: live.id,
      hive: { executions: 200, current: 200 }
    })
    // Once the secret holds the new key, a fresh dispatch passes.
    github.setSecretPlain(REPO_TARGET, 'HIVE_API_KEY', other.value)
    expect(await completedRun(canaryBody(other.id, 'c-2'))).toMatchObject({
      conclusion: 'success',
      usedKeyId: other.id
    })
  })

  it('reads the environment secret when the job names the environment and it shadows the repo one', async () => {
    const dead = hive.seedKey({ name: 'old', permission: 'read-only' })
    await revoke(dead.id)
    github.setSecretPlain(ENV_TARGET, 'HIVE_API_KEY', dead.value)
    github.addWorkflow(REPO, 'deploy.yml', { environment: 'production' })

    const shadowed = await completedRun(canaryBody(live.id), 'deploy.yml')
    expect(shadowed).toMatchObject({
      conclusion: 'failure',
      failedStep: 'Run aphids-cli',
      environment: 'production',
      secretFrom: 'environment',
      hive: { executions: 401 }
    })
    // The job without an environment sees the repository's secret.
    expect(await completedRun(canaryBody(live.id, 'c-2'))).toMatchObject({
      conclusion: 'success',
      secretFrom: 'repository'
    })
    // An environment without the secret falls through to the repository's.
    github.deleteSecret(ENV_TARGET, 'HIVE_API_KEY')
    expect(await completedRun(canaryBody(live.id, 'c-3'), 'deploy.yml')).toMatchObject({
      conclusion: 'success',
      secretFrom: 'repository'
    })
  })

  it('reads an org secret only where its visibility lets the repository see it', async () => {
    github.addOrg('acme')
    const other = github.addRepo('acme/other')
    github.deleteSecret(REPO_TARGET, 'HIVE_API_KEY')
    github.setSecretPlain({ owner: 'acme' }, 'HIVE_API_KEY', live.value, {
      visibility: 'selected',
      selectedRepositoryIds: [other.id]
    })
    const hidden = await completedRun(canaryBody(live.id))
    expect(hidden).toMatchObject({
      conclusion: 'failure',
      failedStep: 'Run aphids-cli',
      secretFrom: 'none',
      usedKeyId: null,
      hive: { executions: 401 }
    })
    expect(hive.requests[0].sentApiKey).toBe(false)

    github.setSecretPlain({ owner: 'acme' }, 'HIVE_API_KEY', live.value, { visibility: 'all' })
    expect(await completedRun(canaryBody(live.id, 'c-2'))).toMatchObject({
      conclusion: 'success',
      secretFrom: 'organization',
      usedKeyId: live.id
    })
  })

  it('reads the secret name its workflow names', async () => {
    github.setSecretPlain(REPO_TARGET, 'APHIDS_API_KEY', live.value)
    github.deleteSecret(REPO_TARGET, 'HIVE_API_KEY')
    github.addWorkflow(REPO, 'aphids.yml', { secretName: 'APHIDS_API_KEY' })
    expect(await completedRun(canaryBody(live.id), 'aphids.yml')).toMatchObject({
      conclusion: 'success',
      secretName: 'APHIDS_API_KEY'
    })
    expect(await completedRun(canaryBody(live.id, 'c-2'))).toMatchObject({
      conclusion: 'failure',
      secretFrom: 'none'
    })
  })

  it('fails when the workflow calls a Hive that is not there', async () => {
    github.workflow(REPO, SMOKE).hiveUrl = 'http://127.0.0.1:9'
    expect(await completedRun(canaryBody(live.id))).toMatchObject({
      conclusion: 'failure',
      failedStep: 'Run aphids-cli',
      hive: { executions: 0 }
    })
  })
})

describe('other behaviours, and cancel', () => {
  it('fail: concludes failure at "Run the tests" even with a good key', async () => {
    github.addWorkflow(REPO, SMOKE, { behaviour: 'fail' })
    const run = await completedRun(canaryBody(live.id))
    expect(run).toMatchObject({
      conclusion: 'failure',
      failedStep: 'Run the tests',
      usedKeyId: live.id,
      hive: { executions: 200, current: 200 }
    })
    expect(run.steps.map(s => s.conclusion)).toEqual([
      'success',
      'success',
      'success',
      'failure',
      'success'
    ])
  })

  it('cancelled: concludes cancelled without calling Hive', async () => {
    github.addWorkflow(REPO, SMOKE, { behaviour: 'cancelled' })
    const run = await completedRun(canaryBody(live.id))
    expect(run.conclusion).toBe('cancelled')
    expect(run.hive).toEqual({})
    expect(hive.requests).toEqual([])
  })

  it('no-run: accepts the dispatch, and no run ever appears', async () => {
    github.addWorkflow(REPO, SMOKE, { behaviour: 'no-run', runDelayMs: 5 })
    const res = await dispatch(canaryBody(live.id))
    expect(res.status).toBe(200)
    expect(res.json.workflow_run_id).toEqual(expect.any(Number))
    expect((await dispatch(canaryBody(live.id, 'c-2', false))).status).toBe(204)
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(github.runs()).toEqual([])
    expect((await call('GET', `${RUNS}/${String(res.json.workflow_run_id)}`)).status).toBe(404)
    expect((await call('GET', `${RUNS}?event=workflow_dispatch`)).json.total_count).toBe(0)
  })

  it('hang: stays in_progress until cancelled (202), then 409 on a second cancel', async () => {
    github.addWorkflow(REPO, SMOKE, { behaviour: 'hang', runDelayMs: 10 })
    const res = await dispatch(canaryBody(live.id))
    const path = `${RUNS}/${String(res.json.workflow_run_id)}`
    await until(
      () => runOf(res.json.workflow_run_id).status,
      s => s === 'in_progress'
    )
    await new Promise(resolve => setTimeout(resolve, 40))
    expect((await call('GET', path)).json.status).toBe('in_progress')

    const cancel = await call('POST', `${path}/cancel`)
    expect(cancel.status).toBe(202)
    expect(cancel.json).toEqual({})
    expect((await call('GET', path)).json).toMatchObject({
      status: 'completed',
      conclusion: 'cancelled'
    })
    expect(runOf(res.json.workflow_run_id).cancelRequested).toBe(true)
    const again = await call('POST', `${path}/cancel`)
    expect(again.status).toBe(409)
    expect(again.json.message).toBe('Cannot cancel a workflow run that is completed.')
    expect((await call('POST', `${RUNS}/999/cancel`)).status).toBe(404)
  })

  it('cancel: a consumer run cancelled while queued never reads its secret', async () => {
    github.addWorkflow(REPO, SMOKE, { runDelayMs: 200 })
    const res = await dispatch(canaryBody(live.id))
    const path = `${RUNS}/${String(res.json.workflow_run_id)}`
    expect((await call('POST', `${path}/cancel`)).status).toBe(202)
    await new Promise(resolve => setTimeout(resolve, 250))
    const run = runOf(res.json.workflow_run_id)
    expect(run).toMatchObject({ status: 'completed', conclusion: 'cancelled' })
    expect(run.secretFrom).toBeUndefined()
    expect(hive.requests).toEqual([])
  })

  it('cancel: 409 for a run that already succeeded', async () => {
    github.addWorkflow(REPO, SMOKE)
    const run = await completedRun(canaryBody(live.id))
    const res = await call('POST', `${RUNS}/${String(run.id)}/cancel`)
    expect(res.status).toBe(409)
    expect(runOf(run.id).conclusion).toBe('success')
  })
})
