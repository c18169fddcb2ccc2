/**
 * A stateful Hive API emulator: a real HTTP server on 127.0.0.1 that follows
 * shared/design/hive-api.md (contract v1) to the letter.
 *
 * Used by the end-to-end tests (which run the bundled action as a child process with `hive-url`
 * pointing here) and by the demo script. Besides the contract it offers test hooks:
 *
 * - `seedKey()` puts a key in place without an HTTP call (seeded keys are usable at once);
 * - `options` simulate propagation delay (a new key answering 401 for a while), latency, and
 *   deployments the action must survive: a create that revokes the old key (`createRevokes`), a
 *   name column shorter than the contract's 200 characters (`nameMaxLength`);
 * - `addFault()` makes chosen calls fail (429, 5xx, HTML proxy pages, 3xx redirects, slow answers);
 *   a rate limit of a day is `addFault({ status: 429, headers: { 'Retry-After': '86401' } })`;
 * - `delayCreate()` makes chosen creates take effect late, or be answered late (a create answered
 *   16 s late; one that takes effect 3 s after the client gave up, as a real server finishes a
 *   request its client abandoned);
 * - `tamper()` makes it lie (a field replaced, an existing key answered for a created one, a
 *   different grant, a looping cursor, a huge or endless body), on the way out: the honest answer
 *   is computed and takes effect first, so a lie never changes what the emulator holds;
 * - `requests` records every request: method, path, query, status, the id of the key that
 *   authenticated, the parsed request body, and the bytes of a streamed (huge or endless) body
 *   sent before the client hung up. The raw `X-Api-Key` value is never recorded;
 * - `onAnswered` is called once per request, as soon as it took effect, for a property test to
 *   check its invariants after every request;
 * - every request and every answer is checked against docs/hive-api.openapi.yaml
 *   (`hive-contract.ts`): a request off the contract is answered as the contract says (404, 422);
 *   an answer of the emulator off the contract becomes a 500 naming the violation. Both are in
 *   `contractViolations()`. Scripted faults are deliberately off the contract and not checked.
 *
 * Fault counting (`faults.ts`) and listening/closing (`loopback.ts`) are shared with the GitHub
 * emulator; what a fault answers (rate-limit headers, contract error bodies) is this file's.
 *
 * Clocks: timestamps, expiry, usage windows and rate-limit windows follow `options.now()` (the
 * emulated server's clock, which tests may move). Propagation delay, latency, fault delays and
 * create delays are real elapsed time, because the client waits for them in real time.
 *
 * This is test code: it is not hardened against hostile input beyond what the contract requires,
 * and it keeps key values in memory in plain text (a real server stores only a hash).
 */

import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'

import type { HiveKey, KeyUsage, Permission, Scope } from '../../src/hive/types.js'
import { checkFaultWindow, FaultList, type Fault } from './faults.js'
import { ContractMonitor, type ContractViolation } from './hive-contract.js'
import { LoopbackServer, type LoopbackTls } from './loopback.js'

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/**
 * A scripted failure (see `Fault` for matching: exact path as sent, or a RegExp). Faults are
 * checked before anything else, authentication included.
 */
export interface HiveFault extends Fault {
  /**
   * Extra response headers, e.g. `{'Retry-After': '1'}` or `{Location: 'http://127.0.0.1:9/x'}`.
   * They override the defaults (rate-limit headers, and `Retry-After: 1` on a 429); a header given
   * as the empty string is left out of the response altogether.
   */
  headers?: Record<string, string>
  /** Raw body; default: the contract's JSON error body for that status (empty for 1xx-3xx). */
  body?: string
  /** Default `application/json`; use `text/html` for proxy pages. */
  contentType?: string
}

/**
 * A lie told on the way out (see `tamper()`). It matches calls as a fault does (method, path,
 * `nth`, `times`; default every matching call) but only answers that succeeded: the honest answer
 * is computed, takes effect, and is then altered or replaced.
 */
export interface HiveTamper {
  method?: string
  /** Default: every path. */
  path?: string | RegExp
  nth?: number
  times?: number
  /**
   * Replace a field of every key object in the answer (the key object itself, the items of a list
   * page; the created key's `key` too), or only of the key `keyId`. `name` is a dotted path into
   * the object (`prefix`, `scope.engagement_ids.0`); `value` may be computed from the honest key
   * object (e.g. `k => k.key`: a prefix that is the whole value).
   */
  field?: {
    name: string
    value: unknown | ((honest: Record<string, unknown>) => unknown)
    keyId?: string
  }
  /** Answer a create with this existing key's object instead (and its value, with `withValue`). */
  answerKey?: { id: string; withValue?: boolean }
  /**
   * A create that grants something else than asked: the created key is changed in the store (a
   * lifetime of `expiresInMs` from now, another permission or scope) and answered as it now is.
   */
  grant?: { expiresInMs?: number; permission?: Permission; scope?: Scope }
  /**
   * A list page's next_cursor: `loop` hands out one cursor that leads back to itself; `endless` a
   * fresh cursor on every page. The pages they lead to are empty.
   */
  cursor?: 'loop' | 'endless'
  /** Stream a body of this many bytes instead of the answer (written as it drains, never held). */
  hugeBodyBytes?: number
  /** Stream a body that never ends, a few bytes at a time, until the client hangs up. */
  endlessBody?: boolean
}

/**
 * A create that takes effect late, or is answered late (see `delayCreate()`). It counts the
 * `POST /api-keys` calls as a fault counts its matching calls: every one the emulator receives,
 * including those a fault answers (a faulted create is answered by its fault, not delayed).
 */
export interface HiveCreateDelay {
  /** 1-based index, among the `POST /api-keys` calls, of the first one delayed; default 1. */
  nth?: number
  /** How many consecutive creates are delayed; default 1 (`Infinity`: every one from `nth`). */
  times?: number
  /**
   * Real ms the create waits before it takes effect (authentication, checks, the key stored,
   * `createRevokes`). It takes effect even when the client hung up meanwhile. Default 0.
   */
  beforeEffectMs?: number
  /** Real ms between the effect and the answer, on top of `options.latencyMs`. Default 0. */
  afterEffectMs?: number
}

