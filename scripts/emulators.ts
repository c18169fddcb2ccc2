/**
 * The emulators as a service, for running the action the way its users' own tools run it.
 *
 *   npm run local-action [-- FILE]    start the emulators where FILE (default .env, else
 *                                     .env.example) points, run the action through GitHub's
 *                                     @github/local-action with FILE's inputs as they are, check
 *                                     what the emulators then hold, stop them. Exits 1 when the
 *                                     rotation did not happen.
 *   tsx scripts/emulators.ts serve    start them and keep them up until SIGINT/SIGTERM (the
 *                                     test-action workflow runs `uses: ./` against them);
 *                                     --ca-file F adds the GitHub proxy (see startGitHubProxy)
 *   tsx scripts/emulators.ts check    ask a running `serve` what its emulators hold, and check
 *                                     the step outputs given (--rotated, --key-id, ...)
 *
 * The world is the demo's (test/support/world.ts) on fixed loopback ports and with fixed key
 * values, so that a committed .env.example can point at it, plus a read-only key no destination
 * holds. These values open nothing but the emulators in this process. Inputs the emulators do not
 * know are answered as GitHub and Hive answer them: an unknown token 401 "Bad credentials", a
 * `ghs_` token (the workflow's GITHUB_TOKEN) 403 "Resource not accessible by integration" on
 * every secrets endpoint, an unknown Hive key 401. Ports: DEFAULT_PORTS, or serve's --hive-port,
 * --github-port, --control-port and --proxy-port.
 */
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { TLSSocket } from 'node:tls'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs, parseEnv } from 'node:util'
import { CI_SCOPE, ENV, REPO, TOKEN, startWorld, type World } from '../test/support/world.js'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Key values the emulated Hive knows; the prefixes (first 7 characters) tell them apart. */
export const EMULATOR_KEYS = {
  ci: 'hv_ci00_emulator_only_not_a_real_key',
  admin: 'hv_adm0_emulator_only_not_a_real_key',
  /** Read-only, held by no destination: as hive-admin-key it shows the action's refusal. */
  readOnly: 'hv_ro00_emulator_only_not_a_real_key'
} as const
/** The token the emulated GitHub accepts (world.ts's). */
export const EMULATOR_TOKEN = TOKEN
export const DEFAULT_PORTS = { hive: 8701, github: 8702, control: 8703, proxy: 8704 } as const
/** The secret the world's destinations hold, as .env.example names them. */
const SECRET = 'HIVE_API_KEY'
const DESTINATIONS = [
  { label: 'repo:octo/app', target: REPO },
  { label: 'env:octo/app/production', target: ENV }
]

/** The world of `npm run local-action` and `serve`. */
export interface LocalWorld extends World {
  /** A read-only key that no destination holds (EMULATOR_KEYS.readOnly). */
  readOnly: { id: string; value: string }
  /** The keys there were before any run: every other key is one a run created. */
  seededKeyIds: ReadonlySet<string>
}

export async function startEmulators(
  ports: { hive?: number; github?: number } = {}
): Promise<LocalWorld> {
  const world = await startWorld(
    {},
    // Any ghs_ token is taken as the workflow's GITHUB_TOKEN, as a user may paste one.
    { workflowTokens: true },
    {
      hivePort: ports.hive,
      githubPort: ports.github,
      ciKey: EMULATOR_KEYS.ci,
      adminKey: EMULATOR_KEYS.admin
    }
  )
  const readOnly = world.hive.seedKey({
    value: EMULATOR_KEYS.readOnly,
    name: 'dashboard (read-only, in no destination)',
    permission: 'read-only',
    scope: CI_SCOPE
  })
  const seededKeyIds = new Set(world.hive.keys().map(k => k.id))
  return Object.assign(world, { readOnly, seededKeyIds })
}

// ---------------------------------------------------------------------------------------------
// What the emulators hold after a run
// ---------------------------------------------------------------------------------------------

export interface Check {
  what: string
  ok: boolean
}

/** What the run's outputs claimed, when known (the workflow has them; local-action prints them). */
export interface Claimed {
  keyId?: string
  revokedKeyIds?: string
}

/** What runs changed in the emulators: keys created or revoked, secrets written. */
export function changes(world: LocalWorld) {
  const keys = world.hive.keys()
  return {
    created: keys.filter(k => !world.seededKeyIds.has(k.id)),
    revoked: keys.filter(k => world.seededKeyIds.has(k.id) && k.revoked_at !== null),
    writes: world.github.secretWrites()
  }
}

