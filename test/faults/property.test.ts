/**
 * A seeded property test over random fault schedules: the machine picks the cases.
 *
 * A schedule (fast-check) combines a variant of the rotation (revoke with a separate admin key,
 * a grace period, a self-managed admin key, mode emergency), a Hive behaviour (a create that
 * revokes the key being rotated, names cut at 100 characters), up to three faults each on one
 * request (a transient 5xx/429, a timeout, one 401 to a request made with hive-api-key, a GitHub
 * 403/404/5xx or timeout on a read, a write or a read-back, a create answered late, a lie), and a
 * kill of the run at a boundary between two port calls (test/support/crash.ts), picked by index
 * among the calls a clean run of the same configuration makes, or none.
 *
 * Each schedule runs in process (test/support/inprocess.ts) the way the action runs on a runner:
 * the main step with its journal (journal.ts, journaled ports as main.ts wires them), then the
 * post step (post/clean.ts) on the journal the main step saved, then, with every fault cleared,
 * next runs (and their post steps) until the world is settled, at most three (two, plus one that
 * stops as "in flight"): each a minute later, or 11 after a run that stopped as "in flight", given
 * hive-api-key = what the repository secret now holds, and the recovery inputs (permission and
 * scope explicit, and for a self-managed key the world's admin key) when that key is dead.
 *
 * Time: Hive's backoff and propagation waits are recorded or move the shared clock, the old key's
 * 401 is asked again without a wait, and the GitHub plugins (retry, throttling: slower) are used
 * only by a first run that meets a GitHub fault. What costs real time is the timeouts (250 ms an
 * attempt) and the post step's own short backoff. PROPERTY_RUNS, PROPERTY_SEED, PROPERTY_PATH and
 * PROPERTY_DEBUG (print every schedule and what happened) explore further without a change here.
 *
 * The invariants are checked after every request, in the emulators' onAnswered hooks, and at
 * the end (see `Checker`). Violations found by the hooks are collected (a hook's throw is
 * swallowed by the emulator) and asserted once the schedule has run.
 *
 * Counterexamples that fast-check found are kept below as fixed regression tests.
 */
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { post } from '../../src/post/clean.js'
import { Journal, JOURNAL_STATE, type JournalData } from '../../src/rotation/journal.js'
import { journaledKeys, journaledSecrets } from '../../src/rotation/journaled.js'
import { startWorld, type World } from '../support/world.js'
import { boundariesOf, instrument, runUntilCrash, describeBoundary } from '../support/crash.js'
import type { Boundary, PortCall, Ports } from '../support/crash.js'
import {
  Clock,
  inProcess,
  leakedInProcess,
  nextRunKey,
  SECRET,
  settingsFor,
  TARGETS,
  useClock,
  type InProcessRun
} from '../support/inprocess.js'
import type { HiveFault, HiveTamper } from '../emulators/hive.js'
import type { GitHubFault } from '../emulators/github.js'

const MINUTE = 60_000
/** HiveHttp's and the GitHub client's timeout per attempt; a "timeout" fault holds longer. */
const TIMEOUT_MS = 250
const HELD_MS = 400
/**
 * Property runs (fixed seed): 200 in `npm test` (about 35 s on the 2-core runner); `npm run
 * test:property` runs 600 more schedules of another seed (.ci/run does too).
 */
const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 200)
const SEED = Number(process.env.PROPERTY_SEED ?? 17)

// ---------------------------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------------------------

type VariantName = 'revoke' | 'grace' | 'self-managed' | 'emergency'

/** Hive requests a fault can name; KEY_ID and USAGE match any key id. */
const HIVE_CALLS = {
  current: { method: 'GET', path: '/api-keys/current' },
  list: { method: 'GET', path: '/api-keys' },
  create: { method: 'POST', path: '/api-keys' },
  verify: { method: 'GET', path: '/executions-cli/executions' },
  'get key': { method: 'GET', path: /^\/api-keys\/key_[A-Za-z0-9]+$/ },
  usage: { method: 'GET', path: /^\/api-keys\/key_[A-Za-z0-9]+\/usage$/ },
  revoke: { method: 'DELETE', path: /^\/api-keys\/key_[A-Za-z0-9]+$/ },
  patch: { method: 'PATCH', path: /^\/api-keys\/key_[A-Za-z0-9]+$/ }
} as const
type HiveCall = keyof typeof HIVE_CALLS

type GitHubCall = 'public key' | 'metadata' | 'write' | 'read-back'

