/**
 * End to end through GitHub's own local runner: `local-action run . src/main.ts <dotenv>` as a
 * subprocess, as a user runs it, with the committed .env.example pointed at emulators on free
 * ports. Judged by what the emulators hold afterwards, since local-action exits 0 whatever the
 * action reports. Also: `npm run local-action` fails when the rotation did not happen, and the
 * test-action workflow's set-up works: the same emulator values as .env.example, and its route
 * from https://api.github.com to the GitHub emulator.
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
  keyValues,
  leakedLines,
  outcome,
  runLocalAction,
  startEmulators,
  startGitHubProxy
} from '../../scripts/emulators.js'

const EXAMPLE = readFileSync(join(ROOT, '.env.example'), 'utf8')
const dir = mkdtempSync(join(tmpdir(), 'rotate-key-local-action-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** .env.example with some assignments replaced; each must be in the file already. */
function exampleWith(values: Record<string, string>): string {
  let text = EXAMPLE
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^${name.replace(/[-]/g, '\\$&')}=.*$`, 'm')
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

  it('fails, saying what the emulators hold, when the run rotated nothing (dry-run)', async () => {
    const [hivePort, githubPort] = [await freePort(), await freePort()]
    const dotenv = writeDotenv(
      'dry-run.env',
      exampleWith({
        'INPUT_HIVE-URL': `http://127.0.0.1:${hivePort}`,
        GITHUB_API_URL: `http://127.0.0.1:${githubPort}`,
        GITHUB_STEP_SUMMARY: join(dir, 'dry-run-summary.md')
      }).replace('# INPUT_DRY-RUN=true', 'INPUT_DRY-RUN=true')
    )
    const script = ['--import', 'tsx', 'scripts/emulators.ts', 'local-action', dotenv]
    const child = spawn(process.execPath, script, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', chunk => (out += chunk))
    child.stderr.on('data', chunk => (out += chunk))
    const code = await new Promise(done => child.on('close', done))
    expect(out).toContain('Dry run: nothing was changed.')
    expect(out).toMatch(/✘ repo:octo\/app HIVE_API_KEY opens to a key other than the old/)
    expect(out).toMatch(/✘ the old key \S+ answers 401/)
    expect(code).toBe(1)
  }, 120_000)

  it('refuses a dotenv file that points anywhere but the emulators', () => {
    const file = writeDotenv(
      'real.env',
      exampleWith({ 'INPUT_HIVE-URL': 'https://api.hive.darksidesecurity.io' })
    )
    expect(() => emulatorPorts(file)).toThrow(
      /INPUT_HIVE-URL must be http:\/\/127\.0\.0\.1:PORT \(the emulators\)/
    )
    const foreignKey = writeDotenv(
      'key.env',
      exampleWith({ 'INPUT_HIVE-API-KEY': 'hv_someone_elses_key' })
    )
    expect(() => emulatorPorts(foreignKey)).toThrow(
      /INPUT_HIVE-API-KEY is not the emulators' value/
    )
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