export interface HiveEmulatorOptions {
  /**
   * A key created by POST /api-keys answers 401 until this many (real) ms after its creation.
   * Read when the key is created. Default 0.
   */
  propagationDelayMs?: number
  /**
   * A key created by POST /api-keys answers 401 to its first N authentication attempts.
   * Read when the key is created. Default 0.
   */
  propagationCalls?: number
  /** Real ms added to every response, after the request took effect. Default 0. */
  latencyMs?: number
  /** The server's clock, for timestamps, expiry and usage. Default `() => new Date()`. */
  now?: () => Date
  /**
   * Requests each key may make per 60-second window of `now()` before it gets 429.
   * Default 1000; 0 turns enforcement off (the headers are still sent).
   */
  rateLimitPerMinute?: number
  /** Serve https with this key and certificate (the proxy e2e test's own CA). Default http. */
  tls?: LoopbackTls
  /**
   * A create that revokes a key, as Hive's own Generate button "generates and assigns a new key
   * while revoking the old one" (shared/design/action.md, "A Hive whose create revokes the old
   * key"). Each successful `POST /api-keys` (201), right after the new key is stored, revokes the
   * key this names, exactly as DELETE would: `'caller'`, the key that authenticated the create; a
   * function, the id it returns (e.g. `() => world.ci.id`, the key being rotated, also when the
   * admin key creates), or none when it returns undefined. The created key itself, an unknown id
   * and an already revoked one are left alone. Read at each create. Default undefined: off.
   */
  createRevokes?: CreateRevokes
  /**
   * Every `name` a `POST /api-keys` or `PATCH /api-keys/{id}` stores is cut to its first N
   * characters (`name.slice(0, N)`) and answered as stored, as a deployment with a shorter name
   * column would. The name is checked (non-empty) before the cut, so N should be at least 1. Read
   * at each create and patch. Default undefined: names are kept whole.
   */
  nameMaxLength?: number
}

/** Which key a create revokes (see `HiveEmulatorOptions.createRevokes`). */
export type CreateRevokes =
  'caller' | ((ctx: { callerId: string; created: HiveKey }) => string | undefined)

/**
 * The options as the emulator holds them (`HiveEmulator.options`): every default filled in, the
 * switches that are off by default left undefined.
 */
export type HiveEmulatorSettings = Required<
  Omit<HiveEmulatorOptions, 'tls' | 'createRevokes' | 'nameMaxLength'>
> &
  Pick<HiveEmulatorOptions, 'createRevokes' | 'nameMaxLength'>

export interface HiveRequestRecord {
  method: string
  /** Path without the query string. */
  path: string
  /** Query string without the leading `?` ('' when none). */
  query: string
  /** Status answered, set when the request takes effect; 0 until then (e.g. a delayed create). */
  status: number
  /** Id of the key that authenticated, when one did. */
  keyId?: string
  /**
   * Id of the key whose value was presented in `X-Api-Key`, whether or not it authenticated
   * (revoked, expired, propagating, or the request was faulted). Undefined when the header was
   * missing or held no known value.
   */
  presentedKeyId?: string
  /** True when the header `X-Api-Key` was present at all (whatever its value). */
  sentApiKey: boolean
  /** True when a scripted fault answered this request. */
  fault?: boolean
  /** Request body: parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body?: unknown
  /** When the request arrived, per `options.now()` (ISO-8601 UTC). */
  at: string
  /** True when a tamper altered the answer. */
  tampered?: boolean
  /** Bytes of a streamed body (huge or endless) written before it ended or the client left. */
  bytesSent?: number
  /**
   * On a successful create while `options.createRevokes` is set: the ids of the keys it revoked
   * (empty when the switch named none, or a key that was unknown or already revoked).
   */
  revokedIds?: string[]
}

/** A key as the emulator stores it: the contract's key object plus its value. */
export interface StoredKey extends HiveKey {
  value: string
}

export interface SeedKeyOptions {
  name?: string
  permission?: Permission
  scope?: Scope
  /** ISO-8601 UTC, or null (never expires). Default null. */
  expiresAt?: string | null
  /** The key value; default a fresh `hv_` + 40 hex. Must be unique. */
  value?: string
  /** Default now. */
  createdAt?: string
}

// ---------------------------------------------------------------------------------------------
// Constants and small helpers
// ---------------------------------------------------------------------------------------------

/** Largest page GET /api-keys answers. */
export const PAGE_SIZE = 100
/** How far ahead `expires_at` may be set. */
export const MAX_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000
/** Length of the printable prefix of a key value (`hv_` + 4 hex). */
export const PREFIX_LENGTH = 7
/** Largest request body read; anything longer answers 422. */
const MAX_BODY_BYTES = 1024 * 1024
const RATE_WINDOW_MS = 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000

const PERMISSION_RANK: Record<Permission, number> = { 'read-only': 0, 'read-write': 1, admin: 2 }
const PERMISSION_LIST = Object.keys(PERMISSION_RANK) as Permission[]

/** The contract's error code for a status, or undefined for statuses it does not name (1xx-3xx). */
export function hiveErrorCode(status: number): string | undefined {
  switch (status) {
    case 401:
      return 'unauthorized'
    case 403:
      return 'forbidden'
    case 404:
      return 'not_found'
    case 422:
      return 'invalid_request'
    case 429:
      return 'rate_limited'
  }
  if (status >= 500) return 'unavailable'
  if (status >= 400) return 'bad_request'
  return undefined
}

/** The contract's JSON error body: `{"error":{"code":"…","message":"…"}}`. */
export function hiveErrorBody(status: number, message: string, code?: string): string {
  return JSON.stringify({ error: { code: code ?? hiveErrorCode(status) ?? 'error', message } })
}

/** ISO-8601 UTC; the milliseconds are dropped when they are zero (`2026-11-28T11:00:00Z`). */
function formatIso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z')
}