type Lie =
  /** The create answered with the old key's object (with its value, or without). */
  | 'create answers the old key'
  | 'create answers the old key with its value'
  | 'create answers the admin key'
  /** The create's answer names the old key's id for the new key. */
  | 'create answer carries the old id'
  /** Every list shows the admin key under the name the run asked for (its mark included). */
  | 'list shows the admin key under the run name'
  | 'list shows the old key under the run name'
  /** The old key's check (GET /api-keys/{old id}) answers for the admin key. */
  | 'old key check answers the admin id'
  /** Every list shows the admin key named as an old leftover of this rotation. */
  | 'list shows the admin key as a leftover'
  /** Every list names the key being rotated as the admin key's successor (a predecessor chain). */
  | 'list says the old key replaced the admin key'
  /** The first GET /api-keys/current answers with the admin key's id. */
  | 'current answers the admin id'

/** How many matching requests in a row a fault answers; 'lasting': every one from `nth`. */
type Times = 1 | 2 | 'lasting'

type FaultSpec =
  | {
      kind: 'hive 5xx'
      call: HiveCall
      nth: number
      times: Times
      status: 500 | 502 | 503
      html: boolean
    }
  | { kind: 'hive 429'; call: HiveCall; nth: number }
  | { kind: 'hive timeout'; call: HiveCall; nth: number; times: Times }
  /**
   * A 401 to a request made with hive-api-key: JSON (Hive's own) or a gateway's HTML page; once,
   * or twice in a row (the old key's check asks twice before it believes a 401).
   */
  | {
      kind: 'hive 401'
      on: 'current' | 'old key check' | 'verify'
      nth: number
      times: 1 | 2
      html: boolean
    }
  | {
      kind: 'github'
      call: GitHubCall
      where: 'repo' | 'env'
      status: 403 | 404 | 500 | 502 | 503
      /** The write lands, and the answer is lost (a 5xx instead). */
      afterEffect: boolean
    }
  /** No answer in time; `afterEffect`: the write lands all the same. */
  | { kind: 'github timeout'; call: GitHubCall; where: 'repo' | 'env'; afterEffect: boolean }
  /**
   * A create the client gave up on: it took effect and its answer comes too late ('answer'), or
   * it takes effect only after the client gave up ('effect').
   */
  | { kind: 'late create'; late: 'answer' | 'effect' }
  | { kind: 'lie'; lie: Lie }

interface Schedule {
  variant: VariantName
  createRevokes: boolean
  nameMaxLength: 100 | null
  faults: FaultSpec[]
  /**
   * The kill: a boundary picked by `at` (modulo their number) among those of a clean run of the
   * same configuration, all of them or (`from: 'create'`) those from the create on, where a run
   * has most to lose; `journalFirst` puts the journal outside the crash (a kill may fall between
   * a journal entry and its request) or inside it. null: no kill.
   */
  kill: { at: number; from: 'start' | 'create'; journalFirst: boolean } | null
}

const hiveCall = fc.constantFrom(...(Object.keys(HIVE_CALLS) as HiveCall[]))
const githubCall = fc.constantFrom<GitHubCall>('public key', 'metadata', 'write', 'read-back')
const where = fc.constantFrom<'repo' | 'env'>('repo', 'env')
const nth = fc.integer({ min: 1, max: 3 })
const times = fc.constantFrom<Times>(1, 1, 2, 'lasting')

const faultArb: fc.Arbitrary<FaultSpec> = fc.oneof(
  fc.record({
    kind: fc.constant('hive 5xx' as const),
    call: hiveCall,
    nth,
    times,
    status: fc.constantFrom<500 | 502 | 503>(500, 502, 503),
    html: fc.boolean()
  }),
  fc.record({ kind: fc.constant('hive 429' as const), call: hiveCall, nth }),
  fc.record({ kind: fc.constant('hive timeout' as const), call: hiveCall, nth, times }),
  fc.record({
    kind: fc.constant('hive 401' as const),
    on: fc.constantFrom<'current' | 'old key check' | 'verify'>(
      'current',
      'old key check',
      'verify'
    ),
    nth,
    times: fc.constantFrom<1 | 2>(1, 2),
    html: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('github' as const),
    call: githubCall,
    where,
    status: fc.constantFrom<403 | 404 | 500 | 502 | 503>(403, 404, 500, 502, 503),
    afterEffect: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('github timeout' as const),
    call: githubCall,
    where,
    afterEffect: fc.boolean()
  }),
  fc.record({
    kind: fc.constant('late create' as const),
    late: fc.constantFrom<'answer' | 'effect'>('answer', 'effect')
  }),
  fc.record({
    kind: fc.constant('lie' as const),
    lie: fc.constantFrom<Lie>(
      'create answers the old key',
      'create answers the old key with its value',
      'create answers the admin key',
      'create answer carries the old id',
      'list shows the admin key under the run name',
      'list shows the old key under the run name',
      'old key check answers the admin id',
      'list shows the admin key as a leftover',
      'list says the old key replaced the admin key',
      'current answers the admin id'
    )
  })
)

