/**
 * The one HTTP stack of the process: undici (the copy @actions/github and @actions/http-client
 * already bundle), with one dispatcher that honours the environment's proxy settings for every
 * request, Hive's and GitHub's alike: HTTPS_PROXY for https URLs, HTTP_PROXY for http ones (and
 * for https when HTTPS_PROXY is unset), NO_PROXY to go direct, lower-case spellings first.
 *
 * Node's global fetch is not used: it ignores these variables (on Node 24 only with
 * NODE_USE_ENV_PROXY=1), and it is a second copy of undici to load and compile.
 *
 * Nothing else about a request is decided here: origin pinning, redirects, deadlines, retries and
 * size caps stay with the two callers (hive/http.ts, github/octokit.ts), which pass their own
 * `redirect` and `signal` on every call.
 */
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici'

let dispatcher: EnvHttpProxyAgent | undefined

/**
 * The process's dispatcher, made on first use (a run that fails on its inputs never makes it).
 * The variables are read then; NO_PROXY is read again whenever it changes.
 */
export function httpDispatcher(): EnvHttpProxyAgent {
  if (dispatcher === undefined) {
    // undici 6 warns once that EnvHttpProxyAgent is experimental; that line in every run's log
    // would say nothing to the workflow's author. Only that one warning is held back.
    const emitWarning = process.emitWarning
    process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
      const options = rest[0]
      const code =
        typeof options === 'object' && options !== null
          ? (options as { code?: unknown }).code
          : rest[1]
      if (code === 'UNDICI-EHPA') return
      ;(emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest)
    }) as typeof process.emitWarning
    try {
      dispatcher = new EnvHttpProxyAgent()
    } finally {
      process.emitWarning = emitWarning
    }
  }
  return dispatcher
}

/**
 * undici's fetch through the process's dispatcher. Typed as the global fetch so that callers (and
 * their test doubles) keep the Request/Response/Headers types they were written against: undici's
 * classes are the same web API.
 */
export const fetch: typeof globalThis.fetch = (input, init) =>
  undiciFetch(input as Parameters<typeof undiciFetch>[0], {
    ...(init as Parameters<typeof undiciFetch>[1]),
    dispatcher: httpDispatcher()
  }) as unknown as Promise<Response>
