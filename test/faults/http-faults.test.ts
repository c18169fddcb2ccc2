/**
 * Every call the rotation makes to Hive and GitHub, crossed with the faults a real network and
 * real proxies produce: 429 with Retry-After, 500/502/503 with HTML bodies, a timeout, a
 * malformed JSON body, a redirect. In process, over the real adapters (HiveHttp and HiveClient;
 * GitHubSecretStore over Octokit with main.ts's retry and throttling plugins), against the
 * emulators, with Hive's waits recorded instead of slept and GitHub's scaled to milliseconds.
 *
 * For each cell the table says whether the run recovers (it finishes, and the world converges) or
 * reports (it fails with a message that says what went wrong). Either way, no destination is ever
 * left holding a key Hive refuses, no key value is logged, the key goes nowhere but Hive, and a
 * run after a report converges.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startWorld, type World } from '../support/world.js'
import { Clock, inProcess, leakedInProcess, nextRunKey, useClock } from '../support/inprocess.js'
import { expectConverged, expectEveryDestinationLive } from '../support/convergence.js'
import { LoopbackServer } from '../emulators/loopback.js'
import type { Fault } from '../emulators/faults.js'

const MINUTE = 60_000
/** HiveHttp's timeout per attempt in this suite; a held answer waits much longer. */
const HIVE_TIMEOUT_MS = 300
/** How long a run may take here before it counts as hung (generous: the machine is loaded). */
const HUNG_MS = 30_000
/**
 * The GitHub client's timeout per attempt in this suite, the same as HIVE_TIMEOUT_MS: a lasting
 * timeout costs four attempts of it (twice for a read-back), most of this file's wall time.
 */
const GITHUB_TIMEOUT_MS = 300

/** One call of a clean rotation, as the emulator that answers it sees it. */
interface Call {
  system: 'hive' | 'github'
  name: string
  method: string
  path: string | RegExp
  /** Which matching request (1-based): GET /api-keys/current is asked three times. */
  nth: number
  /** What a success carries: JSON the caller reads, no body, or a body nobody reads. */
  success: 'json' | 'empty' | 'unread'
  /** The status of a success, for the malformed-body fault. */
  okStatus: number
  /** Inputs the call needs (a PATCH happens only with a grace period). */
  inputs?: Record<string, string>
}

const GRACE = { 'old-key-grace-minutes': '15' }

const KEY_ID = /^\/api-keys\/key_[A-Za-z0-9]+$/
const USAGE = /^\/api-keys\/key_[A-Za-z0-9]+\/usage$/
const VERIFY = '/executions-cli/executions'
const REPO_SECRETS = '/repos/octo/app/actions/secrets'
const ENV_SECRETS = '/repos/octo/app/environments/production/secrets'