const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  variant: fc.constantFrom<VariantName>('revoke', 'grace', 'self-managed', 'emergency'),
  createRevokes: fc.boolean(),
  nameMaxLength: fc.constantFrom<100 | null>(null, 100),
  faults: fc.array(faultArb, { minLength: 0, maxLength: 3 }),
  kill: fc.option(
    fc.record({
      at: fc.nat({ max: 199 }),
      from: fc.constantFrom<'start' | 'create'>('start', 'create'),
      journalFirst: fc.boolean()
    }),
    {
      nil: null,
      freq: 3
    }
  )
})

// ---------------------------------------------------------------------------------------------
// The world of a schedule
// ---------------------------------------------------------------------------------------------

const GRACE_MINUTES = 15

interface Setup {
  world: World
  clock: Clock
  /** Inputs of the first run (on top of world.inputs()). */
  inputs: Record<string, string>
  /** The key the first run rotates. */
  rotated: { id: string; value: string }
  /** Active keys of the world this rotation has nothing to do with. */
  bystanders: string[]
  /**
   * Which key a create revokes when createRevokes is on: the key being rotated by the run that
   * sent it (found by the run's mark in the name asked for: a create may take effect late), else
   * the key being rotated now.
   */
  ctx: { rotatedId?: string; runs: { state: Map<string, string>; rotatedId?: string }[] }
}

async function setUp(schedule: Schedule): Promise<Setup> {
  const world = await startWorld()
  const clock = useClock(world)
  const ctx: Setup['ctx'] = { runs: [] }
  if (schedule.createRevokes) {
    world.hive.options.createRevokes = ({ created }) => {
      const sender = ctx.runs.find(r => {
        const mark = journalOf(r.state)?.mark
        return mark !== undefined && created.name.includes(mark)
      })
      return sender ? sender.rotatedId : ctx.rotatedId
    }
  }
  if (schedule.nameMaxLength !== null) world.hive.options.nameMaxLength = schedule.nameMaxLength
  let inputs: Record<string, string> = {}
  let rotated = world.ci
  let bystanders: string[] = []
  switch (schedule.variant) {
    case 'revoke':
      break
    case 'grace':
      inputs = { 'old-key-grace-minutes': String(GRACE_MINUTES) }
      break
    case 'emergency':
      inputs = { mode: 'emergency' }
      break
    case 'self-managed': {
      const own = world.hive.seedKey({ name: 'CI admin (made by hand)', permission: 'admin' })
      for (const target of TARGETS) world.github.setSecretPlain(target, SECRET, own.value)
      inputs = { 'hive-admin-key': '', 'hive-api-key': own.value }
      rotated = own
      // The world's read-only CI key is in no destination: not this rotation's.
      bystanders = [world.ci.id]
      break
    }
  }
  return { world, clock, inputs, rotated, bystanders, ctx }
}

const REPO_SECRETS = '/repos/octo/app/actions/secrets'
const ENV_SECRETS = '/repos/octo/app/environments/production/secrets'

function githubAt(call: GitHubCall, at: 'repo' | 'env') {
  const base = at === 'repo' ? REPO_SECRETS : ENV_SECRETS
  switch (call) {
    case 'public key':
      return { method: 'GET', path: `${base}/public-key`, nth: 1 }
    case 'metadata':
      return { method: 'GET', path: `${base}/${SECRET}`, nth: 1 }
    case 'write':
      return { method: 'PUT', path: `${base}/${SECRET}`, nth: 1 }
    case 'read-back':
      return { method: 'GET', path: `${base}/${SECRET}`, nth: 2 }
  }
}

const count = (t: Times) => (t === 'lasting' ? Infinity : t)

const html = (status: number) =>
  `<html><head><title>${status}</title></head><body><h1>${status} Bad Gateway</h1></body></html>`

function journalOf(state: Map<string, string>): JournalData | undefined {
  const raw = state.get(JOURNAL_STATE)
  return raw ? (JSON.parse(raw) as JournalData) : undefined
}

/** The name the first run asked for (with its mark), from its journal; before the create, none. */
function askedName(state: Map<string, string>): string | undefined {
  return journalOf(state)?.createSent?.name
}

