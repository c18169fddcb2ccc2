/**
 * Crashes in process, through the rotation's two ports (KeyService, SecretStore).
 *
 * A crash is a promise that never settles: the run stops at that call and nothing after it runs,
 * no `catch`, no `finally`, no clean-up, which is what a killed runner does. From the crash on,
 * every call of either port never settles and sends nothing, so work the run had going at the
 * same time (a read started alongside) stops there too, as it does in a killed process. (A thrown error would
 * not do: the rotation catches errors on purpose, to revoke a new key or report a failed write.)
 *
 * Every method of both ports is wrapped, whatever its name, so a method the ports gain later
 * (list, update, usage…) is counted and can be crashed at without changing this file.
 */
import type { KeyService, SecretStore } from '../../src/rotation/ports.js'

/** Where a run stops: before the Nth call of a port method is made, or after it returned. */
export interface Boundary {
  port: 'keys' | 'secrets'
  method: string
  /** 1-based, counted per port method. */
  nth: number
  when: 'before' | 'after'
}

export function describeBoundary(b: Boundary): string {
  return `${b.when} ${b.port}.${b.method} #${b.nth}`
}

/** One call a port saw, in order of the call (not of its answer). */
export interface PortCall {
  port: 'keys' | 'secrets'
  method: string
  nth: number
}

export interface Ports {
  keys: KeyService
  secrets: SecretStore
}

/**
 * Wraps both ports. Each call is recorded; when it matches `crash`, the run stops there. `crashed`
 * resolves at that moment (and never, when the run passes no such boundary).
 */
export function instrument(ports: Ports, crash?: Boundary) {
  const calls: PortCall[] = []
  let resolveCrashed: (b: Boundary) => void = () => undefined
  const crashed = new Promise<Boundary>(resolve => (resolveCrashed = resolve))
  let dead = false
  const signal = (b: Boundary) => {
    dead = true
    resolveCrashed(b)
  }
  const counts = new Map<string, number>()
  const never = () => new Promise<never>(() => undefined)

  function wrap<T extends object>(port: 'keys' | 'secrets', target: T): T {
    return new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver) as unknown
        if (typeof value !== 'function' || typeof prop !== 'string') return value
        return (...args: unknown[]) => {
          if (dead) return never()
          const id = `${port}.${prop}`
          const nth = (counts.get(id) ?? 0) + 1
          const here = crash?.port === port && crash.method === prop && crash.nth === nth
          if (here && crash.when === 'before') {
            counts.set(id, nth)
            calls.push({ port, method: prop, nth })
            signal(crash)
            return never()
          }
          const result = (value as (...a: unknown[]) => unknown).apply(obj, args)
          // Only calls that go out (they answer a promise) are boundaries: a synchronous method
          // such as sentWith() is a local count, and a crash "at" it is no different from the
          // boundary next to it.
          if (!(result instanceof Promise)) return result
          counts.set(id, nth)
          calls.push({ port, method: prop, nth })
          if (!here) return result
          // After: let the call do its work, whatever it answers, then stop.
          return result.then(
            () => (signal(crash), never()),
            () => (signal(crash), never())
          )
        }
      }
    })
  }

  return {
    ports: { keys: wrap('keys', ports.keys), secrets: wrap('secrets', ports.secrets) },
    calls,
    crashed
  }
}

/**
 * A crash at `boundary`, for a run built later: pass `wrap` where the run takes its ports;
 * `crashed` resolves when the run reaches the boundary.
 */
export function crashAt(boundary: Boundary) {
  let signal: (b: Boundary) => void = () => undefined
  const crashed = new Promise<Boundary>(resolve => (signal = resolve))
  const wrap = (ports: Ports): Ports => {
    const i = instrument(ports, boundary)
    void i.crashed.then(signal)
    return i.ports
  }
  return { wrap, crashed }
}

/** Every boundary of a call sequence: before and after each call. */
export function boundariesOf(calls: PortCall[]): Boundary[] {
  return calls.flatMap(c => [
    { ...c, when: 'before' as const },
    { ...c, when: 'after' as const }
  ])
}

/**
 * Runs `run` until it settles or crashes: 'crashed' when it reached the boundary, else what the
 * run came to ('finished', or the error it failed with).
 */
export async function runUntilCrash(
  run: Promise<unknown>,
  crashed: Promise<Boundary>
): Promise<{ outcome: 'crashed' } | { outcome: 'finished' } | { outcome: 'failed'; error: Error }> {
  return Promise.race([
    crashed.then(() => ({ outcome: 'crashed' as const })),
    run.then(
      () => ({ outcome: 'finished' as const }),
      (error: Error) => ({ outcome: 'failed' as const, error })
    )
  ])
}
