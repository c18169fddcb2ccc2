/**
 * The rotation in process, wired as main.ts wires it (settings, HiveClient over HiveHttp,
 * GitHubSecretStore over the real Octokit), against a world's emulators, with one clock shared by
 * the run and the Hive emulator so that tests can move time (the in-flight rule, grace periods).
 *
 * Used by the fault suite (test/faults/), which wraps the two ports to crash a run or counts what
 * the rotation asked of them.
 */
import { rotate, type Log, type RotationDeps } from '../../src/rotation/rotate.js'
import { emptyReport, type RotationReport } from '../../src/rotation/report.js'
import { HiveClient } from '../../src/hive/client.js'
import { HiveHttp, type HiveHttpOptions } from '../../src/hive/http.js'
import { GitHubSecretStore } from '../../src/github/store.js'
import { createGitHubClient } from '../../src/github/octokit.js'
import { getOctokit } from '@actions/github'
import { getSettings, type Settings } from '../../src/settings.js'
import { ENV, REPO, type World } from './world.js'
import type { Ports } from './crash.js'

export const SECRET = 'HIVE_API_KEY'
export const TARGETS = [REPO, ENV]

/** The time of the run and of the Hive emulator; `advance` moves both. */
export class Clock {
  private offsetMs = 0
  readonly now = () => new Date(Date.now() + this.offsetMs)
  advance(ms: number) {
    this.offsetMs += ms
  }
}

/** The clock each world was put on, so that every run in it shares one. */
const clocks = new WeakMap<World, Clock>()

/**
 * Puts both emulators on the clock (the world's own, if it has one already): Hive's timestamps,
 * expiry and in-flight window, and GitHub's updated_at and Date header. The runs' waits move this
 * clock instead of the real one, so no test waits for a second to pass.
 */
export function useClock(world: World, clock = clocks.get(world) ?? new Clock()): Clock {
  world.hive.options.now = clock.now
  // The GitHub emulator takes its clock at construction (GitHubEmulatorOptions.now); a world is
  // built before its clock, so the field is set here. Checked, so that a rename fails loudly.
  const github = world.github as unknown as { now?: () => Date }
  if (typeof github.now !== 'function') throw new Error('the GitHub emulator has no clock field')
  github.now = clock.now
  clocks.set(world, clock)
  return clock
}

export interface InProcessOptions {
  /** Inputs on top of world.inputs(). */
  inputs?: Record<string, string>
  clock?: Clock
  /** HiveHttp options (timeouts, attempts); waits are recorded, not slept, unless `sleep` is. */
  http?: Partial<HiveHttpOptions>
  /** Wraps the real ports, e.g. to crash a run. */
  wrap?: (ports: Ports) => Ports
  /**
   * Octokit as main.ts builds it (retry and throttling plugins): the default. `false` gives the
   * store a plain Octokit, for suites that test the rotation rather than GitHub's rate limits:
   * the throttling plugin spaces every write of the process one second apart.
   */
  githubPlugins?: boolean
  /** The GitHub client's timeout per attempt (with the plugins); default main.ts's. */
  githubTimeoutMs?: number
}

export interface InProcessRun {
  settings: Settings
  deps: RotationDeps
  report: RotationReport
  /** What the run logged and masked, in order: [level, message] or ['mask', value]. */
  events: [string, string][]
  /** Every wait HiveHttp and HiveClient asked for, in ms (backoff, Retry-After, propagation). */
  waits: number[]
  /** Every wait the secret store asked for, in ms (the same-second wait, the second read-back). */
  storeWaits: number[]
  /** Starts the rotation; main.ts's catch is the caller's. */
  start(): Promise<void>
}

/** A Log that records each line in `events` as [level, message], each group as ['group', name]. */
export function recordingLog(events: [string, string][]): Log {
  return {
    info: m => events.push(['info', m]),
    warning: m => events.push(['warning', m]),
    debug: m => events.push(['debug', m]),
    group: async (name, fn) => {
      events.push(['group', name])
      return fn()
    }
  }
}