function inject(setup: Setup, faults: FaultSpec[], state: Map<string, string>) {
  const { world, rotated } = setup
  for (const f of faults) {
    switch (f.kind) {
      case 'hive 5xx': {
        const at = { ...HIVE_CALLS[f.call], nth: f.nth, times: count(f.times), status: f.status }
        world.hive.addFault(
          f.html ? { ...at, contentType: 'text/html', body: html(f.status) } : (at as HiveFault)
        )
        break
      }
      case 'hive 429':
        world.hive.addFault({
          ...HIVE_CALLS[f.call],
          nth: f.nth,
          status: 429,
          headers: { 'Retry-After': '1' }
        })
        break
      case 'hive timeout':
        world.hive.addFault({
          ...HIVE_CALLS[f.call],
          nth: f.nth,
          times: count(f.times),
          status: 503,
          delayMs: HELD_MS
        })
        break
      case 'hive 401': {
        const at =
          f.on === 'current'
            ? { method: 'GET', path: '/api-keys/current', nth: 1 }
            : f.on === 'old key check'
              ? { method: 'GET', path: `/api-keys/${rotated.id}`, nth: f.nth }
              : { method: 'GET', path: '/executions-cli/executions', nth: f.nth + 1 }
        world.hive.addFault(
          f.html
            ? { ...at, times: f.times, status: 401, contentType: 'text/html', body: html(401) }
            : { ...at, times: f.times, status: 401 }
        )
        break
      }
      case 'github': {
        const at = githubAt(f.call, f.where)
        const fault: GitHubFault = { ...at, status: f.status }
        if (f.afterEffect && f.call === 'write' && f.status >= 500) fault.afterEffect = true
        world.github.addFault(fault)
        break
      }
      case 'github timeout':
        world.github.addFault({
          ...githubAt(f.call, f.where),
          status: 503,
          delayMs: HELD_MS,
          ...(f.afterEffect && f.call === 'write' ? { afterEffect: true } : {})
        })
        break
      case 'late create':
        world.hive.delayCreate(
          f.late === 'answer'
            ? { nth: 1, afterEffectMs: HELD_MS }
            : { nth: 1, beforeEffectMs: HELD_MS }
        )
        break
      case 'lie':
        world.hive.tamper(lie(f.lie, setup, state))
        break
    }
  }
}

function lie(which: Lie, setup: Setup, state: Map<string, string>): HiveTamper {
  const { world, rotated } = setup
  const keyName = settingsFor(world, setup.inputs).keyName
  const create = { method: 'POST', path: '/api-keys', nth: 1, times: 1 }
  const runName = (k: Record<string, unknown>) => askedName(state) ?? k.name
  switch (which) {
    case 'create answers the old key':
      return { ...create, answerKey: { id: rotated.id } }
    case 'create answers the old key with its value':
      return { ...create, answerKey: { id: rotated.id, withValue: true } }
    case 'create answers the admin key':
      return { ...create, answerKey: { id: world.admin.id, withValue: true } }
    case 'create answer carries the old id':
      return { ...create, field: { name: 'id', value: rotated.id } }
    case 'list shows the admin key under the run name':
      return {
        method: 'GET',
        path: '/api-keys',
        field: { name: 'name', value: runName, keyId: world.admin.id }
      }
    case 'list shows the old key under the run name':
      return {
        method: 'GET',
        path: '/api-keys',
        field: { name: 'name', value: runName, keyId: rotated.id }
      }
    case 'list shows the admin key as a leftover':
      return {
        method: 'GET',
        path: '/api-keys',
        field: {
          name: 'name',
          value: `${keyName} 2020-01-01T00:00:00Z replaces key_gone000`,
          keyId: world.admin.id
        }
      }
    case 'list says the old key replaced the admin key':
      return {
        method: 'GET',
        path: '/api-keys',
        field: {
          name: 'name',
          value: `${keyName} 2020-01-01T00:00:00Z replaces ${world.admin.id}`,
          keyId: rotated.id
        }
      }
    case 'current answers the admin id':
      return {
        method: 'GET',
        path: '/api-keys/current',
        nth: 1,
        times: 1,
        field: { name: 'id', value: world.admin.id }
      }
    case 'old key check answers the admin id':
      return {
        method: 'GET',
        path: `/api-keys/${rotated.id}`,
        times: 1,
        field: { name: 'id', value: world.admin.id }
      }
  }
}

// ---------------------------------------------------------------------------------------------
// Runs: the main step with its journal, and the post step
// ---------------------------------------------------------------------------------------------

interface MainStep {
  run: InProcessRun
  state: Map<string, string>
  calls: PortCall[]
  outcome: 'crashed' | 'finished' | string
}