/**
 * The outcome of a rotation, read from the emulators: every destination's secret opens to one new
 * key, Hive accepts it, and the old key answers 401. "The new key" is only ever a key a run
 * created, never the old one nor another seeded key. Ids only: no value leaves this function.
 */
export async function outcome(world: LocalWorld, claimed: Claimed = {}): Promise<Check[]> {
  const held = DESTINATIONS.map(d => world.github.secretValue(d.target, SECRET))
  const created = changes(world).created
  const newKey = created.find(k => k.value === held[0])
  const checks: Check[] = []
  const stillOld = held[0] === world.ci.value ? ' (it still opens to the old key)' : ''
  checks.push({
    what: `${DESTINATIONS[0].label} ${SECRET} opens to a key other than the old ${world.ci.id}${
      newKey ? '' : stillOld
    }`,
    ok: newKey !== undefined
  })
  for (const [i, d] of DESTINATIONS.entries()) {
    if (i === 0) continue
    checks.push({
      what: `${d.label} ${SECRET} opens to the same key`,
      ok: held[i] !== undefined && held[i] === held[0]
    })
  }
  if (newKey !== undefined) {
    checks.push({
      what: `the new key ${newKey.id} answers 200 on GET /executions-cli/executions`,
      ok: (await world.statusOf(newKey.value)) === 200
    })
    if (claimed.keyId !== undefined) {
      checks.push({
        what: `the output key-id (${claimed.keyId}) is that key`,
        ok: claimed.keyId === newKey.id
      })
    }
  }
  checks.push({
    what: `the old key ${world.ci.id} answers 401`,
    ok: (await world.statusOf(world.ci.value)) === 401
  })
  if (claimed.revokedKeyIds !== undefined) {
    checks.push({
      what: `the output revoked-key-ids (${claimed.revokedKeyIds}) names the old key`,
      ok: claimed.revokedKeyIds.split(',').includes(world.ci.id)
    })
  }
  return checks
}

/**
 * When a run changed nothing: the checks that say so (each destination still opens to the old
 * key, Hive created no key and revoked none, GitHub took no write, the old key still answers).
 * Undefined when something changed: then `outcome` says what.
 */
export async function unchanged(world: LocalWorld): Promise<Check[] | undefined> {
  const { created, revoked, writes } = changes(world)
  if (created.length > 0 || revoked.length > 0 || writes > 0) return undefined
  const checks: Check[] = DESTINATIONS.map(d => ({
    what: `${d.label} ${SECRET} still opens to the old key ${world.ci.id}`,
    ok: world.github.secretValue(d.target, SECRET) === world.ci.value
  }))
  checks.push({ what: 'Hive holds no new key and revoked none; GitHub took no write', ok: true })
  checks.push({
    what: `the old key ${world.ci.id} still answers 200`,
    ok: (await world.statusOf(world.ci.value)) === 200
  })
  return checks
}

/** What `npm run local-action` prints after the run: a heading, the checks, whether it rotated. */
export interface Report {
  heading: string
  checks: Check[]
  rotated: boolean
}

/**
 * Judges a local-action run from the emulators (and, for "refused", from the log's ::error::
 * line): a rotation is checked by `outcome`; a run that changed nothing says "refused, nothing
 * changed" (or "nothing changed", as a dry run) and checks that claim. Either way the log must
 * hold none of `secretValues` (the file's keys and token, and every key Hive knows).
 */
export async function judge(
  world: LocalWorld,
  log: string,
  secretValues: string[]
): Promise<Report> {
  const values = [...new Set([...keyValues(world), EMULATOR_TOKEN, ...secretValues])].filter(
    v => v !== ''
  )
  const noLeak = { what: 'no key value in the log', ok: leakedLines(log, values).length === 0 }
  const same = await unchanged(world)
  if (same !== undefined) {
    const refused = /::error::/.test(log)
    return {
      heading: refused ? 'The action refused, nothing changed:' : 'Nothing changed:',
      checks: [...same, noLeak],
      rotated: false
    }
  }
  const checks = [...(await outcome(world)), noLeak]
  return {
    heading: 'What the emulators hold now:',
    checks,
    rotated: checks.every(c => c.ok)
  }
}

