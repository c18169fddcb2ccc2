/**
 * What scripts/bench.ts measures with: a timed child process (wall time and peak RSS, the
 * action started exactly as the runner starts it), and a log of every request the emulators in
 * this process answer (start, end, and how many socket writes its answer took).
 *
 * Nothing here knows the action's code: it runs dist/index.js as a subprocess and watches the
 * emulators' HTTP servers from outside, so it measures today's action and tomorrow's alike.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import {
  ACTION_NODE,
  DIST,
  ROOT,
  inputVariable,
  parseOutputs
} from '../../test/support/run-action.js'

/**
 * Peak RSS comes from GNU time's `%M` (the child's own getrusage maxrss, in KiB): Node's
 * spawnSync returns no rusage, and a wrapper's process.resourceUsage() is the wrapper's. Every
 * measured command is wrapped alike, `node -e 0` included, so the wrapper's cost is in the
 * baseline too and the ratios stay fair.
 */
export const GNU_TIME = '/usr/bin/time'
export const HAS_TIME = existsSync(GNU_TIME)

export interface Timed {
  ms: number
  code: number | null
  /** Peak resident set size in MiB; NaN without GNU time. */
  rssMiB: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
}

function actionDefaults(): Record<string, string> {
  const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }
  const defaults: Record<string, string> = {}
  for (const [name, spec] of Object.entries(action.inputs)) {
    if (spec.default !== undefined) defaults[name] = String(spec.default)
  }
  return defaults
}

/**
 * Runs `node <args>` with the runner's environment (GITHUB_OUTPUT and friends); with `inputs`,
 * as test/support/run-action.ts does (action.yml's defaults filled in), without, bare.
 */
export async function timed(
  args: string[],
  options: {
    inputs?: Record<string, string>
    env?: Record<string, string>
    timeoutMs?: number
  } = {}
): Promise<Timed> {
  const dir = mkdtempSync(join(tmpdir(), 'rotate-key-bench-'))
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_STATE: join(dir, 'state')
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'octo/app',
    GITHUB_WORKFLOW: 'Rotate Hive key',
    RUNNER_TEMP: dir,
    ...files,
    ...options.env
  }
  if (options.inputs !== undefined) {
    for (const [name, value] of Object.entries({ ...actionDefaults(), ...options.inputs })) {
      env[inputVariable(name)] = value
    }
  }
  const rssFile = join(dir, 'rss')
  const [command, argv] = HAS_TIME
    ? [GNU_TIME, ['-f', '%M', '-o', rssFile, ACTION_NODE, ...args]]
    : [ACTION_NODE, args]
  const started = performance.now()
  const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => (stdout += chunk))
  child.stderr.on('data', chunk => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  const code = await new Promise<number | null>(done => child.on('exit', c => done(c)))
  const ms = performance.now() - started
  clearTimeout(timer)
  await new Promise<void>(done =>
    child.stdout.readableEnded ? done() : child.stdout.on('end', done)
  )
  const rssText = HAS_TIME ? readFileSync(rssFile, 'utf8').trim().split('\n').pop() : undefined
  const outputs = parseOutputs(readFileSync(files.GITHUB_OUTPUT, 'utf8'))
  rmSync(dir, { recursive: true, force: true })
  return { ms, code, rssMiB: rssText ? Number(rssText) / 1024 : NaN, stdout, stderr, outputs }
}

export const DIST_ARGS = [DIST]

/** One request an emulator answered: when it arrived and when its answer was handed to the OS. */
export interface Span {
  server: string
  method: string
  url: string
  start: number
  end: number
  /** Socket writes the answer (status line, headers and body) took: 1 is one TCP segment. */
  writes: number
}

const writesOf = new WeakMap<net.Socket, number>()

/**
 * Records every request every http.Server of this process answers. Installed once, before the
 * emulators start; `names` maps a server's port to a label.
 */
export class RequestLog {
  spans: Span[] = []
  names = new Map<number, string>()

  install(): void {
    // Count the writes that reach the socket's handle: node corks a response's head and body
    // into one writev when it can; a second write is a second segment on loopback.
    const proto = net.Socket.prototype as unknown as Record<string, unknown>
    const writeGeneric = proto._writeGeneric as (this: net.Socket, ...a: unknown[]) => unknown
    proto._writeGeneric = function (this: net.Socket, ...a: unknown[]) {
      writesOf.set(this, (writesOf.get(this) ?? 0) + 1)
      return writeGeneric.apply(this, a)
    }
    const emit = http.Server.prototype.emit as (this: http.Server, ...a: unknown[]) => boolean
    const spans = this.spans
    const names = this.names
    http.Server.prototype.emit = function (this: http.Server, event: string, ...a: unknown[]) {
      if (event === 'request') {
        const [req, res] = a as [http.IncomingMessage, http.ServerResponse]
        const socket = req.socket
        const before = writesOf.get(socket) ?? 0
        const port = (this.address() as net.AddressInfo | null)?.port ?? 0
        const span: Span = {
          server: names.get(port) ?? String(port),
          method: req.method ?? '?',
          url: req.url ?? '?',
          start: performance.now(),
          end: NaN,
          writes: 0
        }
        spans.push(span)
        res.once('finish', () => {
          span.end = performance.now()
          setImmediate(() => (span.writes = (writesOf.get(socket) ?? 0) - before))
        })
        res.once('close', () => {
          if (Number.isNaN(span.end)) span.end = performance.now()
        })
      }
      return emit.call(this, event, ...a)
    } as typeof http.Server.prototype.emit
  }

  clear(): void {
    this.spans.length = 0
  }
}

/**
 * The longest chain of requests each of which started only after the one before had ended:
 * the sequential rounds a run took, whatever it overlapped.
 */
export function sequentialRounds(spans: Span[]): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start)
  const chain: number[] = []
  let best = 0
  for (let i = 0; i < sorted.length; i++) {
    let longest = 0
    for (let j = 0; j < i; j++) {
      if (sorted[j].end <= sorted[i].start && chain[j] > longest) longest = chain[j]
    }
    chain[i] = longest + 1
    if (chain[i] > best) best = chain[i]
  }
  return best
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
