import { HiveHttp, HiveHttpError, type HiveResponse } from './http.js'
import { sanitize } from '../text.js'
import {
  ContractViolation,
  isKeyId,
  isObject,
  MAX_NAME_LENGTH,
  parseKey,
  parseNewKey,
  parsePage,
  parseUsage
} from './parse.js'
import type { CreateKeyRequest, HiveKey, KeyUsage, NewHiveKey } from './types.js'

/**
 * One method per endpoint of shared/design/hive-api.md, over HiveHttp (which owns origin pinning,
 * redirects, timeouts and retries). Answers are checked against the contract's shapes and copied
 * field by field, so nothing Hive adds (a stray `key`, say) travels further than this file.
 */

export interface HiveClientOptions {
  /** Waits between propagation probes; injected so tests don't wait. */
  sleep?: (ms: number) => Promise<void>
  /** Clock for the propagation deadline. */
  now?: () => number
  /**
   * Called with a new key's value the moment Hive's answer is parsed, before anything else looks
   * at it: the action passes `core.setSecret`, so the value is masked before it could be logged.
   */
  mask?: (value: string) => void
}

export interface AcceptanceResult {
  /** The new key answered 2xx on the verify path. */
  accepted: boolean
  /** The last status seen. */
  status: number
  attempts: number
  elapsedMs: number
}

export interface ListOptions {
  /**
   * Given: a key whose name is longer than the contract's MAX_NAME_LENGTH is kept with its name
   * cut to that length (and this called with its id and the name's length) instead of refusing
   * the page. mode audit passes it: an oddly named key is one to report, not a reason to report
   * nothing. A rotation never does: its names mark its keys, and an answer off the contract is a
   * protocol error there.
   */
  onLongName?: (id: string, length: number) => void
  /** Called with each page's keys as it arrives, so a caller can start on them at once. */
  onPage?: (keys: HiveKey[]) => void
}

/**
 * A guard against a server that hands out fresh cursors forever: 100 pages of 100 keys is 10 000
 * active keys, far more than an organisation keeps.
 */
export const MAX_PAGES = 100
/** Propagation retries: 1 s, 2 s, 4 s, 8 s, then every 10 s until the deadline. */
const PROPAGATION_FIRST_DELAY_MS = 1_000
const PROPAGATION_MAX_DELAY_MS = 10_000

export class HiveClient {
  private readonly sleep: (ms: number) => Promise<void>
  private readonly now: () => number
  private readonly mask: (value: string) => void

