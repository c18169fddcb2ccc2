/**
 * What every mode of the action shares: its dependencies (the two ports, the mask, the log, the
 * clock), the error a user can act on, and the runner of one step (one log group, one row of the
 * summary's step table).
 */
import type { KeyService, SecretStore, WorkflowRunner } from './ports.js'
import type { RotationReport } from './report.js'
import type { Journal } from './journal.js'
import { CancelledError, type Cancellation } from '../cancel.js'

export interface Log {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

export interface RotationDeps {
  keys: KeyService
  secrets: SecretStore
  /** The consumer workflows of canary-workflows (canary.ts); absent without them. */
  workflows?: WorkflowRunner
  /** Registers a value with the runner's log masking (`core.setSecret`). */
  mask(value: string): void
  log: Log
  now(): Date
  /**
   * The run's journal for the post step (journal.ts). main.ts wraps the two ports with
   * journaled.ts, which records every create, write and revocation; the steps add what only they
   * know: the step in progress, the old key, and a new key once its create answer passed its checks.
   */
  journal?: Journal
  /** Set by the first SIGINT or SIGTERM (cancel.ts); never cancelled when absent. */
  cancellation?: Cancellation
  /**
   * The wait before a 401 is asked again (revocation.ts); default the cancellation's sleep.
   * Injected so that tests don't wait.
   */
  sleep?: (ms: number) => Promise<void>
  /**
   * How often the canary polls a dispatched run (canary.ts); default POLL_MS. main.ts sets it only
   * from a loopback-only test hook (HIVE_ROTATE_KEY_CANARY_POLL_MS against an emulator).
   */
  canaryPollMs?: number
}

/** A failure the user can act on; its message is the whole explanation (no stack trace). */
export class RotationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RotationError'
  }
}

/**
 * What stopping during a step leaves: run as clean-up (cancel.ts) when the run is cancelled while
 * the step runs, it brings the run to the step's safe state and says what it left.
 */
export type WhenStopped = () => Promise<string> | string

export type Step = <T>(
  name: string,
  fn: () => Promise<{ result: T; detail: string }>,
  whenStopped?: WhenStopped
) => Promise<T>

/**
 * Runs one step in its own log group, timed, and records how it ended in the report. A step that
 * ends while a stop is asked, however it ended, is a cancelled step: its `whenStopped` runs as
 * clean-up, and the run ends with a CancelledError that says in which step it stopped and what
 * it left.
 */
export function stepRunner(
  log: Log,
  report: RotationReport,
  journal?: Journal,
  cancellation?: Cancellation
): Step {
  return async (name, fn, whenStopped) => {
    const started = Date.now()
    journal?.step(name)
    return log.group(name, async () => {
      try {
        // Stopped between steps: this step's safe state is where the run is.
        cancellation?.throwIfStopped()
        const work = fn()
        let ended
        if (cancellation) {
          work.catch(() => undefined) // abandoned at the deadline: its end no longer matters
          ended = await Promise.race([work, cancellation.forwardDeadline()])
        } else {
          ended = await work
        }
        const { result, detail } = ended
        report.steps.push({ step: name, status: 'ok', detail, ms: Date.now() - started })
        log.info(detail)
        return result
      } catch (error) {
        if (cancellation?.requested) {
          throw await cancelled(name, started, error, cancellation, whenStopped)
        }
        const detail = error instanceof Error ? error.message : String(error)
        report.steps.push({ step: name, status: 'failed', detail, ms: Date.now() - started })
        throw error
      }
    })
  }

  async function cancelled(
    name: string,
    started: number,
    error: unknown,
    cancellation: Cancellation,
    whenStopped: WhenStopped | undefined
  ): Promise<CancelledError> {
    const signal = cancellation.signalName ?? 'a signal'
    log.debug(`Stopped by ${signal}: ${error instanceof Error ? error.message : String(error)}`)
    let left = 'Nothing was changed.'
    if (whenStopped) {
      try {
        left = await cancellation.cleanup(async () => whenStopped())
      } catch (cleanupError) {
        left = `The clean-up failed: ${(cleanupError as Error).message}`
      }
    }
    left +=
      ' ' +
      (report.rotated
        ? 'The next run starts from the new key and prunes what this run left.'
        : 'The next run starts the rotation again and prunes what this run left.')
    const detail = `Cancelled (${signal}) during this step. ${left}`
    report.steps.push({ step: name, status: 'cancelled', detail, ms: Date.now() - started })
    report.cancelled = { signal, step: name, left }
    return new CancelledError(
      signal,
      `The run was cancelled (${signal}) during the step "${name}". ${left}`
    )
  }
}

/** Records steps that did not run, and why. */
export function skipSteps(report: RotationReport, names: string[], why: string) {
  for (const step of names) report.steps.push({ step, status: 'skipped', detail: why, ms: 0 })
}

/** A warning: printed now (`::warning::`) and kept for the job summary. */
export function warn(log: Log, report: RotationReport, message: string) {
  log.warning(message)
  report.warnings.push(message)
}