// prettier-ignore
const CALLS: Call[] = [
  { system: 'hive', name: 'read the current key', method: 'GET', path: '/api-keys/current', nth: 1, success: 'json', okStatus: 200 },
  { system: 'hive', name: 'read the admin key', method: 'GET', path: '/api-keys/current', nth: 2, success: 'json', okStatus: 200 },
  { system: 'hive', name: 'list the active keys', method: 'GET', path: '/api-keys', nth: 1, success: 'json', okStatus: 200 },
  { system: 'hive', name: 'create the new key', method: 'POST', path: '/api-keys', nth: 1, success: 'json', okStatus: 201 },
  { system: 'hive', name: 'test the new key', method: 'GET', path: VERIFY, nth: 1, success: 'unread', okStatus: 200 },
  { system: 'hive', name: 'read the new key back', method: 'GET', path: '/api-keys/current', nth: 3, success: 'json', okStatus: 200 },
  { system: 'hive', name: 'check that the old key still answers', method: 'GET', path: KEY_ID, nth: 1, success: 'json', okStatus: 200 },
  { system: 'hive', name: "read the old key's usage", method: 'GET', path: USAGE, nth: 1, success: 'json', okStatus: 200 },
  { system: 'hive', name: 'revoke the old key', method: 'DELETE', path: KEY_ID, nth: 1, success: 'empty', okStatus: 204 },
  { system: 'hive', name: 'confirm the old key is dead', method: 'GET', path: VERIFY, nth: 2, success: 'unread', okStatus: 200 },
  { system: 'hive', name: "shorten the old key's expiry (grace)", method: 'PATCH', path: KEY_ID, nth: 1, success: 'json', okStatus: 200, inputs: GRACE },
  { system: 'github', name: "read the repository's public key", method: 'GET', path: `${REPO_SECRETS}/public-key`, nth: 1, success: 'json', okStatus: 200 },
  { system: 'github', name: "read the environment's public key", method: 'GET', path: `${ENV_SECRETS}/public-key`, nth: 1, success: 'json', okStatus: 200 },
  { system: 'github', name: "read the repository secret's metadata", method: 'GET', path: `${REPO_SECRETS}/HIVE_API_KEY`, nth: 1, success: 'json', okStatus: 200 },
  { system: 'github', name: "read the environment secret's metadata", method: 'GET', path: `${ENV_SECRETS}/HIVE_API_KEY`, nth: 1, success: 'json', okStatus: 200 },
  { system: 'github', name: 'write the repository secret', method: 'PUT', path: `${REPO_SECRETS}/HIVE_API_KEY`, nth: 1, success: 'empty', okStatus: 204 },
  { system: 'github', name: 'read the repository secret back', method: 'GET', path: `${REPO_SECRETS}/HIVE_API_KEY`, nth: 2, success: 'json', okStatus: 200 },
  { system: 'github', name: 'write the environment secret', method: 'PUT', path: `${ENV_SECRETS}/HIVE_API_KEY`, nth: 1, success: 'empty', okStatus: 204 },
  { system: 'github', name: 'read the environment secret back', method: 'GET', path: `${ENV_SECRETS}/HIVE_API_KEY`, nth: 2, success: 'json', okStatus: 200 }
]

type FaultName =
  | '429'
  | '500 html'
  | '502 html'
  | '503 html'
  | '503 html, lasting'
  | 'timeout'
  | 'timeout, lasting'
  | 'malformed json'
  | 'redirect'
  | 'redirect, lasting'
const FAULTS: FaultName[] = [
  '429',
  '500 html',
  '502 html',
  '503 html',
  '503 html, lasting',
  'timeout',
  'timeout, lasting',
  'malformed json',
  'redirect',
  'redirect, lasting'
]

type Expected = { outcome: 'recovers' } | { outcome: 'reports'; message: RegExp }

/**
 * The table: what each fault on each call must come to. A POST that failed may have been carried
 * out, so only it is not retried (a second key would be a leftover); a redirect is never followed;
 * a 2xx whose body can't be read is not what the contract describes, and is not retried.
 */
function expected(call: Call, fault: FaultName): Expected {
  const recovers: Expected = { outcome: 'recovers' }
  const reports = (message: RegExp): Expected => ({ outcome: 'reports', message })
  if (call.name === "read the old key's usage") return recovers // optional: a failure is passed over
  // Its failure leaves the old key's state unknown, which revokes nothing: the test goes on.
  if (call.name === 'check that the old key still answers') return recovers
  if (call.system === 'hive') {
    const post = call.method === 'POST'
    switch (fault) {
      case '429':
        return recovers // Hive did not process it: always retried, after Retry-After
      case '500 html':
      case '502 html':
      case '503 html':
        return post ? reports(/Hive answered 50\d .*creating the new key.*Not retried/s) : recovers
      case '503 html, lasting':
        return post
          ? reports(/Hive answered 503 .*creating the new key.*Not retried/s)
          : reports(/Hive answered 503 .*Gave up after 5 attempts/s)
      case 'timeout':
        return post ? reports(/Hive timed out .*creating the new key.*Not retried/s) : recovers
      case 'timeout, lasting':
        return post
          ? reports(/Hive timed out .*creating the new key.*Not retried/s)
          : reports(/Hive timed out/)
      case 'malformed json':
        if (call.success === 'json')
          return reports(/Hive answered 20\d with a body that is not JSON/)
        if (call.name === 'confirm the old key is dead') return reports(/still accepts it/)
        return recovers // an unread body, or a 502 (retried) where success has no body
      case 'redirect':
      case 'redirect, lasting':
        return reports(/Hive answered a redirect \(302\).*not followed/s)
    }
  }
  const write = call.method === 'PUT'
  switch (fault) {
    case '429':
      return recovers // GitHub's secondary rate limit: waited out by the throttling plugin
    case '500 html':
    case '502 html':
    case '503 html':
      return recovers // retried by the retry plugin
    case '503 html, lasting':
      return reports(/GitHub answered 503/)
    case 'timeout':
      return recovers // the attempt times out (no request waits forever), and is sent again
    case 'timeout, lasting':
      return reports(/GitHub could not be reached .*GitHub timed out: no answer within/s)
    case 'malformed json':
      // A write's read-back is read once more; a preflight read that can't be parsed stops.
      if (write || / back$/.test(call.name)) return recovers
      return /public key/.test(call.name)
        ? reports(/public key/)
        : reports(/HIVE_API_KEY .* is not what GitHub sends: the answer is not a JSON object/)
    case 'redirect':
      return recovers // never followed: an error like a network failure, and sent again
    case 'redirect, lasting':
      return reports(/GitHub could not be reached .*a redirect \(302\), which is not followed/s)
  }
}