  constructor(
    private readonly http: HiveHttp,
    options: HiveClientOptions = {}
  ) {
    this.sleep = options.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)))
    this.now = options.now ?? Date.now
    this.mask = options.mask ?? (() => {})
  }

  /** GET /api-keys/current: the id, permission, scope and expiry of the key that calls. */
  async current(apiKey: string, doing = 'reading the current key'): Promise<HiveKey> {
    const response = await this.http
      .request({ method: 'GET', path: '/api-keys/current', apiKey, doing })
      .catch(noKeyApi('/api-keys/current', this.http.baseUrl))
    return checked(response, doing, parseKey)
  }

  /** GET /api-keys/{id}; null when Hive answers 404 (unknown or revoked). */
  async get(apiKey: string, id: string): Promise<HiveKey | null> {
    const doing = `reading key ${label(id)}`
    const response = await this.http.request({
      method: 'GET',
      path: keyPath(id),
      apiKey,
      doing,
      expect: [404]
    })
    return response.status === 404 ? null : checked(response, doing, parseKey)
  }

  /**
   * GET /api-keys, every page: the active keys. Stops with a protocol error on a cursor seen
   * before (a loop), a key listed twice, or more than MAX_PAGES pages.
   */
  async list(adminKey: string, options: ListOptions = {}): Promise<HiveKey[]> {
    const keys: HiveKey[] = []
    const ids = new Set<string>()
    const cursors = new Set<string>()
    let cursor: string | null = null
    for (let page = 1; page <= MAX_PAGES; page++) {
      const doing = `listing keys (page ${page})`
      const path: string =
        cursor === null ? '/api-keys' : `/api-keys?cursor=${encodeURIComponent(cursor)}`
      const response = await this.http
        .request({ method: 'GET', path, apiKey: adminKey, doing })
        .catch(noKeyApi('/api-keys', this.http.baseUrl))
      const { items, nextCursor } = checked(response, doing, parsePage)
      const first = keys.length
      for (const [i, item] of items.entries()) {
        const long = options.onLongName ? longName(item) : undefined
        const body = long === undefined ? item : { ...(item as object), name: long.cut }
        const key = checked({ ...response, body }, doing, parseKey, `key ${i + 1} of the page: `)
        if (long !== undefined) options.onLongName?.(key.id, long.length)
        if (ids.has(key.id)) throw invalid(response, doing, `it lists key ${key.id} twice`)
        ids.add(key.id)
        keys.push(key)
      }
      options.onPage?.(keys.slice(first))
      if (nextCursor === null) return keys
      if (cursors.has(nextCursor)) {
        throw invalid(response, doing, 'it handed out a page cursor it had given before (a loop)')
      }
      cursors.add(nextCursor)
      cursor = nextCursor
    }
    throw new HiveHttpError(
      `Hive kept answering with more pages while listing keys; stopped after ${MAX_PAGES} pages ` +
        `(${MAX_PAGES * 100} keys), a protocol error: nothing was changed.`,
      { kind: 'invalid-response', doing: 'listing keys' }
    )
  }

  /**
   * POST /api-keys (201). Never retried on 5xx or timeout: the key may exist already, and a second
   * one would be a leftover. The answer is the only place a key value appears.
   */
  async create(adminKey: string, request: CreateKeyRequest): Promise<NewHiveKey> {
    const doing = 'creating the new key'
    const response = await this.http.request({
      method: 'POST',
      path: '/api-keys',
      apiKey: adminKey,
      body: request,
      doing
    })
    const body = response.body
    // Masked before any check can throw, so no message built from here on can show it.
    if (isObject(body) && typeof body.key === 'string' && body.key !== '') this.mask(body.key)
    // If Hive created a key but answered oddly, the id is what lets someone find and revoke it.
    const id = isObject(body) && isKeyId(body.id) ? body.id : undefined
    const created = id ? ` Hive may have created key ${id}.` : ''
    return checked(response, doing, parseNewKey, '', created)
  }

  /** PATCH /api-keys/{id}: change name, permission, scope or expiry (the grace period). */
  async update(adminKey: string, id: string, patch: Partial<CreateKeyRequest>): Promise<HiveKey> {
    const doing = `updating key ${label(id)}`
    const response = await this.http.request({
      method: 'PATCH',
      path: keyPath(id),
      apiKey: adminKey,
      body: patch,
      doing
    })
    return checked(response, doing, parseKey)
  }

  /** DELETE /api-keys/{id}. Idempotent: a 404 means it is already revoked or unknown. */
  async revoke(apiKey: string, id: string): Promise<'revoked' | 'already-gone'> {
    const response = await this.http.request({
      method: 'DELETE',
      path: keyPath(id),
      apiKey,
      doing: `revoking key ${label(id)}`,
      expect: [404],
      expectJson: false
    })
    return response.status === 404 ? 'already-gone' : 'revoked'
  }

  /** GET /api-keys/{id}/usage; null when Hive has no usage data (404). */
  async usage(adminKey: string, id: string): Promise<KeyUsage | null> {
    const doing = `reading the usage of key ${label(id)}`
    const response = await this.http.request({
      method: 'GET',
      path: `${keyPath(id)}/usage`,
      apiKey: adminKey,
      doing,
      expect: [404]
    })
    if (response.status === 404) return null
    return checked(response, doing, parseUsage)
  }

  /**
   * One GET of the verify path. Returns the status when it is 2xx, 401 or 403; any other answer
   * throws (after HiveHttp's retries). The body is not read: any 2xx counts.
   */
  async probe(apiKey: string, path: string): Promise<number> {
    const response = await this.http.request({
      method: 'GET',
      path,
      apiKey,
      doing: `testing a key with GET ${sanitize(path)}`,
      expect: [401, 403],
      expectJson: false
    })
    return response.status
  }

  /**
   * Probe a new key until Hive accepts it. A fresh key may answer 401 for a few seconds while its
   * creation propagates, so 401 is retried with backoff until `timeoutMs` has passed. 403 ends the
   * wait at once: the key exists but lacks the permission or scope, which waiting won't change.
   */
  async waitUntilAccepted(
    apiKey: string,
    path: string,
    timeoutMs: number
  ): Promise<AcceptanceResult> {
    const start = this.now()
    let delay = PROPAGATION_FIRST_DELAY_MS
    for (let attempts = 1; ; attempts++) {
      const status = await this.probe(apiKey, path)
      const elapsedMs = this.now() - start
      if (status !== 401 || elapsedMs >= timeoutMs) {
        return { accepted: status >= 200 && status < 300, status, attempts, elapsedMs }
      }
      // Never sleep past the deadline: the last probe happens at it.
      await this.sleep(Math.min(delay, timeoutMs - elapsedMs))
      delay = Math.min(delay * 2, PROPAGATION_MAX_DELAY_MS)
    }
  }

  /** How many requests this client has sent with the key (retries included). */
  sentWith(apiKey: string): number {
    return this.http.sentWith(apiKey)
  }

  /** After a revocation: does the key answer 401 now? (Hive revokes immediately.) */
  async confirmRevoked(apiKey: string, path: string): Promise<boolean> {
    return (await this.probe(apiKey, path)) === 401
  }
}

