/**
 * What the GitHub Actions runner does around a step, for the cancel and post-step tests:
 *
 * - cancelLikeRunner: the cancel sequence (actions/runner, on a cancel or `timeout-minutes`):
 *   SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after that.
 * - runPostStep: `runs.post` as the runner starts it: a new process with the same INPUT_* and
 *   the main step's saved state (the last value of each name in its GITHUB_STATE file) as
 *   STATE_<name> variables.
 */
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { ROOT, runAction, type ActionRun } from './run-action.js'

export const POST_DIST = join(ROOT, 'dist/post/index.js')
export const SIGTERM_AFTER_MS = 7_500
export const SIGKILL_AFTER_TERM_MS = 2_500

export interface CancelOutcome {
  code: number | null
  signal: NodeJS.Signals | null
  /** Milliseconds from the SIGINT to the process's exit. */
  exitMs: number
  /** Which signals were sent before it exited. */
  sent: NodeJS.Signals[]
}

/**
 * Cancels `child` as the runner does and resolves when it has exited. A test asserts
 * `exitMs < SIGTERM_AFTER_MS` (the run stopped on the SIGINT, before the SIGTERM).
 */
export function cancelLikeRunner(
  child: ChildProcess,
  timers: { termAfterMs?: number; killAfterMs?: number } = {}
): Promise<CancelOutcome> {
  const termAfter = timers.termAfterMs ?? SIGTERM_AFTER_MS
  const killAfter = timers.killAfterMs ?? SIGKILL_AFTER_TERM_MS
  const sent: NodeJS.Signals[] = []
  return new Promise(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return resolve({ code: child.exitCode, signal: child.signalCode, exitMs: 0, sent })
    }
    const start = performance.now()
    const send = (s: NodeJS.Signals) => {
      sent.push(s)
      child.kill(s)
    }
    const term = setTimeout(() => send('SIGTERM'), termAfter)
    const kill = setTimeout(() => send('SIGKILL'), termAfter + killAfter)
    child.once('exit', (code, signal) => {
      clearTimeout(term)
      clearTimeout(kill)
      resolve({ code, signal, exitMs: performance.now() - start, sent })
    })
    send('SIGINT')
  })
}

/**
 * The runner's state file (`core.saveState` writes `name<<DELIM\nvalue\nDELIM\n` per call, see
 * @actions/core's file-command): the last value of each name, as the runner hands it over.
 */
export function parseState(text: string): Record<string, string> {
  const state: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (!match) continue
    const [, name, delimiter] = match
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i])
    // A cut-off last entry (the process was killed mid-write) is not handed over.
    if (i >= lines.length) break
    state[name] = value.join('\n')
  }
  return state
}

/** The STATE_<name> variables of a post step. */
export function stateVariables(text: string): Record<string, string> {
  return Object.fromEntries(Object.entries(parseState(text)).map(([n, v]) => [`STATE_${n}`, v]))
}

/**
 * Runs dist/post/index.js after `main` as the runner does: the same inputs and environment,
 * plus the main step's state as STATE_* variables.
 */
export function runPostStep(
  main: ActionRun,
  options: { inputs: Record<string, string>; env?: Record<string, string>; timeoutMs?: number }
): Promise<ActionRun> {
  return runAction({
    script: POST_DIST,
    inputs: options.inputs,
    env: { ...options.env, ...stateVariables(main.state) },
    timeoutMs: options.timeoutMs ?? 30_000
  })
}