/** A server timestamp: `now()` truncated to the second, so every server timestamp has no ms. */
function stamp(now: Date): string {
  return formatIso(Math.floor(now.getTime() / 1000) * 1000)
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?Z$/

/**
 * Parses an ISO-8601 UTC timestamp (`YYYY-MM-DDTHH:MM:SS[.sss]Z`) strictly: no offsets, and no
 * rolled-over dates such as February 30 (which `Date.parse` would quietly turn into March 2).
 */
export function parseIsoUtc(value: string): number | undefined {
  if (!ISO_UTC.test(value)) return undefined
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) return undefined
  if (new Date(ms).toISOString().slice(0, 19) !== value.slice(0, 19)) return undefined
  return ms
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function randomBase62(length: number): string {
  // The slight modulo bias is irrelevant for ids, which are not secrets.
  return Array.from(randomBytes(length), b => BASE62[b % BASE62.length]).join('')
}

/** A fresh key value: `hv_` + 40 hex characters from the CSPRNG. */
function newKeyValue(): string {
  return `hv_${randomBytes(20).toString('hex')}`
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function clone<T>(value: T): T {
  return structuredClone(value)
}

// ---------------------------------------------------------------------------------------------
// Validation of request fields (422 with a message that names the field)
// ---------------------------------------------------------------------------------------------

type Checked<T> = { ok: true; value: T } | { ok: false; message: string }

function checkName(value: unknown): Checked<string> {
  if (typeof value !== 'string' || value.trim() === '') {
    return { ok: false, message: 'name: must be a non-empty string' }
  }
  return { ok: true, value }
}

function checkPermission(value: unknown): Checked<Permission> {
  if (typeof value !== 'string' || !PERMISSION_LIST.includes(value as Permission)) {
    return { ok: false, message: `permission: must be one of ${PERMISSION_LIST.join(', ')}` }
  }
  return { ok: true, value: value as Permission }
}

function checkIds(value: unknown, field: string): Checked<string[]> {
  if (!Array.isArray(value) || value.length === 0) {
    return { ok: false, message: `scope.${field}: must be a non-empty array of ids` }
  }
  if (!value.every(id => typeof id === 'string' && id !== '')) {
    return { ok: false, message: `scope.${field}: every id must be a non-empty string` }
  }
  return { ok: true, value: [...(value as string[])] }
}

function checkScope(value: unknown): Checked<Scope> {
  const shapes =
    '{"type":"all"}, {"type":"engagements","engagement_ids":[…]}' +
    ' or {"type":"campaigns","campaign_ids":[…]}'
  if (!isPlainObject(value)) return { ok: false, message: `scope: must be ${shapes}` }
  const keys = Object.keys(value).sort().join(',')
  if (value.type === 'all' && keys === 'type') return { ok: true, value: { type: 'all' } }
  if (value.type === 'engagements' && keys === 'engagement_ids,type') {
    const ids = checkIds(value.engagement_ids, 'engagement_ids')
    return ids.ok ? { ok: true, value: { type: 'engagements', engagement_ids: ids.value } } : ids
  }
  if (value.type === 'campaigns' && keys === 'campaign_ids,type') {
    const ids = checkIds(value.campaign_ids, 'campaign_ids')
    return ids.ok ? { ok: true, value: { type: 'campaigns', campaign_ids: ids.value } } : ids
  }
  return { ok: false, message: `scope: must be ${shapes}` }
}

/** `expires_at` must be an ISO-8601 UTC timestamp in the future, at most 365 days ahead. */
function checkExpiresAt(value: unknown, nowMs: number): Checked<string> {
  if (typeof value !== 'string') {
    return { ok: false, message: 'expires_at: must be an ISO-8601 UTC timestamp' }
  }
  const ms = parseIsoUtc(value)
  if (ms === undefined) {
    return {
      ok: false,
      message: 'expires_at: must be an ISO-8601 UTC timestamp (YYYY-MM-DDTHH:MM:SSZ)'
    }
  }
  if (ms <= nowMs) return { ok: false, message: 'expires_at: must be in the future' }
  if (ms > nowMs + MAX_LIFETIME_MS) {
    return { ok: false, message: 'expires_at: must be at most 365 days ahead' }
  }
  return { ok: true, value: formatIso(ms) }
}

/** True when `inner` grants nothing outside `outer`. */
function scopeWithin(inner: Scope, outer: Scope): boolean {
  if (outer.type === 'all') return true
  if (outer.type === 'engagements') {
    const allowed = new Set(outer.engagement_ids)
    return inner.type === 'engagements' && inner.engagement_ids.every(id => allowed.has(id))
  }
  const allowed = new Set(outer.campaign_ids)
  return inner.type === 'campaigns' && inner.campaign_ids.every(id => allowed.has(id))
}

// ---------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------

/** What the emulator keeps per key besides the key itself. */
interface KeyEntry {
  key: StoredKey
  /** Creation order, which is also the listing order and what cursors point at. */
  seq: number
  /** Real time (performance.now()) before which the key answers 401; 0 when none. */
  propagatedAtMs: number
  /** Authentication attempts still to be refused as "not yet propagated". */
  propagationCallsLeft: number
  /** One entry per request this key authenticated: when (per now()) and what status it got. */
  usage: { atMs: number; status: number }[]
  /** Rate-limit window (per now()) and the calls counted in it. */
  windowStartMs: number
  windowCalls: number
}

interface Reply {
  status: number
  /** JSON-serialised as the body; undefined for no body (204). */
  body?: unknown
  headers?: Record<string, string>
}

/** Whom a request authenticated as. */
interface Caller {
  entry: KeyEntry
  key: StoredKey
}

function error(status: number, message: string, code?: string): Reply {
  return { status, body: JSON.parse(hiveErrorBody(status, message, code)) }
}

/** The key object as the API shows it: never the value. */
function publicView(key: StoredKey): HiveKey {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    permission: key.permission,
    scope: clone(key.scope),
    created_at: key.created_at,
    expires_at: key.expires_at,
    last_used_at: key.last_used_at,
    revoked_at: key.revoked_at
  }
}

export class HiveEmulator {
  /** Mutable at runtime: tests may change any option between requests. */
  options: HiveEmulatorSettings
  /** Every request, in order of arrival. Tests may clear it (`requests.length = 0`). */
  requests: HiveRequestRecord[] = []
  /**
   * Called synchronously once per request with its record, right after the request took effect
   * (state changed, `status` known) and before any latency, create delay or response write;
   * faulted requests included. A property test checks its invariants here after every request.
   * What it throws is logged and ignored. Not called for a request whose client left before its
   * body was read, nor one cancelled by `stop()` before its effect. Fields set on the way out
   * (`tampered`, `bytesSent`) come later, and so does the change a `grant` tamper makes.
   */
  onAnswered?: (record: HiveRequestRecord) => void

  private readonly server = new LoopbackServer()
  private readonly tls?: LoopbackTls

  /** The client-side port of every connection the emulator accepted (see LoopbackServer). */
  get peerPorts(): readonly number[] {
    return this.server.peerPorts
  }
  private readonly entries = new Map<string, KeyEntry>()
  /** Key value -> key id. The emulator looks keys up by value; a real server would use a hash. */
  private readonly byValue = new Map<string, string>()
  private nextSeq = 1
  private readonly faults = new FaultList<HiveFault>()
  private readonly contract = new ContractMonitor()
  /** Tampers, counted as faults are (FaultList wants a status: it is not used). */
  private readonly tampers = new FaultList<HiveTamper & { status: number; path: string | RegExp }>()
  /** Create delays, counted as faults are (FaultList wants a status: it is not used). */
  private readonly createDelays = new FaultList<
    HiveCreateDelay & { method: string; path: string; status: number }
  >()
  /** Bumped by the `endless` cursor so that every page has a cursor never seen before. */
  private endlessCursor = 1_000_000
  /** Pending delays (latency, slow faults, delayed creates), cancelled by stop(). */
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(options: HiveEmulatorOptions = {}) {
    this.options = {
      propagationDelayMs: options.propagationDelayMs ?? 0,
      propagationCalls: options.propagationCalls ?? 0,
      latencyMs: options.latencyMs ?? 0,
      now: options.now ?? (() => new Date()),
      rateLimitPerMinute: options.rateLimitPerMinute ?? 1000,
      createRevokes: options.createRevokes,
      nameMaxLength: options.nameMaxLength
    }
    this.tls = options.tls
  }

  // --- lifecycle --------------------------------------------------------------------------------

  /**
   * Listens on 127.0.0.1 on `port` (default 0: a free one); returns the base URL
   * (`http://127.0.0.1:PORT`). scripts/emulators.ts gives a fixed port, to match .env.example.
   */
  async start(port = 0): Promise<string> {
    if (this.server.url !== undefined) return this.server.url
    return this.server.listen(
      (req, res) => {
        this.handle(req, res).catch(err => {
          // A bug in the emulator: answer 500 rather than hang the client.
          console.error('hive emulator: internal error', err)
          if (!res.headersSent) {
            res.writeHead(500, { 'Content-Type': 'application/json' })
            res.end(hiveErrorBody(500, 'emulator internal error', 'internal'))
          } else {
            res.destroy()
          }
        })
      },
      port,
      this.tls
    )
  }

  /** Closes the server and every open socket; pending delayed answers are dropped. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    await this.server.close()
  }

  get url(): string {
    const url = this.server.url
    if (url === undefined) throw new Error('HiveEmulator: not started')
    return url
  }

  // --- test hooks -------------------------------------------------------------------------------

  /**
   * Puts a key in place directly (no HTTP call, no propagation delay). Defaults: an admin key with
   * scope `all` that never expires. Returns its id and value.
   */
  seedKey(opts: SeedKeyOptions = {}): { id: string; value: string } {
    const value = opts.value ?? newKeyValue()
    if (value === '' || this.byValue.has(value)) {
      throw new Error('HiveEmulator.seedKey: the value must be non-empty and unique')
    }
    const entry = this.insertKey({
      value,
      name: opts.name ?? 'seeded key',
      permission: opts.permission ?? 'admin',
      scope: clone(opts.scope ?? { type: 'all' }),
      created_at: opts.createdAt ?? stamp(this.options.now()),
      expires_at: opts.expiresAt ?? null
    })
    return { id: entry.key.id, value }
  }

  /** True when `value` is a known key, not revoked and not expired (propagation is ignored). */
  accepts(value: string): boolean {
    const id = this.byValue.get(value)
    const entry = id === undefined ? undefined : this.entries.get(id)
    return entry !== undefined && this.isActive(entry.key, this.options.now().getTime())
  }

  /** Any key, revoked ones included; a copy. */
  key(id: string): StoredKey | undefined {
    const entry = this.entries.get(id)
    return entry === undefined ? undefined : clone(entry.key)
  }

  /** All keys, revoked included, in creation order; copies. */
  keys(): StoredKey[] {
    return [...this.entries.values()].sort((a, b) => a.seq - b.seq).map(e => clone(e.key))
  }

  /** Keys neither revoked nor expired, in creation order; copies. */
  activeKeys(): StoredKey[] {
    const nowMs = this.options.now().getTime()
    return this.keys().filter(k => this.isActive(k, nowMs))
  }

  /**
   * Moves a key's `created_at` back by `ms`, as if it had been created that long ago: how a test
   * makes the key of a run it killed a moment ago look like one left by a run long finished.
   */
  backdate(id: string, ms: number): void {
    const entry = this.entries.get(id)
    if (entry === undefined) throw new Error(`HiveEmulator.backdate: no key ${id}`)
    const created = parseIsoUtc(entry.key.created_at)
    if (created === undefined) throw new Error(`HiveEmulator.backdate: ${id} has no created_at`)
    entry.key.created_at = formatIso(Math.floor((created - ms) / 1000) * 1000)
  }

  /** Usage answers planted by seedUsage, by key id. */
  private readonly seededUsage = new Map<string, KeyUsage>()

  /**
   * Makes `GET /api-keys/{id}/usage` answer these numbers from now on, instead of counting the
   * requests the key made, and sets the key object's `last_used_at` to the same time (a real
   * Hive shows one last use in both). How a test plants a key unused for weeks, or failing.
   */
  seedUsage(
    id: string,
    usage: { requests_24h: number; errors_24h: number; last_used_at: string | null }
  ): void {
    const entry = this.entries.get(id)
    if (entry === undefined) throw new Error(`HiveEmulator.seedUsage: no key ${id}`)
    this.seededUsage.set(id, { ...usage })
    entry.key.last_used_at = usage.last_used_at
  }

  addFault(fault: HiveFault): void {
    this.faults.add(fault)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  /**
   * Delays the creates `delay` matches (see HiveCreateDelay): each waits `beforeEffectMs` before
   * it takes effect, then `afterEffectMs` before it is answered. A create whose client gave up
   * still takes effect: the key exists afterwards. `stop()` cancels the pending ones, and a create
   * cancelled before its effect never takes it.
   */
  delayCreate(delay: HiveCreateDelay): void {
    const window = { ...delay, method: 'POST', path: '/api-keys', status: 0 }
    checkFaultWindow(window)
    for (const ms of [delay.beforeEffectMs, delay.afterEffectMs]) {
      if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0)) {
        throw new Error('HiveEmulator.delayCreate: delays must be finite and >= 0')
      }
    }
    this.createDelays.add(window)
  }

  clearCreateDelays(): void {
    this.createDelays.clear()
  }

  /**
   * Requests that broke docs/hive-api.openapi.yaml (`side: 'request'`: the client's fault) and
   * answers of the emulator that broke it (`side: 'answer'`: an emulator bug), in order.
   */
  contractViolations(): ContractViolation[] {
    return this.contract.violations()
  }

  /** Adds a lie (see HiveTamper); lies are told in the order they were added. */
  tamper(tamper: HiveTamper): void {
    const every = { path: tamper.path ?? /^/, times: tamper.times ?? Infinity, status: 0 }
    this.tampers.add({ ...tamper, ...every })
  }

  clearTampers(): void {
    this.tampers.clear()
  }

  // --- key store --------------------------------------------------------------------------------

  private insertKey(
    fields: Omit<StoredKey, 'id' | 'prefix' | 'last_used_at' | 'revoked_at'>,
    propagation: { untilMs: number; calls: number } = { untilMs: 0, calls: 0 }
  ): KeyEntry {
    let id: string
    do id = `key_${randomBase62(8)}`
    while (this.entries.has(id))
    const key: StoredKey = {
      id,
      name: fields.name,
      prefix: fields.value.slice(0, PREFIX_LENGTH),
      permission: fields.permission,
      scope: fields.scope,
      created_at: fields.created_at,
      expires_at: fields.expires_at,
      last_used_at: null,
      revoked_at: null,
      value: fields.value
    }
    const entry: KeyEntry = {
      key,
      seq: this.nextSeq++,
      propagatedAtMs: propagation.untilMs,
      propagationCallsLeft: propagation.calls,
      usage: [],
      windowStartMs: 0,
      windowCalls: 0
    }
    this.entries.set(id, entry)
    this.byValue.set(fields.value, id)
    return entry
  }

  private isExpired(key: HiveKey, nowMs: number): boolean {
    return key.expires_at !== null && Date.parse(key.expires_at) <= nowMs
  }

  private isActive(key: HiveKey, nowMs: number): boolean {
    return key.revoked_at === null && !this.isExpired(key, nowMs)
  }

  // --- request handling -------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    const rawUrl = req.url ?? '/'
    const q = rawUrl.indexOf('?')
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q)
    const query = q === -1 ? '' : rawUrl.slice(q + 1)
    let raw: RawBody
    try {
      raw = await readBody(req)
    } catch {
      // The client went away mid-request (e.g. a test killed the action): nothing to answer.
      res.destroy()
      return
    }

    const header = req.headers['x-api-key']
    const presented = typeof header === 'string' && header !== '' ? header : undefined
    const record: HiveRequestRecord = {
      method,
      path,
      query,
      status: 0,
      sentApiKey: header !== undefined,
      presentedKeyId: presented === undefined ? undefined : this.byValue.get(presented),
      body: raw.tooLarge ? '<too large>' : parseForRecord(raw.text),
      at: stamp(this.options.now())
    }
    this.requests.push(record)
    // Checked even when a fault answers: what the client sent is its own doing.
    const offContract = this.contract.request({
      method,
      path,
      query,
      contentType: req.headers['content-type'],
      body: raw.tooLarge ? undefined : raw.text
    })

    // Creates are counted for their delays as faults count calls: faulted ones included.
    const delay = this.createDelays.take(method, path)

    // 1. Scripted faults come first, before authentication, and change no state.
    const fault = this.faults.take(method, path)
    if (fault !== undefined) {
      record.fault = true
      record.status = fault.status
      this.answered(record)
      await this.sleep(this.options.latencyMs + (fault.delayMs ?? 0))
      this.sendFault(res, fault)
      return
    }

    // A delayed create takes effect late, whether or not its client is still there.
    if (delay !== undefined) await this.sleep(delay.beforeEffectMs ?? 0)

    // 2. Authenticate, route, answer.
    const nowMs = this.options.now().getTime()
    let caller: Caller | undefined
    let reply: Reply
    const auth = this.authenticate(presented, nowMs)
    if ('message' in auth) {
      reply = error(401, auth.message)
    } else {
      caller = auth
      record.keyId = caller.key.id
      caller.key.last_used_at = stamp(this.options.now())
      reply =
        this.rateLimit(caller.entry, nowMs) ??
        offContract ??
        this.route(method, path, query, raw, caller, record)
    }
    // The honest answer must keep the contract. Anything off it on purpose comes after this.
    const rateHeaders = this.rateHeaders(caller?.entry, nowMs)
    reply = this.contract.answer({ method, path }, reply, rateHeaders)
    record.status = reply.status
    if (caller !== undefined) caller.entry.usage.push({ atMs: nowMs, status: reply.status })
    this.answered(record)

    // 3. Latency comes after the request took effect: a slow answer can still have done its work.
    await this.sleep(this.options.latencyMs + (delay?.afterEffectMs ?? 0))

    // 4. Lies, told last: the honest answer above took effect, and only what is sent changes.
    const tamper = reply.status < 300 ? this.tampers.take(method, path) : undefined
    if (tamper !== undefined) {
      record.tampered = true
      if (tamper.hugeBodyBytes !== undefined || tamper.endlessBody === true) {
        return this.stream(res, record, reply.status, rateHeaders, tamper.hugeBodyBytes)
      }
      reply = this.lie(reply, tamper, query)
    }
    send(res, reply, rateHeaders)
  }

  /** Tells `onAnswered` that a request took effect; what it throws never breaks the emulator. */
  private answered(record: HiveRequestRecord): void {
    try {
      this.onAnswered?.(record)
    } catch (err) {
      console.error('hive emulator: onAnswered threw (ignored)', err)
    }
  }

  /** The answer as `tamper` alters it (a copy: the honest reply may hold stored objects). */
  private lie(honest: Reply, tamper: HiveTamper, query: string): Reply {
    const reply: Reply = { ...honest, body: clone(honest.body) }
    const body = reply.body
    if (!isPlainObject(body)) return reply
    if (tamper.grant !== undefined && typeof body.id === 'string') {
      const entry = this.entries.get(body.id)
      if (entry !== undefined) {
        const { expiresInMs, permission, scope } = tamper.grant
        if (expiresInMs !== undefined) {
          entry.key.expires_at = stamp(new Date(this.options.now().getTime() + expiresInMs))
        }
        if (permission !== undefined) entry.key.permission = permission
        if (scope !== undefined) entry.key.scope = clone(scope)
        reply.body = { ...publicView(entry.key), ...('key' in body ? { key: body.key } : {}) }
      }
    }
    if (tamper.answerKey !== undefined) {
      const existing = this.entries.get(tamper.answerKey.id)
      if (existing === undefined)
        throw new Error(`HiveEmulator.tamper: no key ${tamper.answerKey.id}`)
      reply.body = {
        ...publicView(existing.key),
        ...(tamper.answerKey.withValue === true ? { key: existing.key.value } : {})
      }
    }
    if (tamper.cursor !== undefined && Array.isArray(body.items)) {
      // A cursor this server decodes, leading to an empty page that hands out (loop) the same
      // cursor again, or (endless) a fresh one.
      const seq = tamper.cursor === 'loop' ? 1 : this.endlessCursor++
      body.next_cursor = encodeCursor(seq)
      if (new URLSearchParams(query).has('cursor')) body.items = []
    }
    if (tamper.field !== undefined) {
      const { name, value, keyId } = tamper.field
      const target = reply.body as Record<string, unknown>
      const objects = Array.isArray(target.items) ? (target.items as unknown[]) : [target]
      for (const object of objects) {
        if (!isPlainObject(object) || (keyId !== undefined && object.id !== keyId)) continue
        setPath(object, name, typeof value === 'function' ? value(clone(object)) : value)
      }
    }
    return reply
  }

  /**
   * Streams a body instead of the answer: `bytes` of JSON whitespace after an opening brace, or,
   * when `bytes` is undefined, a byte every 50 ms forever. Written as the socket drains, so a huge
   * body is never held in memory; it stops when the client hangs up or the emulator stops.
   */
  private async stream(
    res: ServerResponse,
    record: HiveRequestRecord,
    status: number,
    rateHeaders: Record<string, string>,
    bytes: number | undefined
  ): Promise<void> {
    record.bytesSent = 0
    // The client may have hung up already (during latency or a delayed create).
    let gone = res.destroyed
    res.on('close', () => (gone = true))
    res.writeHead(status, { ...rateHeaders, 'Content-Type': 'application/json' })
    res.write('{')
    const chunk = Buffer.alloc(bytes === undefined ? 1 : 64 * 1024, 0x20)
    while (!gone && (bytes === undefined || record.bytesSent < bytes)) {
      const more = res.write(chunk)
      record.bytesSent += chunk.length
      if (bytes === undefined) await this.sleep(50)
      else if (!more) {
        // Both listeners go once either fires: a long body drains many times, and a 'close'
        // listener left per drain would pile up (MaxListenersExceededWarning).
        await new Promise<void>(resolve => {
          const done = () => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.once('drain', done)
          res.once('close', done)
        })
      }
      if (this.server.url === undefined) gone = true // stopped: stop() ends the socket
    }
    if (!gone) res.end('}')
  }

  private sendFault(res: ServerResponse, fault: HiveFault): void {
    const contentType = fault.contentType ?? 'application/json'
    let body = fault.body
    if (body === undefined) {
      const code = hiveErrorCode(fault.status)
      const s = fault.status
      if (code === undefined) {
        body = '' // 1xx-3xx: no body (a redirect is just its Location header)
      } else if (contentType.startsWith('text/html')) {
        body = `<html><head><title>${s}</title></head><body><h1>${s}</h1></body></html>`
      } else {
        body = hiveErrorBody(s, `injected fault: HTTP ${s}`)
      }
    }
    const headers: Record<string, string> = {
      ...this.rateHeaders(undefined, this.options.now().getTime()),
      ...(fault.status === 429 ? { 'Retry-After': '1' } : {}),
      ...(body !== '' ? { 'Content-Type': contentType } : {})
    }
    // Fault headers override the defaults; '' removes a header (compared case-insensitively).
    for (const [name, value] of Object.entries(fault.headers ?? {})) {
      for (const existing of Object.keys(headers)) {
        if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing]
      }
      if (value !== '') headers[name] = value
    }
    res.writeHead(fault.status, headers)
    res.end(body)
  }

  /**
   * Finds the key a request presented. Missing, unknown, revoked, expired and not-yet-propagated
   * keys all answer 401. The messages differ for the sake of test diagnostics; a not-yet-propagated
   * key looks exactly like an unknown one, as it would at a real edge.
   */
  private authenticate(value: string | undefined, nowMs: number): Caller | { message: string } {
    if (value === undefined) return { message: 'missing X-Api-Key header' }
    const id = this.byValue.get(value)
    const entry = id === undefined ? undefined : this.entries.get(id)
    if (entry === undefined) return { message: 'invalid API key' }
    const { key } = entry
    if (key.revoked_at !== null) return { message: 'API key revoked' }
    if (this.isExpired(key, nowMs)) return { message: 'API key expired' }
    // Propagation: both conditions must be over. Each refused attempt counts as one of the N calls.
    const callsPending = entry.propagationCallsLeft > 0
    if (callsPending) entry.propagationCallsLeft -= 1
    if (callsPending || performance.now() < entry.propagatedAtMs) {
      return { message: 'invalid API key' }
    }
    return { entry, key }
  }

  /** Counts the call in the key's window; returns a 429 when the key is over its limit. */
  private rateLimit(entry: KeyEntry, nowMs: number): Reply | undefined {
    if (nowMs >= entry.windowStartMs + RATE_WINDOW_MS || nowMs < entry.windowStartMs) {
      entry.windowStartMs = nowMs
      entry.windowCalls = 0
    }
    entry.windowCalls += 1
    const limit = this.options.rateLimitPerMinute
    if (limit > 0 && entry.windowCalls > limit) {
      const retryAfter = Math.max(
        1,
        Math.ceil((entry.windowStartMs + RATE_WINDOW_MS - nowMs) / 1000)
      )
      return {
        ...error(429, 'rate limit exceeded'),
        headers: { 'Retry-After': String(retryAfter) }
      }
    }
    return undefined
  }

  /** `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds), sent on every response. */
  private rateHeaders(entry: KeyEntry | undefined, nowMs: number): Record<string, string> {
    const limit = this.options.rateLimitPerMinute > 0 ? this.options.rateLimitPerMinute : 1000
    // Unauthenticated requests are not counted against any key: they see a fresh window.
    const windowStart = entry?.windowStartMs ?? nowMs
    const used = entry?.windowCalls ?? 0
    return {
      'X-RateLimit-Remaining': String(Math.max(0, limit - used)),
      'X-RateLimit-Reset': String(Math.ceil((windowStart + RATE_WINDOW_MS) / 1000))
    }
  }

  // --- routes ---------------------------------------------------------------------------------

  private route(
    method: string,
    path: string,
    query: string,
    raw: RawBody,
    caller: Caller,
    record: HiveRequestRecord
  ): Reply {
    if (path === '/executions-cli/executions' && method === 'GET')
      return { status: 200, body: { items: [] } }
    if (path === '/api-keys/current' && method === 'GET') {
      return { status: 200, body: publicView(caller.key) }
    }
    if (path === '/api-keys') {
      if (method === 'GET') return this.listKeys(caller, query)
      if (method === 'POST') return this.createKey(caller, raw, record)
    }
    const match = /^\/api-keys\/([^/]+)(\/usage)?$/.exec(path)
    if (match !== null) {
      let id: string
      try {
        id = decodeURIComponent(match[1])
      } catch {
        return error(404, `no such key`)
      }
      if (match[2] === undefined) {
        if (method === 'GET') return this.getKey(caller, id)
        if (method === 'PATCH') return this.patchKey(caller, id, raw)
        if (method === 'DELETE') return this.revokeKey(caller, id)
      } else if (method === 'GET') {
        return this.usage(caller, id)
      }
    }
    return error(404, `no route for ${method} ${path}`)
  }

  private requireAdmin(caller: Caller): Reply | undefined {
    if (caller.key.permission !== 'admin') {
      return error(
        403,
        `this route needs an admin key; the calling key is ${caller.key.permission}`
      )
    }
    return undefined
  }

  /** GET /api-keys?cursor=C — admin; active keys in creation order, pages of at most 100. */
  private listKeys(caller: Caller, query: string): Reply {
    const denied = this.requireAdmin(caller)
    if (denied !== undefined) return denied
    const cursor = new URLSearchParams(query).get('cursor')
    let afterSeq = 0
    if (cursor !== null && cursor !== '') {
      const seq = decodeCursor(cursor)
      if (seq === undefined) return error(422, 'cursor: not a cursor this server issued')
      afterSeq = seq
    }
    const nowMs = this.options.now().getTime()
    const active = [...this.entries.values()]
      .filter(e => e.seq > afterSeq && this.isActive(e.key, nowMs))
      .sort((a, b) => a.seq - b.seq)
    const page = active.slice(0, PAGE_SIZE)
    const more = active.length > PAGE_SIZE
    return {
      status: 200,
      body: {
        items: page.map(e => publicView(e.key)),
        next_cursor: more ? encodeCursor(page[page.length - 1].seq) : null
      }
    }
  }

  /** GET /api-keys/{id} — admin or the key itself; 404 when unknown or revoked. */
  private getKey(caller: Caller, id: string): Reply {
    // A non-admin learns nothing about other ids, not even whether they exist.
    if (id !== caller.key.id) {
      const denied = this.requireAdmin(caller)
      if (denied !== undefined) return denied
    }
    const entry = this.entries.get(id)
    if (entry === undefined || entry.key.revoked_at !== null) return error(404, 'no such key')
    return { status: 200, body: publicView(entry.key) }
  }

  /**
   * POST /api-keys — admin; all four fields required; can't grant beyond the caller. With
   * `options.createRevokes`, the create then revokes a key (noted in `record.revokedIds`).
   */
  private createKey(caller: Caller, raw: RawBody, record: HiveRequestRecord): Reply {
    const denied = this.requireAdmin(caller)
    if (denied !== undefined) return denied
    const parsed = parseJsonObject(raw, ['name', 'permission', 'scope', 'expires_at'])
    if ('message' in parsed) return error(422, parsed.message)
    const body = parsed.value
    for (const field of ['name', 'permission', 'scope', 'expires_at']) {
      if (!(field in body)) return error(422, `${field}: required`)
    }
    const nowMs = this.options.now().getTime()
    const name = checkName(body.name)
    if (!name.ok) return error(422, name.message)
    const permission = checkPermission(body.permission)
    if (!permission.ok) return error(422, permission.message)
    const scope = checkScope(body.scope)
    if (!scope.ok) return error(422, scope.message)
    const expiresAt = checkExpiresAt(body.expires_at, nowMs)
    if (!expiresAt.ok) return error(422, expiresAt.message)

    const overGrant = this.checkGrant(caller, permission.value, scope.value)
    if (overGrant !== undefined) return overGrant

    const entry = this.insertKey(
      {
        value: newKeyValue(),
        name: this.storedName(name.value),
        permission: permission.value,
        scope: scope.value,
        created_at: stamp(this.options.now()),
        expires_at: expiresAt.value
      },
      {
        untilMs:
          this.options.propagationDelayMs > 0
            ? performance.now() + this.options.propagationDelayMs
            : 0,
        calls: this.options.propagationCalls
      }
    )
    const revokes = this.options.createRevokes
    if (revokes !== undefined) {
      const id =
        revokes === 'caller'
          ? caller.key.id
          : revokes({ callerId: caller.key.id, created: publicView(entry.key) })
      const victim = id === undefined ? undefined : this.entries.get(id)
      record.revokedIds = []
      if (victim !== undefined && victim !== entry && victim.key.revoked_at === null) {
        victim.key.revoked_at = stamp(this.options.now())
        record.revokedIds.push(victim.key.id)
      }
    }
    // The one answer that carries the value.
    return {
      status: 201,
      body: { ...publicView(entry.key), key: entry.key.value },
      headers: { 'Cache-Control': 'no-store' }
    }
  }

  /**
   * PATCH /api-keys/{id} — admin; any of name, permission, scope, expires_at. The key as patched
   * must be one the caller could have created (no permission or scope beyond the caller's).
   */
  private patchKey(caller: Caller, id: string, raw: RawBody): Reply {
    const denied = this.requireAdmin(caller)
    if (denied !== undefined) return denied
    const entry = this.entries.get(id)
    if (entry === undefined || entry.key.revoked_at !== null) return error(404, 'no such key')
    const parsed = parseJsonObject(raw, ['name', 'permission', 'scope', 'expires_at'])
    if ('message' in parsed) return error(422, parsed.message)
    const body = parsed.value
    if (Object.keys(body).length === 0) {
      return error(422, 'body: give at least one of name, permission, scope, expires_at')
    }
    const nowMs = this.options.now().getTime()
    const next = clone(entry.key)
    if ('name' in body) {
      const name = checkName(body.name)
      if (!name.ok) return error(422, name.message)
      next.name = this.storedName(name.value)
    }
    if ('permission' in body) {
      const permission = checkPermission(body.permission)
      if (!permission.ok) return error(422, permission.message)
      next.permission = permission.value
    }
    if ('scope' in body) {
      const scope = checkScope(body.scope)
      if (!scope.ok) return error(422, scope.message)
      next.scope = scope.value
    }
    if ('expires_at' in body) {
      const expiresAt = checkExpiresAt(body.expires_at, nowMs)
      if (!expiresAt.ok) return error(422, expiresAt.message)
      next.expires_at = expiresAt.value
    }
    const overGrant = this.checkGrant(caller, next.permission, next.scope)
    if (overGrant !== undefined) return overGrant
    entry.key.name = next.name
    entry.key.permission = next.permission
    entry.key.scope = next.scope
    entry.key.expires_at = next.expires_at
    return { status: 200, body: publicView(entry.key) }
  }

  /** DELETE /api-keys/{id} — admin or the key itself; immediate; revoked or unknown: 404. */
  private revokeKey(caller: Caller, id: string): Reply {
    if (id !== caller.key.id) {
      const denied = this.requireAdmin(caller)
      if (denied !== undefined) return denied
    }
    const entry = this.entries.get(id)
    if (entry === undefined || entry.key.revoked_at !== null) return error(404, 'no such key')
    entry.key.revoked_at = stamp(this.options.now())
    return { status: 204 }
  }

  /** GET /api-keys/{id}/usage — admin; counts the requests the key authenticated. */
  private usage(caller: Caller, id: string): Reply {
    const denied = this.requireAdmin(caller)
    if (denied !== undefined) return denied
    const entry = this.entries.get(id)
    if (entry === undefined) return error(404, 'no such key')
    const seeded = this.seededUsage.get(id)
    if (seeded !== undefined) return { status: 200, body: { ...seeded } }
    const since = this.options.now().getTime() - DAY_MS
    const recent = entry.usage.filter(u => u.atMs > since)
    const usage: KeyUsage = {
      requests_24h: recent.length,
      errors_24h: recent.filter(u => u.status >= 400).length,
      last_used_at: entry.key.last_used_at
    }
    return { status: 200, body: usage }
  }

  /** A checked name as this deployment stores it: cut at `options.nameMaxLength` when set. */
  private storedName(name: string): string {
    const max = this.options.nameMaxLength
    return max === undefined ? name : name.slice(0, max)
  }

  /**
   * 403 when `permission` or `scope` exceeds the caller's own. Only admins reach POST and PATCH,
   * and admin is the highest permission, so today only the scope rule can bite; the permission
   * rule is kept so the check stays right if the routes ever open to other keys.
   */
  private checkGrant(caller: Caller, permission: Permission, scope: Scope): Reply | undefined {
    if (PERMISSION_RANK[permission] > PERMISSION_RANK[caller.key.permission]) {
      return error(
        403,
        `permission: cannot grant ${permission} with a ${caller.key.permission} key`
      )
    }
    if (!scopeWithin(scope, caller.key.scope)) {
      return error(403, "scope: cannot grant a scope wider than the calling key's")
    }
    return undefined
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve()
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        resolve()
      }, ms)
      this.timers.add(timer)
    })
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies, cursors, responses
// ---------------------------------------------------------------------------------------------