/**
 * A 404 where the key API must be: this deployment does not serve the API the action uses (or
 * hive-url points elsewhere). Said as such, not as "an unknown key id".
 */
function noKeyApi(path: string, baseUrl: string) {
  return (error: unknown): never => {
    if (error instanceof HiveHttpError && error.status === 404) {
      throw new HiveHttpError(
        `Hive answered 404 to GET ${path}: the deployment at hive-url (${baseUrl}) does not ` +
          'serve the key API this action uses (GET /api-keys/current, GET /api-keys, POST ' +
          '/api-keys, DELETE /api-keys/{id}; see docs/hive-api.openapi.yaml), or hive-url ' +
          'points at something else. Nothing was changed.',
        {
          kind: 'status',
          doing: error.doing,
          status: 404,
          code: error.code,
          attempts: error.attempts
        }
      )
    }
    throw error
  }
}

/** The name of a listed key, cut to the contract's length, when it is longer. */
function longName(item: unknown): { cut: string; length: number } | undefined {
  if (!isObject(item) || typeof item.name !== 'string') return undefined
  const { name } = item
  return name.length > MAX_NAME_LENGTH
    ? { cut: name.slice(0, MAX_NAME_LENGTH), length: name.length }
    : undefined
}

function keyPath(id: string): string {
  // encodeURIComponent leaves '.' alone: an id of '..' is refused by HiveHttp's path check.
  return `/api-keys/${encodeURIComponent(id)}`
}

/** An id for a message: ids are not secret, but they may come from outside. */
function label(id: string): string {
  return sanitize(String(id), [], 80)
}

function invalid(
  response: HiveResponse,
  doing: string,
  problem: string,
  extra = ''
): HiveHttpError {
  // Never the body: it may be the answer to POST /api-keys, which holds a key value.
  return new HiveHttpError(
    `Hive answered ${response.status} while ${doing}, but its answer is not what the Hive API ` +
      `contract describes: ${problem}.${extra}`,
    { kind: 'invalid-response', doing, status: response.status }
  )
}

/** Parses an answer's body; a contract violation becomes a protocol error that names the field. */
function checked<T>(
  response: HiveResponse,
  doing: string,
  parse: (body: unknown) => T,
  where = '',
  extra = ''
): T {
  try {
    return parse(response.body)
  } catch (error) {
    if (!(error instanceof ContractViolation)) throw error
    throw invalid(response, doing, where + error.problem, extra)
  }
}