/** The main step as main.ts wires it (journaled ports), optionally killed at `boundary`. */
async function mainStep(
  setup: Setup,
  inputs: Record<string, string>,
  options: {
    kill?: { boundary: Boundary; journalFirst: boolean }
    /** Octokit with main.ts's retry and throttling plugins (slower: only for GitHub faults). */
    githubPlugins?: boolean
    beforeStart?: (state: Map<string, string>) => void
  } = {}
): Promise<MainStep> {
  const { kill, beforeStart } = options
  const { world, clock } = setup
  const state = new Map<string, string>()
  const settings = settingsFor(world, inputs)
  const journal = new Journal((name, value) => state.set(name, value), settings.mode, clock.now())
  let calls: PortCall[] = []
  let crashed: Promise<Boundary> = new Promise(() => undefined)
  const journaled = (p: Ports): Ports => ({
    keys: journaledKeys(p.keys, journal),
    secrets: journaledSecrets(p.secrets, journal)
  })
  const run = inProcess(world, {
    clock,
    inputs,
    http: { timeoutMs: TIMEOUT_MS },
    githubTimeoutMs: TIMEOUT_MS,
    githubPlugins: options.githubPlugins ?? false,
    wrap: ports => {
      if (kill?.journalFirst) {
        const i = instrument(ports, kill.boundary)
        calls = i.calls
        crashed = i.crashed
        return journaled(i.ports)
      }
      const i = instrument(journaled(ports), kill?.boundary)
      calls = i.calls
      crashed = i.crashed
      return i.ports
    }
  })
  run.deps.journal = journal
  // The wait before a 401 of the old key is asked again: not on the real clock.
  run.deps.sleep = async () => undefined
  setup.ctx.runs.push({ state, rotatedId: setup.ctx.rotatedId })
  beforeStart?.(state)
  const ended = await runUntilCrash(run.start(), crashed)
  let outcome: string
  if (ended.outcome === 'crashed') {
    outcome = 'crashed'
  } else {
    // main.ts's last act; a killed run never gets there.
    journal.ended(ended.outcome === 'finished' ? 'ok' : 'failed')
    outcome = ended.outcome === 'finished' ? 'finished' : ended.error.message
  }
  return { run, state, calls, outcome }
}

/** The post step, in process, on the journal the main step saved. */
async function postStep(setup: Setup, inputs: Record<string, string>, main: MainStep) {
  const all = setup.world.inputs(inputs)
  const events: [string, string][] = []
  await post({
    getInput: name => all[name] ?? '',
    getState: name => main.state.get(name) ?? '',
    env: setup.world.env,
    mask: value => events.push(['mask', value]),
    log: {
      info: m => events.push(['info', m]),
      warning: m => events.push(['warning', m]),
      debug: m => events.push(['debug', m])
    },
    hiveTimeoutMs: TIMEOUT_MS,
    sleep: async () => undefined
  })
  return events
}

// ---------------------------------------------------------------------------------------------
// The invariants
// ---------------------------------------------------------------------------------------------

/** What the checks need to know of the run in progress. */
interface Phase {
  name: string
  /** The key the run in progress rotates (its hive-api-key), when Hive knows it. */
  oldId?: string
  emergency: boolean
}

class Checker {
  readonly violations: string[] = []
  phase: Phase = { name: 'setup', emergency: false }
  private readonly deadStates = new Set<string>()

  constructor(
    private readonly setup: Setup,
    private readonly schedule: Schedule
  ) {
    setup.world.hive.onAnswered = record => {
      const where = `${this.phase.name}: ${record.method} ${record.path} → ${record.status}`
      const deleted = /^\/api-keys\/([^/]+)$/.exec(record.path)
      if (record.method === 'DELETE' && record.status === 204 && deleted) {
        this.afterDelete(decodeURIComponent(deleted[1]), where)
      }
      this.always(where)
    }
    setup.world.github.onAnswered = record => {
      this.always(`${this.phase.name}: GitHub ${record.method} ${record.path} → ${record.status}`)
    }
  }

  private fail(message: string) {
    if (!this.violations.includes(message)) this.violations.push(message)
  }

  /** Per destination: the key id its secret opens to ('(none)', '(unknown)'). */
  held(): { label: string; id: string; live: boolean; value?: string }[] {
    const { world } = this.setup
    const byValue = new Map(world.hive.keys().map(k => [k.value, k.id]))
    return TARGETS.map(t => {
      const value = world.github.secretValue(t, SECRET)
      return {
        label: t.environment ? `env:${t.environment}` : 'repo',
        id: value === undefined ? '(none)' : (byValue.get(value) ?? '(unknown)'),
        live: value !== undefined && world.hive.accepts(value),
        value
      }
    })
  }

