/**
 * What every mode of the action shares: its dependencies (the two ports, the mask, the log, the
 * clock), the error a user can act on, and the runner of one step (one log group, one row of the
 * summary's step table).
 */
import type { KeyService, SecretStore } from './ports.js'
import type { RotationReport } from './report.js'
import type { Journal } from './journal.js'

export interface Log {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

export interface RotationDeps {
  keys: KeyService
  secrets: SecretStore
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
}

/** A failure the user can act on; its message is the whole explanation (no stack trace). */
export class RotationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RotationError'
  }
}

export type Step = <T>(name: string, fn: () => Promise<{ result: T; detail: string }>) => Promise<T>

/** Runs one step in its own log group, timed, and records how it ended in the report. */
export function stepRunner(log: Log, report: RotationReport, journal?: Journal): Step {
  return async (name, fn) => {
    const started = Date.now()
    journal?.step(name)
    return log.group(name, async () => {
      try {
        const { result, detail } = await fn()
        report.steps.push({ step: name, status: 'ok', detail, ms: Date.now() - started })
        log.info(detail)
        return result
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error)
        report.steps.push({ step: name, status: 'failed', detail, ms: Date.now() - started })
        throw error
      }
    })
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
