/**
 * The one HTTP stack of the process: undici (the copy @actions/github and @actions/http-client
 * already bundle), with one dispatcher for every request, Hive's and GitHub's alike:
 *
 * - **https** follows the environment's proxy settings: HTTPS_PROXY for https URLs (HTTP_PROXY
 *   when it is unset), NO_PROXY to go direct, lower-case spellings first;
 * - **plain http** goes only to a loopback host (a local emulator: settings allow nothing else),
 *   and always direct, whatever HTTP_PROXY and NO_PROXY say (invariant 6): through a proxy, the
 *   proxy would read every key and token in clear, and would resolve `localhost` on its own side,
 *   where another server may answer. The name is resolved here. A plain-http request to any other
 *   host is refused, and nothing is sent.
 *
 * Node's global fetch is not used: it ignores these variables (on Node 24 only with
 * NODE_USE_ENV_PROXY=1), and it is a second copy of undici to load and compile.
 *
 * Nothing else about a request is decided here: origin pinning, redirects, deadlines, retries and
 * size caps stay with the two callers (hive/http.ts, github/octokit.ts), which pass their own
 * `redirect` and `signal` on every call.
 */
import { Agent, type Dispatcher, EnvHttpProxyAgent, fetch as undiciFetch } from 'undici'

export function isLoopbackHost(hostname: string): boolean {
  // WHATWG URL has already canonicalised the host: 127.1 and 0x7f.0.0.1 arrive as 127.0.0.1,
  // [0:0:0:0:0:0:0:1] as [::1].
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}

/**
 * How a request to `origin` is sent: `direct` (plain http to a loopback host), `environment`
 * (through the proxy the environment names, unless NO_PROXY lists the host), or `refused` (plain
 * http anywhere else, or not a URL).
 */
export function routeFor(origin: string | URL): 'direct' | 'environment' | 'refused' {
  let url: URL
  try {
    url = new URL(String(origin))
  } catch {
    return 'refused'
  }
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) ? 'direct' : 'refused'
  return 'environment'
}

/**
 * A test hook's value: a plain count of milliseconds in the environment variable `name`, honoured
 * only when `baseUrl`'s host is loopback (an emulator). Anything else (a real GitHub, a value
 * that is not 0 to 99999, no variable) is `undefined`: the action's own pace stands. The
 * end-to-end tests use these so that they don't wait on GitHub's pace against an emulator.
 */
export function loopbackTestHookMs(
  name: string,
  baseUrl: string,
  env: NodeJS.ProcessEnv
): number | undefined {
  const raw = env[name]
  if (raw === undefined || !/^\d{1,5}$/.test(raw.trim())) return undefined
  let host: string
  try {
    host = new URL(baseUrl).hostname
  } catch {
    return undefined
  }
  return isLoopbackHost(host) ? Number(raw.trim()) : undefined
}

let dispatcher: Dispatcher | undefined

/**
 * The process's dispatcher, made on first use (a run that fails on its inputs never makes it).
 * The proxy variables are read then; NO_PROXY is read again whenever it changes.
 */
export function httpDispatcher(): Dispatcher {
  if (dispatcher === undefined) {
    const direct = new Agent()
    const environment = envHttpProxyAgent()
    dispatcher = environment.compose(viaEnvironment => (options, handler) => {
      const route = routeFor(options.origin ?? '')
      if (route === 'environment') return viaEnvironment(options, handler)
      if (route === 'direct') return direct.dispatch(options, handler)
      handler.onError?.(
        new Error(
          'refused to send a plain-http request to a host that is not loopback: plain http goes ' +
            'only to localhost, 127.0.0.0/8 or [::1], direct'
        )
      )
      return false
    })
  }
  return dispatcher
}

function envHttpProxyAgent(): EnvHttpProxyAgent {
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
    return new EnvHttpProxyAgent()
  } finally {
    process.emitWarning = emitWarning
  }
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