  /**
   * The keys of this rotation (every key but the admin key and the bystanders) now active; with
   * `inGrace: false`, not those that expire within the grace a run gives (left to expire).
   */
  liveRotationKeys({ inGrace = true } = {}): string[] {
    const { world, bystanders } = this.setup
    const graceEnds = world.hive.options.now().getTime() + (GRACE_MINUTES + 1) * MINUTE
    return world.hive
      .activeKeys()
      .filter(k => k.id !== world.admin.id && !bystanders.includes(k.id))
      .filter(k => inGrace || k.expires_at === null || Date.parse(k.expires_at) > graceEnds)
      .map(k => k.id)
  }

  private afterDelete(id: string, where: string) {
    const { world } = this.setup
    // Invariant 3: never the admin key.
    if (id === world.admin.id) this.fail(`${where}: revoked the admin key ${id}`)
    // The compromised key in mode emergency is revoked on purpose, held or not.
    const onPurpose = this.phase.emergency && id === this.phase.oldId
    if (onPurpose) return
    // Invariant 1: never a key a destination may hold.
    const holders = this.held().filter(h => h.id === id)
    if (holders.length > 0) {
      this.fail(
        `${where}: revoked ${id}, which ${holders.map(h => h.label).join(' and ')} hold(s) ` +
          `(destinations: ${this.describeHeld()})`
      )
    }
    // Invariant 2: never the last live key (held by a destination or not: with createRevokes,
    // the new key is the only live key between the create and the store).
    if (this.liveRotationKeys().length === 0) {
      this.fail(
        `${where}: revoked ${id}, the last live key of the rotation (destinations: ${this.describeHeld()})`
      )
    }
  }

  describeHeld() {
    return this.held()
      .map(h => `${h.label} ${h.id}${h.live ? '' : ' (dead)'}`)
      .join(', ')
  }

  /** After every request of either emulator. */
  private always(where: string) {
    const { world } = this.setup
    if (!world.hive.accepts(world.admin.value)) this.fail(`${where}: the admin key is dead`)
    const held = this.held()
    if (this.schedule.variant !== 'self-managed' && held.some(h => h.value === world.admin.value)) {
      this.fail(`${where}: a destination holds the admin key`)
    }
    // Invariant 1 of the design at every moment, where it is promised: not in emergency (given up
    // on purpose), not with a Hive whose create revokes the old key (Hive's doing, not the run's).
    if (this.schedule.variant !== 'emergency' && !this.schedule.createRevokes) {
      const dead = held.filter(h => !h.live)
      const state = this.describeHeld()
      // Reported once per state of the destinations, at the first request that found it.
      if (dead.length > 0 && !this.deadStates.has(state)) {
        this.deadStates.add(state)
        this.fail(`${where}: a destination holds a dead key (${state})`)
      }
    }
  }

  /**
   * Invariant 5, once every run is over and every fault cleared (`inGrace: false`: keys a run
   * gave grace are not counted, they are left to expire).
   */
  atTheEnd({ inGrace = true } = {}) {
    const { world } = this.setup
    const held = this.held()
    const dead = held.filter(h => !h.live)
    if (dead.length > 0) this.fail(`end: a destination holds a dead key (${this.describeHeld()})`)
    const heldIds = new Set(held.map(h => h.id))
    const unheld = this.liveRotationKeys({ inGrace }).filter(id => !heldIds.has(id))
    if (unheld.length > 0) {
      this.fail(
        `end: live keys no destination holds: ${unheld.join(', ')} (${this.describeHeld()})`
      )
    }
    if (!world.hive.accepts(world.admin.value)) this.fail('end: the admin key is dead')
  }
}

// ---------------------------------------------------------------------------------------------
// One schedule, start to end
// ---------------------------------------------------------------------------------------------

/** The calls a clean run of a configuration makes, recorded once per configuration. */
const traces = new Map<string, PortCall[]>()

async function cleanTrace(schedule: Schedule): Promise<PortCall[]> {
  const id = `${schedule.variant} ${schedule.createRevokes} ${schedule.nameMaxLength}`
  const known = traces.get(id)
  if (known) return known
  const setup = await setUp({ ...schedule, faults: [], kill: null })
  try {
    setup.ctx.rotatedId = setup.rotated.id
    const main = await mainStep(setup, setup.inputs)
    if (main.outcome !== 'finished') throw new Error(`the clean run ${id} ended: ${main.outcome}`)
    traces.set(id, main.calls)
    return main.calls
  } finally {
    await setup.world.stop()
  }
}

/** The id of the key Hive holds with this value. */
function idOf(world: World, value: string): string | undefined {
  return world.hive.keys().find(k => k.value === value)?.id
}

