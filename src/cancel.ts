/**
 * How a run stops when the runner cancels it (shared/design/action.md, "Stopping").
 *
 * GitHub cancels a step with SIGINT, then SIGTERM 7.5 s later, then kills the process tree 2.5 s
 * after that. On the first signal (`stop()`):
 *
 *   - no new forward request starts: the HTTP wrappers call `throwIfStopped()` before every
 *     request and every retry, and every wait (`sleep`) ends at once with a CancelledError;
 *   - a request already in flight may finish until IN_FLIGHT_GRACE_MS after the signal; then its
 *     `signal()` aborts it (its outcome is unknown: a write may have landed);
 *   - the rotation brings itself to the safe state of its step inside `cleanup()`, whose requests
 *     are allowed, each aborted at CLEANUP_DEADLINE_MS after the signal;
 *   - index.ts exits the process at EXIT_DEADLINE_MS after the signal whatever is still pending,
 *     well before the SIGTERM at 7.5 s. Later signals change nothing (they must not break the
 *     clean-up).
 *
 * Which requests are clean-up is carried by AsyncLocalStorage, so no caller can forget to pass it
 * along: everything started inside `cleanup(fn)` is clean-up, nothing else is.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/** How long a request in flight at the first signal may go on before it is aborted. */
export const IN_FLIGHT_GRACE_MS = 2_000
/** When the clean-up's own requests are aborted, counted from the first signal. */
export const CLEANUP_DEADLINE_MS = 5_500
/** When index.ts exits whatever is pending, counted from the first signal (SIGTERM comes at 7.5 s). */
export const EXIT_DEADLINE_MS = 6_500

/** The run was cancelled: thrown instead of starting new work after the first signal. */
export class CancelledError extends Error {
  constructor(
    readonly signalName: string,
    message = `The run was cancelled (${signalName}) before it finished.`
  ) {
    super(message)
    this.name = 'CancelledError'
  }
}

export type Timers = {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  now(): number
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return t
  },
  clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now()
}

export class Cancellation {
  private stopSignal: string | undefined
  private stoppedAt: number | undefined
  private readonly inFlight = new AbortController()
  private readonly cleanupAbort = new AbortController()
  private readonly listeners: ((signalName: string) => void)[] = []
  private readonly cleanupScope = new AsyncLocalStorage<true>()

  constructor(private readonly timers: Timers = realTimers) {}

  /** True once a stop was asked (the first signal). */
  get requested(): boolean {
    return this.stopSignal !== undefined
  }

  /** The signal that stopped the run, e.g. 'SIGINT'. */
  get signalName(): string | undefined {
    return this.stopSignal
  }

  /** Milliseconds since the first signal; undefined before it. */
  sinceStop(): number | undefined {
    return this.stoppedAt === undefined ? undefined : this.timers.now() - this.stoppedAt
  }

  /** True inside `cleanup()`. */
  get inCleanup(): boolean {
    return this.cleanupScope.getStore() === true
  }

  /** Asks the run to stop. Only the first call counts; later ones are ignored. */
  stop(signalName: string): void {
    if (this.stopSignal !== undefined) return
    this.stopSignal = signalName
    this.stoppedAt = this.timers.now()
    this.timers.setTimeout(
      () => this.inFlight.abort(new CancelledError(signalName)),
      IN_FLIGHT_GRACE_MS
    )
    this.timers.setTimeout(
      () => this.cleanupAbort.abort(new CancelledError(signalName)),
      CLEANUP_DEADLINE_MS
    )
    for (const listener of this.listeners) listener(signalName)
  }

  /** Called once, at the first signal. */
  onStop(listener: (signalName: string) => void): void {
    this.listeners.push(listener)
  }

  /** Throws a CancelledError when a stop was asked, unless this is clean-up. */
  throwIfStopped(): void {
    if (this.stopSignal !== undefined && !this.inCleanup) throw new CancelledError(this.stopSignal)
  }

  /**
   * The AbortSignal for one request started now: forward work is aborted IN_FLIGHT_GRACE_MS after
   * the first signal, clean-up at CLEANUP_DEADLINE_MS. Combine it with the request's own deadline
   * (AbortSignal.any).
   */
  signal(): AbortSignal {
    return this.inCleanup ? this.cleanupAbort.signal : this.inFlight.signal
  }

  /**
   * A wait that ends early on a stop: resolves after `ms`, or rejects with a CancelledError at the
   * first signal (at once when stopped already). Inside clean-up it waits at most until the
   * clean-up deadline.
   */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const abort = this.inCleanup ? this.cleanupAbort.signal : undefined
      if (this.stopSignal !== undefined && !this.inCleanup) {
        return reject(new CancelledError(this.stopSignal))
      }
      if (abort?.aborted) return reject(abort.reason)
      const done = () => {
        this.timers.clearTimeout(handle)
        resolve()
      }
      const handle = this.timers.setTimeout(done, ms)
      // A wait is work the run is doing: unlike the stop's own timers, it keeps the process alive.
      ;(handle as { ref?: () => void } | undefined)?.ref?.()
      const cancel = (reason: unknown) => {
        this.timers.clearTimeout(handle)
        reject(reason)
      }
      if (abort) abort.addEventListener('abort', () => cancel(abort.reason), { once: true })
      else this.onStop(name => cancel(new CancelledError(name)))
    })
  }

  /**
   * Rejects with a CancelledError when forward work is aborted (IN_FLIGHT_GRACE_MS after the first
   * signal); never settles otherwise. A step races its work against it, so that a wait it can't
   * cut short (a library's own backoff) can't hold the clean-up back.
   */
  forwardDeadline(): Promise<never> {
    const signal = this.inFlight.signal
    const deadline = new Promise<never>((_, reject) => {
      if (signal.aborted) return reject(signal.reason)
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    })
    deadline.catch(() => undefined)
    return deadline
  }

  /** Runs `fn` as clean-up: its requests are allowed after the stop, until the clean-up deadline. */
  cleanup<T>(fn: () => Promise<T>): Promise<T> {
    return this.cleanupScope.run(true, fn)
  }
}

/** A run that is never cancelled: the default for tests and tools. */
export function neverCancelled(): Cancellation {
  return new Cancellation()
}

/**
 * Wires the process's SIGINT and SIGTERM to `cancellation.stop`, and exits at EXIT_DEADLINE_MS
 * after the first one with `onDeadline()` given a last word. Installing a listener replaces
 * Node's default of dying at once; every later signal is ignored (the clean-up goes on).
 */
export function installSignalHandlers(
  cancellation: Cancellation,
  onDeadline: () => void,
  proc: NodeJS.Process = process
): void {
  const handler = (signalName: NodeJS.Signals) => {
    if (cancellation.requested) return
    cancellation.stop(signalName)
    const t = setTimeout(() => {
      try {
        onDeadline()
      } finally {
        proc.exit(1)
      }
    }, EXIT_DEADLINE_MS)
    t.unref()
  }
  proc.on('SIGINT', handler)
  proc.on('SIGTERM', handler)
}
