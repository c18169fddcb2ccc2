/**
 * End to end through GitHub's own local runner: `local-action run . src/main.ts <dotenv>` as a
 * subprocess, as a user runs it, with the committed .env.example pointed at emulators on free
 * ports. Judged by what the emulators hold afterwards, since local-action exits 0 whatever the
 * action reports. Also: a user's own inputs reach the action and are answered as GitHub and Hive
 * answer them (issue 21), `npm run local-action` fails when the rotation did not happen and says
 * "refused, nothing changed" when that is what happened, and the test-action workflow's set-up
 * works: the same emulator values as .env.example, and its route from https://api.github.com to
 * the GitHub emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEnv } from 'node:util'
import { parse } from 'yaml'
import { ENV, REPO } from '../support/world.js'
import { leaks, runAction } from '../support/run-action.js'
import {
  DEFAULT_PORTS,
  EMULATOR_KEYS,
  EMULATOR_TOKEN,
  ROOT,
  emulatorPorts,
  judge,
  keyValues,
  leakedLines,
  outcome,
  runLocalAction,
  secretInputs,
  startEmulators,
  startGitHubProxy,
  type LocalWorld,
  type Report
} from '../../scripts/emulators.js'

const EXAMPLE = readFileSync(join(ROOT, '.env.example'), 'utf8')
/** The workflow's own GITHUB_TOKEN, pasted as github-token: a user's likeliest mistake. */
const WORKFLOW_TOKEN = 'ghs_pasted_from_a_workflow_0123456789abcd'
/** What the action says to that token: GitHub's 403, and why a workflow's token never works. */
const WORKFLOW_TOKEN_ADVICE = [
  'repo:octo/app: GitHub answered 403 reading the public key of repository octo/app ' +
    '(repo:octo/app): Resource not accessible by integration.',
  'The workflow’s own GITHUB_TOKEN can never write secrets: if that is what github-token ' +
    'holds, pass a personal access token or a GitHub App token.'
]
// eslint-disable-next-line no-control-regex -- local-action colours its lines
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g
const dir = mkdtempSync(join(tmpdir(), 'rotate-key-local-action-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/**
 * .env.example with some assignments replaced; each must be in the file already, set or
 * commented out (`# INPUT_DRY-RUN=true`), as a user edits it.
 */
function exampleWith(values: Record<string, string>): string {
  let text = EXAMPLE
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^(# )?${name.replace(/[-]/g, '\\$&')}=.*$`, 'm')
    if (!line.test(text)) throw new Error(`.env.example has no line ${name}=`)
    text = text.replace(line, `${name}=${value}`)
  }
  return text
}

function writeDotenv(name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

describe('local-action runs the action against the emulators with .env.example', () => {
  let world: Awaited<ReturnType<typeof startEmulators>>
  let run: Awaited<ReturnType<typeof runLocalAction>>
  const summaryFile = join(dir, 'summary.md')

  beforeAll(async () => {
    world = await startEmulators() // free ports: the test may run beside `npm run local-action`
    const dotenv = writeDotenv(
      'rotate.env',
      exampleWith({
        'INPUT_HIVE-URL': world.hive.url,
        GITHUB_API_URL: world.github.url,
        GITHUB_STEP_SUMMARY: summaryFile
      })
    )
    run = await runLocalAction(dotenv)
  }, 120_000)
  afterAll(() => world.stop())

  it('ran the action through local-action, which set the outputs', () => {
    expect(run.code).toBe(0)
    expect(run.log).toContain('Running Action')
    expect(run.log).toContain('::set-output name=rotated::true')
  })

  it('every destination holds one new key that Hive accepts', async () => {
    const repoValue = world.github.secretValue(REPO, 'HIVE_API_KEY')
    const envValue = world.github.secretValue(ENV, 'HIVE_API_KEY')
    expect(repoValue).toBeDefined()
    expect(envValue).toBe(repoValue)
    expect(repoValue).not.toBe(world.ci.value)
    const newKey = world.hive.keys().find(k => k.value === repoValue)
    expect(newKey?.revoked_at).toBeNull()
    expect(await world.statusOf(repoValue ?? '')).toBe(200)
    expect(run.log).toContain(`::set-output name=key-id::${newKey?.id}`)
  })

  it('the old key answers 401', async () => {
    expect(await world.statusOf(world.ci.value)).toBe(401)
    expect(world.hive.key(world.ci.id)?.revoked_at).not.toBeNull()
  })

  it('no key value or token appears in the log or the job summary', () => {
    const values = [...keyValues(world), EMULATOR_TOKEN]
    expect(values.length).toBeGreaterThanOrEqual(4) // old, admin, new, token
    expect(leakedLines(run.log, values)).toEqual([])
    const summary = readFileSync(summaryFile, 'utf8')
    expect(summary).toContain(world.ci.id)
    expect(leakedLines(summary, values)).toEqual([])
  })
})

describe('npm run local-action', () => {
  /** A port free a moment ago, for the emulators the script starts itself. */
  async function freePort(): Promise<number> {
    const server = createServer()
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
    const { port } = server.address() as { port: number }
    await new Promise(done => server.close(done))
    return port
  }

  it('with a ghs_ token (the workflow’s GITHUB_TOKEN) as github-token: the action explains GitHub’s 403, the script says refused, nothing changed, and fails', async () => {
    const [hivePort, githubPort] = [await freePort(), await freePort()]
    const dotenv = writeDotenv(
      'workflow-token.env',
      exampleWith({
        'INPUT_HIVE-URL': `http://127.0.0.1:${hivePort}`,
        GITHUB_API_URL: `http://127.0.0.1:${githubPort}`,
        GITHUB_STEP_SUMMARY: join(dir, 'workflow-token-summary.md'),
        'INPUT_GITHUB-TOKEN': WORKFLOW_TOKEN
      })
    )
    const script = ['--import', 'tsx', 'scripts/emulators.ts', 'local-action', dotenv]
    const child = spawn(process.execPath, script, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', chunk => (out += chunk))
    child.stderr.on('data', chunk => (out += chunk))
    const code = await new Promise(done => child.on('close', done))
    const text = out.replace(ANSI_COLOUR, '')
    // The action's own words, through local-action (which prints a message's lines as they are).
    for (const line of WORKFLOW_TOKEN_ADVICE) expect(text).toContain(line)
    // The script's report: a refusal, each claim of "nothing changed" checked, no key called new.
    expect(text).toContain('The action refused, nothing changed:')
    expect(text).toMatch(/✔ repo:octo\/app HIVE_API_KEY still opens to the old key key_\w+\n/)
    expect(text).toMatch(/✔ the old key \S+ still answers 200/)
    expect(text).toContain('✔ no key value in the log')
    expect(text).not.toContain('✘')
    expect(text).not.toMatch(/new key key_/)
    expect(text).not.toContain(WORKFLOW_TOKEN)
    expect(text).toContain('The rotation did not happen: exit 1.')
    expect(code).toBe(1)
  }, 120_000)

  it('refuses a dotenv file that points anywhere but the emulators, and takes any key or token', () => {
    const file = writeDotenv(
      'real.env',
      exampleWith({ 'INPUT_HIVE-URL': 'https://api.hive.darksidesecurity.io' })
    )
    expect(() => emulatorPorts(file)).toThrow(
      /INPUT_HIVE-URL must be http:\/\/127\.0\.0\.1:PORT \(the emulators\)/
    )
    const foreign = writeDotenv(
      'key.env',
      exampleWith({
        'INPUT_HIVE-API-KEY': 'hv_someone_elses_key',
        'INPUT_GITHUB-TOKEN': 'ghs_someone_elses_token'
      }).replace(/^INPUT_HIVE-ADMIN-KEY=.*$/m, '')
    )
    expect(emulatorPorts(foreign)).toEqual({
      hive: DEFAULT_PORTS.hive,
      github: DEFAULT_PORTS.github
    })
    expect(secretInputs(foreign).sort()).toEqual([
      'ghs_someone_elses_token',
      'hv_someone_elses_key'
    ])
  })

  it('.env.example points at the ports the script and the workflow use', () => {
    expect(emulatorPorts(join(ROOT, '.env.example'))).toEqual({
      hive: DEFAULT_PORTS.hive,
      github: DEFAULT_PORTS.github
    })
  })
})

describe('the test-action workflow', () => {
  const workflow = parse(readFileSync(join(ROOT, '.github/workflows/test-action.yml'), 'utf8')) as {
    jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>
  }
  const step = Object.values(workflow.jobs)
    .flatMap(job => job.steps)
    .find(s => s.uses === './')

  it('runs uses: ./ with the emulator values of .env.example', () => {
    const env = parseEnv(EXAMPLE)
    expect(step?.with).toEqual({
      'hive-url': env['INPUT_HIVE-URL'],
      'hive-api-key': EMULATOR_KEYS.ci,
      'hive-admin-key': EMULATOR_KEYS.admin,
      'github-token': EMULATOR_TOKEN,
      destinations: `${(env['INPUT_DESTINATIONS'] ?? '').split(',').join('\n')}\n`
    })
    expect(env['INPUT_HIVE-API-KEY']).toBe(EMULATOR_KEYS.ci)
  })
})

describe("the workflow's route to the GitHub emulator", () => {
  let world: Awaited<ReturnType<typeof startEmulators>>
  let proxy: Awaited<ReturnType<typeof startGitHubProxy>>
  let proxyUrl: string
  const caFile = join(dir, 'emulator-ca.pem')

  beforeAll(async () => {
    world = await startEmulators()
    const githubPort = Number(new URL(world.github.url).port)
    proxy = await startGitHubProxy(githubPort, 0, caFile)
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`
  })
  afterAll(async () => {
    proxy.closeAllConnections()
    await new Promise(done => proxy.close(done))
    await world.stop()
  })

  it('the bundled action, told GITHUB_API_URL https://api.github.com as on a runner, rotates into the emulator', async () => {
    const run = await runAction({
      inputs: {
        'hive-url': world.hive.url,
        'hive-api-key': EMULATOR_KEYS.ci,
        'hive-admin-key': EMULATOR_KEYS.admin,
        'github-token': EMULATOR_TOKEN,
        destinations: 'repo:octo/app\nenv:octo/app/production'
      },
      env: {
        GITHUB_API_URL: 'https://api.github.com',
        GITHUB_REPOSITORY: 'hive/rotate-key',
        HTTPS_PROXY: proxyUrl,
        NODE_EXTRA_CA_CERTS: caFile
      }
    })
    expect(run.code).toBe(0)
    const checks = await outcome(world, {
      keyId: run.outputs['key-id'],
      revokedKeyIds: run.outputs['revoked-key-ids']
    })
    expect(checks.filter(c => !c.ok)).toEqual([])
    expect(checks.length).toBeGreaterThanOrEqual(6)
    expect(leaks(run, [...keyValues(world), EMULATOR_TOKEN])).toEqual([])
  })

  it('tunnels nothing but api.github.com:443', async () => {
    const answer = await new Promise<string>((done, fail) => {
      const socket = connectTo(proxyUrl)
      socket.on('error', fail)
      let text = ''
      socket.on('data', chunk => (text += chunk.toString()))
      socket.on('close', () => done(text))
      socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
    })
    expect(answer).toMatch(/^HTTP\/1\.1 403/)
  })
})

function connectTo(url: string) {
  const { hostname, port } = new URL(url)
  return connect(Number(port), hostname)
}

/**
 * Issue 21, item 3: a user's own inputs, each on a world of its own. Every run reaches the action,
 * gets the answer GitHub or Hive would give, and changes nothing; the report says so.
 *
 * `npm run local-action` itself runs the first of them (a ghs_ token) above: proof that a token
 * the emulators never issued reaches the action through local-action, and that the script prints
 * "refused, nothing changed". Here each dotenv file is fed to the bundled action, whose log is
 * judged as the script judges local-action's: what these test is the emulators' answer, the
 * action's message and the report, which do not depend on the runner. A local-action run costs
 * about 8 s of CPU (its `npm exec`, its `npm ls`, tsx compiling it), a bundled run under half a
 * second, and the suite is bound by CPU (docs/development.md).
 */
describe("a user's own inputs, judged as npm run local-action judges them", () => {
  const cases = {
    // The workflow's GITHUB_TOKEN pasted as github-token: GitHub's 403 on every secrets endpoint.
    workflowToken: { 'INPUT_GITHUB-TOKEN': WORKFLOW_TOKEN },
    // A token GitHub does not know (a typo, a revoked PAT): 401 "Bad credentials".
    unknownToken: { 'INPUT_GITHUB-TOKEN': 'github_pat_nobody_knows_this_one_0123456789' },
    // The read-only CI key alone, without hive-admin-key: it cannot create keys.
    readOnlyAlone: { 'INPUT_HIVE-ADMIN-KEY': '' },
    // Not a mistake: a dry run, which changes nothing and is no refusal.
    dryRun: { 'INPUT_DRY-RUN': 'true' }
  }
  // Two more mistakes have the same answers in the bundled action's own end-to-end tests: a
  // read-only hive-admin-key (failures.e2e.test.ts, "admin checks") and a hive-api-key Hive
  // answers 401 (recovery.e2e.test.ts).
  type Case = keyof typeof cases
  const runs = {} as Record<Case, { world: LocalWorld; log: string; report: Report }>

  /** The bundled action with a dotenv file's values, as local-action would have passed them. */
  async function runBundle(dotenv: string): Promise<string> {
    const values = parseEnv(readFileSync(dotenv, 'utf8'))
    const inputs: Record<string, string> = {}
    const env: Record<string, string> = {}
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) continue
      if (name.startsWith('INPUT_')) inputs[name.slice('INPUT_'.length).toLowerCase()] = value
      else env[name] = value
    }
    const run = await runAction({ inputs, env })
    return `${run.stdout}\n${run.stderr}`
  }

  beforeAll(async () => {
    await Promise.all(
      (Object.keys(cases) as Case[]).map(async name => {
        const world = await startEmulators()
        try {
          const dotenv = writeDotenv(
            `${name}.env`,
            exampleWith({
              ...cases[name],
              'INPUT_HIVE-URL': world.hive.url,
              GITHUB_API_URL: world.github.url,
              GITHUB_STEP_SUMMARY: join(dir, `${name}-summary.md`)
            })
          )
          const log = await runBundle(dotenv)
          runs[name] = { world, log, report: await judge(world, log, secretInputs(dotenv)) }
        } finally {
          await world.stop()
        }
      })
    )
  }, 240_000)

  /** The ::error:: line local-action printed for setFailed, ANSI colours removed. */
  function failure(name: Case): string {
    // The runner's @actions/core escapes a message's line breaks (%0A); local-action's stand-in
    // for it prints them as they are: the message's list then follows on lines of its own.
    const lines = runs[name].log.replace(ANSI_COLOUR, '').split('\n')
    const at = lines.findIndex(l => l.startsWith('::error::'))
    if (at < 0) return ''
    const rest = lines.slice(at + 1)
    const list = rest.slice(
      0,
      Math.max(
        0,
        rest.findIndex(l => !l.startsWith('  - '))
      )
    )
    return [lines[at], ...list].join('\n').replace(/%0A/g, '\n')
  }

  /** Nothing changed, and the report says so: refused, every claim checked, no leak. */
  function expectRefusedNothingChanged(name: Case) {
    const { world, report } = runs[name]
    expect(world.hive.keys().filter(k => !world.seededKeyIds.has(k.id))).toEqual([])
    expect(world.hive.keys().filter(k => k.revoked_at !== null)).toEqual([])
    expect(world.hive.requests.filter(r => r.method !== 'GET')).toEqual([])
    expect(world.github.requests.filter(r => r.method !== 'GET')).toEqual([])
    expect(world.github.secretValue(REPO, 'HIVE_API_KEY')).toBe(world.ci.value)
    expect(world.github.secretValue(ENV, 'HIVE_API_KEY')).toBe(world.ci.value)
    expect(report.heading).toBe('The action refused, nothing changed:')
    expect(report.rotated).toBe(false)
    expect(report.checks.filter(c => !c.ok)).toEqual([])
    expect(report.checks.map(c => c.what)).toContain('no key value in the log')
    // No check ever calls a key "new" when none was made.
    expect(report.checks.filter(c => /new key key_/.test(c.what))).toEqual([])
  }

  it('a ghs_ token (the workflow’s GITHUB_TOKEN) gets GitHub’s 403, and the action explains it', () => {
    const { world } = runs.workflowToken
    const secrets = world.github.requests.filter(r => r.path.includes('/secrets'))
    expect(secrets.length).toBeGreaterThan(0)
    expect(new Set(secrets.map(r => `${r.status} ${r.token}`))).toEqual(
      new Set(['403 workflow GITHUB_TOKEN (ghs_…)'])
    )
    const text = failure('workflowToken')
    for (const line of WORKFLOW_TOKEN_ADVICE) expect(text).toContain(line)
    expectRefusedNothingChanged('workflowToken')
  })

  it('an unknown token gets GitHub’s 401 "Bad credentials"', () => {
    const { world } = runs.unknownToken
    expect(world.github.requests.length).toBeGreaterThan(0)
    expect(new Set(world.github.requests.map(r => `${r.status} ${r.token}`))).toEqual(
      new Set(['401 (unknown)'])
    )
    expect(failure('unknownToken')).toContain(
      'GitHub answered 401 reading the public key of repository octo/app (repo:octo/app): Bad ' +
        'credentials. github-token is invalid or expired.'
    )
    expectRefusedNothingChanged('unknownToken')
  })

  it('a read-only key without hive-admin-key: refused before any change, it needs an admin key', () => {
    expect(failure('readOnlyAlone')).toContain(
      'hive-api-key (no hive-admin-key given) has permission read-only; creating and revoking ' +
        'keys needs admin.'
    )
    expectRefusedNothingChanged('readOnlyAlone')
  })

  it('a dry run: nothing changed, and the report says so without calling it a refusal', () => {
    const { world, log, report } = runs.dryRun
    expect(log).toContain('Dry run: nothing was changed.')
    expect(log).not.toContain('::error::')
    expect(world.hive.requests.filter(r => r.method !== 'GET')).toEqual([])
    expect(world.github.requests.filter(r => r.method !== 'GET')).toEqual([])
    expect(report.heading).toBe('Nothing changed:')
    expect(report.rotated).toBe(false)
    expect(report.checks.filter(c => !c.ok)).toEqual([])
    expect(report.checks.map(c => c.what)).toContainEqual(
      expect.stringMatching(/^repo:octo\/app HIVE_API_KEY still opens to the old key key_\w+$/)
    )
    expect(report.checks.map(c => c.what)).toContainEqual(
      expect.stringMatching(/^the old key \S+ still answers 200/)
    )
    expect(report.checks.filter(c => /new key key_/.test(c.what))).toEqual([])
  })
})

describe('the printed checks never call the old key the new one', () => {
  let world: LocalWorld
  beforeAll(async () => {
    world = await startEmulators()
  })
  afterAll(() => world.stop())

  it('after no run at all, outcome() names no new key, and judge() says nothing changed', async () => {
    const checks = await outcome(world)
    expect(checks.filter(c => c.what.includes('new key'))).toEqual([])
    expect(checks[0]).toEqual({
      what: `repo:octo/app HIVE_API_KEY opens to a key other than the old ${world.ci.id} (it still opens to the old key)`,
      ok: false
    })
    const report = await judge(world, '::error::refused for a reason\n', [])
    expect(report.heading).toBe('The action refused, nothing changed:')
    expect(report.checks.every(c => c.ok)).toBe(true)
  })

  it('a created key that no destination holds is not "the new key", and the run is no rotation', async () => {
    // A run that created a key and then failed before the store (what an e2e fault leaves).
    const made = world.hive.seedKey({ name: 'made by a run', permission: 'read-only' })
    const report = await judge(world, '::error::the store failed\n', [])
    expect(report.heading).toBe('What the emulators hold now:')
    expect(report.rotated).toBe(false)
    expect(report.checks.filter(c => c.what.includes(made.id))).toEqual([])
    expect(report.checks.filter(c => /new key/.test(c.what))).toEqual([])
  })
})