/** The fault a cell injects, on the one request it names. */
function faultFor(call: Call, fault: FaultName, elsewhere: string): Fault {
  const at = { method: call.method, path: call.path, nth: call.nth, times: 1 }
  const html = (status: number) => ({
    ...at,
    status,
    contentType: 'text/html',
    body: `<html><head><title>${status}</title></head><body><h1>${status} Bad Gateway</h1></body></html>`
  })
  switch (fault) {
    case '429':
      return {
        ...at,
        status: 429,
        headers: { 'Retry-After': '1' },
        contentType: 'application/json',
        body:
          call.system === 'hive'
            ? JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } })
            : JSON.stringify({ message: 'You have exceeded a secondary rate limit.' })
      }
    case '500 html':
      return html(500)
    case '502 html':
      return html(502)
    case '503 html':
      return html(503)
    case '503 html, lasting':
      return { ...html(503), times: Infinity }
    case 'timeout':
      // Answered, but far later than any client should wait.
      return { ...at, status: 503, delayMs: call.system === 'hive' ? 5_000 : 10 * MINUTE }
    case 'malformed json':
      // A body cut short by a proxy. Where success has no body, the cut body comes with a 502.
      return {
        ...at,
        status: call.success === 'empty' ? 502 : call.okStatus,
        contentType: 'application/json',
        body: '{"id": "key_cut", "name": "cut sh'
      }
    case 'redirect':
      return { ...at, status: 302, headers: { Location: `${elsewhere}/somewhere` }, body: '' }
    case 'redirect, lasting':
      return { ...faultFor(call, 'redirect', elsewhere), times: Infinity }
    case 'timeout, lasting':
      return { ...faultFor(call, 'timeout', elsewhere), times: Infinity }
  }
}

/** Another origin: a redirect's target. It records what reached it, and answers 200 `{}`. */
const elsewhere = new LoopbackServer()
const reachedElsewhere: { method: string; apiKey: boolean; authorization: boolean }[] = []
let elsewhereUrl = ''
beforeAll(async () => {
  elsewhereUrl = await elsewhere.listen((req, res) => {
    reachedElsewhere.push({
      method: req.method ?? '',
      apiKey: req.headers['x-api-key'] !== undefined,
      authorization: req.headers.authorization !== undefined
    })
    req.resume()
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}')
  })
})
afterAll(() => elsewhere.close())

// One clean rotation first, untimed: the first cell would otherwise also pay for loading and
// compiling the adapters and emulators, and under load its first request can outlast
// HIVE_TIMEOUT_MS (a timeout before the 429 it was meant to meet).
beforeAll(async () => {
  const world = await startWorld()
  try {
    await inProcess(world).start()
  } finally {
    await world.stop()
  }
}, 60_000)