interface RawBody {
  text: string
  tooLarge: boolean
}

/** Reads the whole request body (at most MAX_BODY_BYTES are kept). */
async function readBody(req: IncomingMessage): Promise<RawBody> {
  const chunks: Buffer[] = []
  let size = 0
  let tooLarge = false
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_BODY_BYTES) tooLarge = true
    else chunks.push(buf)
  }
  return { text: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge }
}

function parseForRecord(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/** Parses a JSON object body; an unknown field answers 422 (it is most likely a client typo). */
function parseJsonObject(
  raw: RawBody,
  allowed: string[]
): { value: Record<string, unknown> } | { message: string } {
  if (raw.tooLarge) return { message: 'body: too large' }
  let value: unknown
  try {
    value = JSON.parse(raw.text)
  } catch {
    return { message: 'body: not valid JSON' }
  }
  if (!isPlainObject(value)) return { message: 'body: must be a JSON object' }
  for (const field of Object.keys(value)) {
    if (!allowed.includes(field)) return { message: `${field}: unknown field` }
  }
  return { value }
}

/** Cursors are opaque to clients: `c_` + base64url of the sequence number of the last item seen. */
function encodeCursor(seq: number): string {
  return `c_${Buffer.from(String(seq)).toString('base64url')}`
}

function decodeCursor(cursor: string): number | undefined {
  if (!cursor.startsWith('c_')) return undefined
  const text = Buffer.from(cursor.slice(2), 'base64url').toString('utf8')
  if (!/^[1-9]\d{0,9}$/.test(text)) return undefined
  return Number(text)
}

/** Sets `object.a.b.0` (a dotted path through objects and arrays) to `value`. */
function setPath(object: Record<string, unknown>, path: string, value: unknown): void {
  const names = path.split('.')
  let at: unknown = object
  for (const name of names.slice(0, -1)) {
    at = isPlainObject(at) || Array.isArray(at) ? (at as Record<string, unknown>)[name] : undefined
  }
  if (isPlainObject(at) || Array.isArray(at)) {
    ;(at as Record<string, unknown>)[names[names.length - 1]] = value
  }
}

function send(res: ServerResponse, reply: Reply, rateHeaders: Record<string, string>): void {
  const headers: Record<string, string> = { ...rateHeaders, ...reply.headers }
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers)
    res.end()
    return
  }
  headers['Content-Type'] = 'application/json'
  res.writeHead(reply.status, headers)
  res.end(JSON.stringify(reply.body))
}