/** Reads the settings as main.ts does, from world.inputs() plus `inputs`. */
export function settingsFor(world: World, inputs: Record<string, string> = {}): Settings {
  const all = world.inputs(inputs)
  return getSettings({ getInput: n => all[n] ?? '', env: world.env, mask: () => undefined })
}

export function inProcess(world: World, options: InProcessOptions = {}): InProcessRun {
  const settings = settingsFor(world, options.inputs)
  const events: [string, string][] = []
  const waits: number[] = []
  const clock = useClock(world, options.clock)
  // HiveHttp's backoff and Retry-After waits are recorded only.
  const sleep = async (ms: number) => {
    waits.push(ms)
  }
  // The propagation wait is recorded and moves the shared clock, as do the store's waits (the
  // same-second wait before a PUT, the second read-back; in `storeWaits`): the deadline and
  // GitHub's updated_at see the time pass that the action would have slept.
  const pass = async (ms: number) => {
    waits.push(ms)
    clock.advance(ms)
  }
  const storeWaits: number[] = []
  const storeSleep = async (ms: number) => {
    storeWaits.push(ms)
    clock.advance(ms)
  }
  const elapsed = () => clock.now().getTime()
  const log = recordingLog(events)
  const mask = (value: string) => events.push(['mask', value])
  const http = new HiveHttp({
    baseUrl: settings.hiveUrl,
    sleep,
    debug: m => events.push(['debug', m]),
    ...options.http
  })
  if (settings.github.kind !== 'token') throw new Error('the in-process harness uses a token')
  const token = settings.github.token
  const real: Ports = {
    keys: new HiveClient(http, { sleep: pass, now: elapsed, mask }),
    secrets: new GitHubSecretStore(
      {
        credential: 'github-token',
        forDestination: async () =>
          options.githubPlugins === false
            ? getOctokit(token, { baseUrl: settings.githubApiUrl })
            : createGitHubClient({
                token,
                baseUrl: settings.githubApiUrl,
                warn: m => events.push(['warning', m]),
                debug: m => events.push(['debug', m]),
                // Retry-After and retry waits in milliseconds instead of seconds.
                retryAfterBaseValue: 1,
                // No one-second spacing of writes (GitHub's guidance, the action's default): the
                // spacing itself is tested once, in test-hooks.test.ts.
                writeSpacingMs: 0,
                ...(options.githubTimeoutMs ? { timeoutMs: options.githubTimeoutMs } : {})
              })
      },
      {
        secretName: settings.secretName,
        destinations: settings.destinations,
        warn: m => events.push(['warning', m]),
        debug: m => events.push(['debug', m]),
        sleep: storeSleep,
        clock: elapsed
      }
    )
  }
  const ports = options.wrap ? options.wrap(real) : real
  const report = emptyReport(settings.dryRun)
  const deps: RotationDeps = { ...ports, mask, log, now: clock.now }
  return {
    settings,
    deps,
    report,
    events,
    waits,
    storeWaits,
    start: () => rotate(settings, deps, report)
  }
}

/** What a destination holds now, as a workflow would read it (undefined: no secret). */
export function heldValue(world: World, target = REPO): string | undefined {
  return world.github.secretValue(target, SECRET)
}

/**
 * The hive-api-key the next scheduled run would be given: what the workflow's own secret (the
 * repository's HIVE_API_KEY) holds now.
 */
export function nextRunKey(world: World): string {
  const value = heldValue(world, REPO)
  if (value === undefined) throw new Error('the repository holds no HIVE_API_KEY')
  return value
}

/**
 * Invariant 3 in process: lines of what the runs logged (masks aside), their reports (which the
 * outputs and summary are made from) and `texts` (error messages) that hold a key value Hive ever
 * issued, or the GitHub token. Empty when nothing leaked.
 */
export function leakedInProcess(world: World, runs: InProcessRun[], texts: string[] = []) {
  const values = [...world.hive.keys().map(k => k.value), world.inputs()['github-token']]
  const lines = [
    ...runs.flatMap(r => r.events.filter(([kind]) => kind !== 'mask').map(([, m]) => m)),
    ...runs.map(r => JSON.stringify(r.report)),
    ...texts
  ]
  return lines.filter(line => values.some(v => line.includes(v)))
}