/** Every key value the world knows (old, admin, and any the run created). */
export function keyValues(world: World): string[] {
  return world.hive.keys().map(k => k.value)
}

/**
 * Log lines holding a key value: local-action replaces masked values by ****, so none should. The
 * mask command itself (`::add-mask::VALUE`, which the runner consumes and shows nobody) is not a
 * leak: it is printed where local-action's stub of @actions/core is not the one the action loads
 * (a node_modules reached through a symlink, whose real path the stub does not match).
 */
export function leakedLines(log: string, values: string[]): string[] {
  return log
    .split('\n')
    .filter(line => values.some(v => line.includes(v) && line.trim() !== `::add-mask::${v}`))
}

export function printChecks(checks: Check[]): boolean {
  for (const c of checks) console.log(`  ${c.ok ? '✔' : '✘'} ${c.what}`)
  return checks.every(c => c.ok)
}

// ---------------------------------------------------------------------------------------------
// @github/local-action
// ---------------------------------------------------------------------------------------------

/**
 * Reads a dotenv file and finds the emulator ports in it: INPUT_HIVE-URL and GITHUB_API_URL must
 * be http://127.0.0.1:PORT, since this runs the action against the emulators, never elsewhere.
 * Every other value is the user's to change: keys and tokens the emulators do not know are
 * answered as Hive and GitHub answer them.
 */
export function emulatorPorts(file: string): { hive: number; github: number } {
  const env = parseEnv(readFileSync(file, 'utf8'))
  const port = (name: string) => {
    const match = /^http:\/\/127\.0\.0\.1:(\d{1,5})$/.exec(env[name] ?? '')
    if (!match) {
      throw new Error(
        `${file}: ${name} must be http://127.0.0.1:PORT (the emulators), got ` +
          `"${env[name] ?? ''}". For a run against a real Hive, call local-action yourself: ` +
          `npx local-action run . src/main.ts ${file}`
      )
    }
    return Number(match[1])
  }
  return { hive: port('INPUT_HIVE-URL'), github: port('GITHUB_API_URL') }
}

/** The file's secret inputs (keys, token, app key) as given, for the leak check of the log. */
export function secretInputs(file: string): string[] {
  const env = parseEnv(readFileSync(file, 'utf8'))
  return Object.entries(env)
    .filter(([name, value]) => /^INPUT_.*(KEY|TOKEN)$/i.test(name) && value)
    .map(([, value]) => value as string)
}

/**
 * The environment local-action starts in: this process's, without what a CI job or a shell may
 * carry that the action would read (INPUT_*, GITHUB_*, RUNNER_*, ACTIONS_*): the dotenv file
 * alone says what the action sees. With ACTION_NODE (see test/support/run-action.ts) its node
 * comes first on PATH, so the action runs on that version.
 */
function localActionEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(INPUT_|GITHUB_|RUNNER_|ACTIONS_)/i.test(name)) env[name] = value
  }
  if (process.env.ACTION_NODE) {
    env.PATH = `${dirname(process.env.ACTION_NODE)}${delimiter}${process.env.PATH ?? ''}`
  }
  return env
}

export interface LocalActionRun {
  code: number | null
  log: string
}

/**
 * Runs `local-action run <repo> src/main.ts <dotenv>` as a user would. The entrypoint is
 * src/main.ts, not dist/index.js: local-action imports the entrypoint and calls its exported
 * run(), after replacing @actions/core in node_modules by its own; the ncc bundle exports
 * nothing and carries its own copy of @actions/core.
 *
 * local-action exits 0 even when the action calls setFailed; what happened is in the log and,
 * better, in the emulators.
 */
