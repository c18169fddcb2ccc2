/**
 * Scripted faults, as both emulators (hive.ts, github.ts) offer them through `addFault()`: the
 * shared shape of a fault, and the counting that decides which call a fault answers.
 *
 * A fault matches a call by method and path. Every matching call is counted, per fault, whether
 * or not it is answered by that fault; a fault answers the matching calls numbered `nth` to
 * `nth + times - 1`. When several faults cover a call, the first one added answers it.
 *
 * What a fault's answer looks like (default bodies for its status, how its headers combine with
 * the emulator's own, delays, resets) is each emulator's business: it gets the fault back from
 * `FaultList.take()` and builds the response itself.
 */

/** A scripted failure: which calls it answers, and what it answers them with. */
export interface Fault {
  /** HTTP method to match (case-insensitive); default: any method. */
  method?: string
  /** Path to match, without the query string: a string must equal it, a RegExp is tested on it. */
  path: string | RegExp
  /** 1-based index of the matching call at which the fault starts; default 1. */
  nth?: number
  /** How many consecutive matching calls get it; default 1 (`Infinity`: every one from `nth`). */
  times?: number
  /** Status to answer, e.g. 429, 503, 302. */
  status: number
  /** Extra response headers. */
  headers?: Record<string, string>
  /** Raw body; default: the emulator's error body for `status`. */
  body?: string
  /** Content type of `body`. */
  contentType?: string
  /** Hold the response this long (real milliseconds) before answering, to provoke timeouts. */
  delayMs?: number
}

/** Throws unless `nth` is an integer >= 1 and `times` an integer >= 1 or `Infinity`. */
export function checkFaultWindow(fault: Fault): void {
  const nth = fault.nth ?? 1
  const times = fault.times ?? 1
  if (!Number.isInteger(nth) || nth < 1) throw new Error('fault.nth must be an integer >= 1')
  if (!(times === Infinity || (Number.isInteger(times) && times >= 1))) {
    throw new Error('fault.times must be an integer >= 1 or Infinity')
  }
}

export interface FaultListOptions {
  /**
   * Let a string `path` also equal the percent-decoded request path (a RegExp is still tested
   * against the path as sent). Default false: a string must equal the path as sent.
   */
  matchDecodedPath?: boolean
}

/** The faults an emulator was given, each with the number of matching calls it has seen. */
export class FaultList<F extends Fault> {
  private entries: { fault: F; seen: number }[] = []

  constructor(private readonly options: FaultListOptions = {}) {}

  /** Adds a copy of `fault`, so that changing the object afterwards changes nothing. */
  add(fault: F): void {
    this.entries.push({ fault: { ...fault }, seen: 0 })
  }

  clear(): void {
    this.entries = []
  }

  /**
   * Counts this call against every fault that matches it; returns the first one whose window
   * covers it. `method` must be upper case.
   */
  take(method: string, path: string): F | undefined {
    let fired: F | undefined
    for (const entry of this.entries) {
      const { fault } = entry
      if (!this.matches(fault, method, path)) continue
      entry.seen += 1
      const nth = fault.nth ?? 1
      const times = fault.times ?? 1
      if (fired === undefined && entry.seen >= nth && entry.seen < nth + times) fired = fault
    }
    return fired
  }

  private matches(fault: F, method: string, path: string): boolean {
    if (fault.method !== undefined && fault.method.toUpperCase() !== method) return false
    if (fault.path instanceof RegExp) {
      fault.path.lastIndex = 0 // a /g or /y RegExp keeps state between test() calls
      return fault.path.test(path)
    }
    if (fault.path === path) return true
    if (this.options.matchDecodedPath !== true) return false
    try {
      return fault.path === decodeURIComponent(path)
    } catch {
      return false // malformed percent-encoding
    }
  }
}