/** Resolves to how a run ended: 'finished', its error, or 'hung' after `hungMs`. */
async function settle(run: Promise<void>, hungMs: number): Promise<'finished' | 'hung' | Error> {
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<'hung'>(resolve => (timer = setTimeout(() => resolve('hung'), hungMs)))
  try {
    return await Promise.race([
      run.then(
        () => 'finished' as const,
        (e: unknown) => (e instanceof Error ? e : new Error(String(e)))
      ),
      hung
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** A key given grace is left to expire, not pruned: convergence is checked once it has. */
function afterGrace(call: Call, clock: Clock) {
  if (call.inputs?.['old-key-grace-minutes']) clock.advance(16 * MINUTE)
}

/** Runs one cell; returns what the run logged, for the caller's further checks. */
async function runCell(call: Call, fault: FaultName, hungMs = HUNG_MS) {
  const want = expected(call, fault)
  const world: World = await startWorld()
  try {
    const clock: Clock = useClock(world)
    reachedElsewhere.length = 0
    const emulator = call.system === 'hive' ? world.hive : world.github
    emulator.addFault(faultFor(call, fault, elsewhereUrl))
    const run = inProcess(world, {
      clock,
      inputs: call.inputs,
      http: { timeoutMs: HIVE_TIMEOUT_MS },
      githubTimeoutMs: GITHUB_TIMEOUT_MS,
      // Hive's faults don't need GitHub's plugins, which space writes a second apart.
      githubPlugins: call.system === 'github'
    })
    const ended = await settle(run.start(), hungMs)
    const reached = emulator.requests.filter(
      r =>
        r.method === call.method &&
        (typeof call.path === 'string' ? r.path === call.path : call.path.test(r.path))
    )
    const message = ended instanceof Error ? ended.message : ended

    // A redirect is not followed: the key, the token, even a sealed value stay where they were sent.
    // The credentials first, so that a failure here says which it was.
    expect(reachedElsewhere.filter(r => r.apiKey || r.authorization)).toEqual([])
    expect(reachedElsewhere).toEqual([])
    // Whatever the cell: the fault was met, every destination holds a live key, nothing leaked.
    expect(reached.length).toBeGreaterThanOrEqual(call.nth)
    expectEveryDestinationLive(world, `${fault} on "${call.name}"`)
    expect(leakedInProcess(world, [run], [message])).toEqual([])

    if (want.outcome === 'recovers') {
      expect({ ended: message }).toEqual({ ended: 'finished' })
      afterGrace(call, clock)
      expectConverged(world, `${fault} on "${call.name}"`)
      if (fault === '429' && call.system === 'hive') {
        expect(Math.max(...run.waits)).toBeGreaterThanOrEqual(1_000) // Retry-After honoured
      }
      return
    }
    expect(message).toMatch(want.message)
    expect(message).not.toMatch(/^\s+at /m) // a sentence, not a stack trace

    // The next run, with the fault gone (and past the in-flight window), converges.
    world.hive.clearFaults()
    world.github.clearFaults()
    clock.advance(11 * MINUTE)
    const next = inProcess(world, {
      clock,
      githubPlugins: false,
      inputs: { ...call.inputs, 'hive-api-key': nextRunKey(world) }
    })
    await next.start()
    afterGrace(call, clock)
    expectConverged(world, `the run after ${fault} on "${call.name}"`)
  } finally {
    await world.stop()
  }
}

const cells = CALLS.flatMap(call => FAULTS.map(fault => ({ call, fault })))

const row = (c: { call: Call; fault: FaultName }) => ({
  ...c,
  system: c.call.system,
  name: c.call.name,
  outcome: expected(c.call, c.fault).outcome
})

describe('every call × every fault: recovered, or reported with every destination live', () => {
  it.each(cells.map(row))(
    '$system: $name, $fault: $outcome',
    async ({ call, fault }) => runCell(call, fault),
    90_000
  )
})

/** Every request of a clean run is a call of the table: a call added to the rotation fails here. */
it('the table covers every request a clean rotation makes', async () => {
  const world = await startWorld()
  try {
    await inProcess(world, { githubPlugins: false }).start()
    const seen = new Map<string, number>()
    const requests = [
      ...world.hive.requests.map(r => ({ system: 'hive', ...r })),
      ...world.github.requests.map(r => ({ system: 'github', ...r }))
    ]
    const uncovered: string[] = []
    for (const r of requests) {
      const match = (c: Call) =>
        c.system === r.system &&
        c.method === r.method &&
        (typeof c.path === 'string' ? c.path === r.path : c.path.test(r.path))
      const id = `${r.system} ${r.method} ${r.path}`
      const nth = (seen.get(id) ?? 0) + 1
      seen.set(id, nth)
      if (!CALLS.some(c => match(c) && c.nth === nth)) uncovered.push(`${id} #${nth}`)
    }
    expect(uncovered).toEqual([])
  } finally {
    await world.stop()
  }
})