export async function runLocalAction(
  dotenvFile: string,
  options: { echo?: boolean; timeoutMs?: number } = {}
): Promise<LocalActionRun> {
  const bin = join(ROOT, 'node_modules/@github/local-action/bin/local-action.js')
  const summaryFile = parseEnv(readFileSync(resolve(ROOT, dotenvFile), 'utf8')).GITHUB_STEP_SUMMARY
  if (summaryFile) {
    // local-action appends to it; start each run with an empty one. (@actions/core's own
    // summary, which runs where local-action's stub is not matched, needs it to exist.)
    mkdirSync(dirname(resolve(ROOT, summaryFile)), { recursive: true })
    writeFileSync(resolve(ROOT, summaryFile), '')
  }
  // Relative paths: local-action joins its arguments into one shell command unquoted.
  const child = spawn(process.execPath, [bin, 'run', '.', 'src/main.ts', dotenvFile], {
    cwd: ROOT,
    env: localActionEnv(),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let log = ''
  const take = (chunk: Buffer) => {
    log += chunk.toString()
    if (options.echo) process.stdout.write(chunk)
  }
  child.stdout.on('data', take)
  child.stderr.on('data', take)
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  const code = await new Promise<number | null>(done => child.on('close', c => done(c)))
  clearTimeout(timer)
  return { code, log }
}

async function localActionCommand(file: string | undefined): Promise<boolean> {
  const dotenvFile = file ?? (existsSync(join(ROOT, '.env')) ? '.env' : '.env.example')
  if (!existsSync(resolve(ROOT, dotenvFile))) {
    throw new Error(`no file ${dotenvFile}: give a dotenv file, or cp .env.example .env`)
  }
  const ports = emulatorPorts(resolve(ROOT, dotenvFile))
  const summaryFile = parseEnv(readFileSync(resolve(ROOT, dotenvFile), 'utf8')).GITHUB_STEP_SUMMARY
  const world = await startEmulators(ports)
  try {
    console.log(`Hive emulator ${world.hive.url}, GitHub emulator ${world.github.url}`)
    console.log(`Running: local-action run . src/main.ts ${dotenvFile}\n`)
    const run = await runLocalAction(dotenvFile, { echo: true })
    const report = await judge(world, run.log, secretInputs(resolve(ROOT, dotenvFile)))
    console.log(`\nlocal-action exited ${String(run.code)}. ${report.heading}`)
    if (summaryFile) console.log(`  (job summary: ${summaryFile})`)
    const ok = printChecks(report.checks)
    if (!report.rotated) console.log('The rotation did not happen: exit 1.')
    return ok && report.rotated && run.code === 0
  } finally {
    await world.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// serve and check: the emulators for the test-action workflow
// ---------------------------------------------------------------------------------------------

/**
 * On GitHub, the runner sets GITHUB_API_URL for `uses: ./` from the github context, over any
 * `env:` of the step, so the action talks to https://api.github.com. The workflow points it at
 * the emulator through a proxy instead (the action honours HTTPS_PROXY for GitHub): this one
 * accepts CONNECT to api.github.com:443 only, ends TLS with a throwaway certificate for that
 * name (trusted by the action through NODE_EXTRA_CA_CERTS) and passes the HTTP inside to the
 * GitHub emulator. Nothing leaves the machine.
 */
export async function startGitHubProxy(
  githubPort: number,
  port: number,
  caFile: string
): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'rotate-key-proxy-'))
  try {
    // openssl is on GitHub's runners and on this machine; Node cannot issue a certificate.
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
        ...['-nodes', '-days', '1', '-subj', '/CN=api.github.com'],
        ...['-addext', 'subjectAltName=DNS:api.github.com'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]
      ],
      { stdio: 'ignore' }
    )
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const key = readFileSync(join(dir, 'key.pem'))
  const cert = readFileSync(join(dir, 'cert.pem'))
  rmSync(dir, { recursive: true, force: true })
  writeFileSync(caFile, cert)

  const server = createServer((_req, res) => {
    res.writeHead(405, { 'Content-Type': 'text/plain' })
    res.end('only CONNECT api.github.com:443\n')
  })
  server.on('connect', (req, socket) => {
    if (req.url !== 'api.github.com:443') {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    const tls = new TLSSocket(socket, { isServer: true, key, cert })
    const upstream = connect(githubPort, '127.0.0.1')
    const close = () => {
      tls.destroy()
      upstream.destroy()
    }
    tls.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
    tls.pipe(upstream).pipe(tls)
  })
  await listen(server, port)
  return server
}

/** GET /outcome?key-id=…&revoked-key-ids=… answers the checks of `outcome()` as JSON. */
async function startControl(world: LocalWorld, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (req.method !== 'GET' || url.pathname !== '/outcome') {
      res.writeHead(404).end()
      return
    }
    const claimed: Claimed = {
      keyId: url.searchParams.get('key-id') ?? undefined,
      revokedKeyIds: url.searchParams.get('revoked-key-ids') ?? undefined
    }
    outcome(world, claimed).then(
      checks => {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ checks }))
      },
      (error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' })
        res.end(String(error))
      }
    )
  })
  await listen(server, port)
  return server
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', fail)
      done()
    })
  })
  return (server.address() as AddressInfo).port
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise(done => server.close(done))
}