/** Runs one schedule; returns what it found wrong ([] when nothing) and what happened. */
async function check(schedule: Schedule): Promise<{ violations: string[]; story: string[] }> {
  const trace = schedule.kill ? await cleanTrace(schedule) : []
  const all = boundariesOf(trace)
  const create = all.findIndex(b => b.method === 'create')
  const boundaries = schedule.kill?.from === 'create' && create >= 0 ? all.slice(create) : all
  const kill = schedule.kill
    ? {
        boundary: boundaries[schedule.kill.at % boundaries.length],
        journalFirst: schedule.kill.journalFirst
      }
    : undefined

  const setup = await setUp(schedule)
  const { world, clock, ctx } = setup
  const checker = new Checker(setup, schedule)
  const story: string[] = []
  const runs: InProcessRun[] = []
  const texts: string[] = []
  const postLogs: string[] = []
  try {
    const inputs = setup.inputs
    // 1. The main step, with the schedule's faults, killed at the boundary (if any).
    ctx.rotatedId = setup.rotated.id
    checker.phase = {
      name: 'run 1',
      oldId: setup.rotated.id,
      emergency: inputs.mode === 'emergency'
    }
    const first = await mainStep(setup, inputs, {
      kill,
      githubPlugins: schedule.faults.some(f => f.kind.startsWith('github')),
      beforeStart: state => inject(setup, schedule.faults, state)
    })
    runs.push(first.run)
    texts.push(first.outcome)
    story.push(`run 1${kill ? ` (kill ${describeBoundary(kill.boundary)})` : ''}: ${first.outcome}`)

    // 2. The post step, on the journal the main step saved (faults still in place: same job).
    checker.phase = { ...checker.phase, name: 'post 1' }
    const events1 = await postStep(setup, inputs, first)
    postLogs.push(...events1.filter(([k]) => k !== 'mask').map(([, m]) => m))
    story.push(`post 1: ${events1.filter(([k]) => k === 'info' || k === 'warning').length} line(s)`)

    // 3. The next runs, every fault cleared, from what the repository's secret holds.
    world.hive.clearFaults()
    world.hive.clearTampers()
    world.hive.clearCreateDelays()
    world.github.clearFaults()
    let last = first.outcome
    for (let n = 2; n <= 4; n++) {
      const settled = last === 'finished' && quiet(checker)
      if (settled) break
      // A next run comes later: a minute, or 11 when the last one stopped as "in flight".
      clock.advance((/in flight/i.test(last) ? 11 : 1) * MINUTE)
      const key = nextRunKey(world)
      const keyId = idOf(world, key)
      const dead = !world.hive.accepts(key)
      const next = nextInputs(setup, schedule, key, keyId, dead)
      ctx.rotatedId = keyId
      checker.phase = { name: `run ${n}`, oldId: keyId, emergency: next.mode === 'emergency' }
      const main = await mainStep(setup, next)
      runs.push(main.run)
      texts.push(main.outcome)
      story.push(`run ${n} (${describeInputs(next)}): ${main.outcome}`)
      checker.phase = { ...checker.phase, name: `post ${n}` }
      const events = await postStep(setup, next, main)
      postLogs.push(...events.filter(([k]) => k !== 'mask').map(([, m]) => m))
      last = main.outcome
    }

    // 4. The end: once the grace given to old keys is over.
    clock.advance((schedule.variant === 'grace' ? GRACE_MINUTES : 0) * MINUTE + MINUTE)
    checker.phase = { name: 'end', emergency: false }
    checker.atTheEnd()
    // Invariant 4: no key value in any line the runs logged (masks aside), report, or error.
    const leaked = leakedInProcess(world, runs, [...texts, ...postLogs])
    if (leaked.length > 0)
      checker.violations.push(`a key value was logged: ${leaked.length} line(s)`)
    return { violations: checker.violations, story }
  } finally {
    world.hive.onAnswered = undefined
    world.github.onAnswered = undefined
    await world.stop()
  }
}

/** True when the world is where a run should leave it: invariant 5 holds right now. */
function quiet(checker: Checker): boolean {
  const before = checker.violations.length
  checker.atTheEnd({ inGrace: false })
  const calm = checker.violations.length === before
  checker.violations.length = before
  return calm
}

/** The inputs of a next run: hive-api-key from the repository, the recovery inputs if dead. */
function nextInputs(
  setup: Setup,
  schedule: Schedule,
  key: string,
  keyId: string | undefined,
  dead: boolean
): Record<string, string> {
  const { world, inputs } = setup
  const base: Record<string, string> = { ...inputs, 'hive-api-key': key }
  // An emergency is asked again only for the compromised key itself; a new key is rotated.
  if (schedule.variant === 'emergency' && keyId !== setup.rotated.id) delete base.mode
  if (!dead) return base
  const stored = keyId ? world.hive.key(keyId) : undefined
  const scope = stored?.scope ?? world.hive.key(setup.rotated.id)!.scope
  const recovery: Record<string, string> = {
    permission: stored?.permission ?? world.hive.key(setup.rotated.id)!.permission,
    scope:
      scope.type === 'all'
        ? 'all'
        : scope.type === 'engagements'
          ? `engagements:${scope.engagement_ids.join(',')}`
          : `campaigns:${scope.campaign_ids.join(',')}`
  }
  // A self-managed key that died can't make its successor: the operator gives an admin key.
  if (inputs['hive-admin-key'] === '') recovery['hive-admin-key'] = world.admin.value
  return { ...base, ...recovery }
}

function describeInputs(inputs: Record<string, string>) {
  return (
    Object.entries(inputs)
      .filter(([k]) => !['hive-api-key', 'hive-admin-key'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'defaults'
  )
}

// ---------------------------------------------------------------------------------------------
// The property, and the counterexamples it found
// ---------------------------------------------------------------------------------------------

async function holds(schedule: Schedule) {
  const t0 = Date.now()
  const { violations, story } = await check(schedule)
  if (process.env.PROPERTY_DEBUG) {
    console.log(`${Date.now() - t0} ms ${JSON.stringify(schedule)}\n${story.join('\n')}`)
  }
  if (violations.length > 0) {
    throw new Error(`${violations.join('\n')}\n-- what happened:\n${story.join('\n')}`)
  }
}

describe('random fault schedules (fast-check, fixed seed)', () => {
  it(`keeps every invariant after every request and converges (${NUM_RUNS} schedules, seed ${SEED})`, async () => {
    await fc.assert(fc.asyncProperty(scheduleArb, holds), {
      seed: SEED,
      numRuns: NUM_RUNS,
      // PROPERTY_SEED and PROPERTY_PATH replay (and shrink) a failure another seed found.
      ...(process.env.PROPERTY_PATH ? { path: process.env.PROPERTY_PATH } : {})
    })
  }, 300_000)
})

/**
 * Counterexamples fast-check found, each replayed as the exact schedule it shrank to, and kept
 * as a fixed test once src/ was mended.
 */
describe('counterexamples found', () => {
  /**
   * Seed 7, path "171:0:3:2" (found at run 172 of 400; shrunk from three faults to one). The
   * first GET /api-keys/current (hive-api-key's own key) answers with the admin key's id. The
   * preflight takes it (preflight.ts checks nothing between the current key's id and the separate
   * admin key's, which answered the same id with another value), creates, tests and stores a new
   * key named "… replaces <admin id>", and only the retire step refuses ("Refused to retire …: it
   * is also the admin key"). The real old key, the hand-made CI key, stays active, held by no
   * destination, and no later run can find it: the only record of what the new key replaced now
   * names the admin key, which findLeftovers spares. Invariant 5 (no live key of this rotation
   * that no destination holds) failed after three clean next runs. Mended: the preflight stops
   * with a protocol error when two different values are answered as one key id.
   */
  const currentLiesAdminId: Schedule = {
    variant: 'revoke',
    createRevokes: false,
    nameMaxLength: null,
    faults: [{ kind: 'lie', lie: 'current answers the admin id' }],
    kill: null
  }

  it('seed 7: hive-api-key answered as the admin key stops the run before any change; it converges', async () => {
    const { violations } = await check(currentLiesAdminId)
    expect(violations).toEqual([])
  }, 60_000)

  /**
   * Seed 29, path "261:2:1:3" (found at run 262 of 600; shrunk from three faults to one). A
   * self-managed key (hive-api-key is an admin key, no hive-admin-key): the first GET
   * /api-keys/current answered with the platform admin key's id. With one key, there is no second
   * value to catch the lie (seed 7's mend), so the run took the admin key for the key it rotates:
   * it stored the new key and then "retired" the platform admin key, revoking a key no destination
   * held and this rotation never owned; the real old key stayed live, held by nobody. Mended: the
   * preflight checks the current key's answer against the admin's key list (the key listed under
   * that id must carry the prefix that starts hive-api-key), and stops with nothing changed.
   */
  it('seed 29: a self-managed key answered as the admin key stops the run before any change; it converges', async () => {
    const { violations } = await check({ ...currentLiesAdminId, variant: 'self-managed' })
    expect(violations).toEqual([])
  }, 60_000)
})