async function serveCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'hive-port': { type: 'string', default: String(DEFAULT_PORTS.hive) },
      'github-port': { type: 'string', default: String(DEFAULT_PORTS.github) },
      'control-port': { type: 'string', default: String(DEFAULT_PORTS.control) },
      'proxy-port': { type: 'string', default: String(DEFAULT_PORTS.proxy) },
      'ca-file': { type: 'string' }
    }
  })
  const ports = {
    hive: portArg('--hive-port', values['hive-port']),
    github: portArg('--github-port', values['github-port'])
  }
  const world = await startEmulators(ports)
  const servers = [await startControl(world, portArg('--control-port', values['control-port']))]
  if (values['ca-file'] !== undefined) {
    const proxyPort = portArg('--proxy-port', values['proxy-port'])
    servers.push(await startGitHubProxy(ports.github, proxyPort, values['ca-file']))
    console.log(`GitHub proxy    http://127.0.0.1:${proxyPort} (CA ${values['ca-file']})`)
  }
  console.log(`Hive emulator   ${world.hive.url}`)
  console.log(`GitHub emulator ${world.github.url}`)
  console.log(`Old key ${world.ci.id}; ${DESTINATIONS.map(d => d.label).join(' and ')} hold it`)
  console.log('ready')
  const stop = async () => {
    await Promise.all([world.stop(), ...servers.map(close)])
    process.exit(0)
  }
  process.once('SIGINT', () => void stop())
  process.once('SIGTERM', () => void stop())
}

async function checkCommand(args: string[]): Promise<boolean> {
  const { values } = parseArgs({
    args,
    options: {
      'control-port': { type: 'string', default: String(DEFAULT_PORTS.control) },
      'key-id': { type: 'string' },
      'revoked-key-ids': { type: 'string' },
      rotated: { type: 'string' },
      destinations: { type: 'string' }
    }
  })
  const query = new URLSearchParams()
  if (values['key-id'] !== undefined) query.set('key-id', values['key-id'])
  if (values['revoked-key-ids'] !== undefined) {
    query.set('revoked-key-ids', values['revoked-key-ids'])
  }
  const port = portArg('--control-port', values['control-port'])
  const response = await fetch(`http://127.0.0.1:${port}/outcome?${query.toString()}`).catch(
    (error: unknown) => {
      throw new Error(
        `no emulators answer on 127.0.0.1:${port} (start them with serve): ${String(error)}`
      )
    }
  )
  if (!response.ok) throw new Error(`the emulators answered ${response.status}`)
  const { checks } = (await response.json()) as { checks: Check[] }
  if (values.rotated !== undefined) {
    checks.unshift({
      what: `the output rotated is true (${values.rotated})`,
      ok: values.rotated === 'true'
    })
  }
  if (values.destinations !== undefined) checks.push(...destinationsOutput(values.destinations))
  return printChecks(checks)
}

/** The `destinations` output (a JSON array): every destination of the world was updated. */
export function destinationsOutput(json: string): Check[] {
  let statuses: { destination?: unknown; status?: unknown }[] = []
  try {
    const parsed: unknown = JSON.parse(json)
    if (Array.isArray(parsed)) statuses = parsed as typeof statuses
  } catch {
    // Not JSON: every check below fails.
  }
  return DESTINATIONS.map(d => {
    const status = statuses.find(s => s.destination === d.label)?.status
    return {
      what: `the output destinations says ${d.label} was updated (${String(status)})`,
      ok: status === 'updated'
    }
  })
}

function portArg(name: string, value: string | undefined): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a port number (1-65535), got "${value ?? ''}"`)
  }
  return port
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'local-action':
      return (await localActionCommand(rest[0])) ? 0 : 1
    case 'serve':
      await serveCommand(rest)
      return -1 // keeps running until a signal
    case 'check':
      return (await checkCommand(rest)) ? 0 : 1
    default:
      console.error(
        'usage: tsx scripts/emulators.ts local-action [FILE] | serve [...] | check [...]'
      )
      return 2
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    code => {
      if (code >= 0) process.exit(code)
    },
    (error: unknown) => {
      console.error(`emulators: ${error instanceof Error ? error.message : String(error)}`)
      process.exit(1)
    }
  )
}
