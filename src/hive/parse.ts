/**
 * The formats of shared/design/hive-api.md, checked on every answer before anything reads it.
 *
 * Hive's fields travel far: into log lines, the job summary, outputs, the names of new keys and the
 * paths of later requests. A field outside its format is a protocol error, and the answer is refused
 * whole. A problem names the field and what is wrong with it, never the value: the value may hold a
 * workflow command, markup, or a key.
 */
import { KEY_PATTERN } from './http.js'
import {
  PERMISSIONS,
  type HiveKey,
  type KeyUsage,
  type NewHiveKey,
  type Permission,
  type Scope
} from './types.js'

/** Key ids and scope ids: 1-64 characters of [A-Za-z0-9_-]. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/
/** A prefix: 1-16 characters of [A-Za-z0-9_-], the first characters of the value. */
export const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,16}$/
export const MAX_KEY_LENGTH = 4096
export const MAX_NAME_LENGTH = 200
/** A list page holds at most this many keys. */
export const MAX_PAGE_ITEMS = 100
/** next_cursor is opaque, but it goes into a URL and may be quoted: bounded, and a safe charset. */
export const CURSOR_PATTERN = /^[A-Za-z0-9._~+/=-]{1,512}$/
/** More engagement or campaign ids than any real scope has: a bound, not a rule of the contract. */
const MAX_SCOPE_IDS = 1000

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/

/** An answer that breaks the contract; `problem` is safe to print (it never quotes a value). */
export class ContractViolation extends Error {
  constructor(readonly problem: string) {
    super(problem)
    this.name = 'ContractViolation'
  }
}

function violation(problem: string): never {
  throw new ContractViolation(problem)
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * ISO-8601 UTC (`2026-11-28T11:00:00Z`, optionally with fractions), and a real date: no offsets,
 * no February 30 (which Date.parse would quietly turn into March 2).
 */
export function isIsoUtc(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_UTC.test(value)) return false
  const ms = Date.parse(value)
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === value.slice(0, 19)
}

export function isKeyId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value)
}

/** A key value a client could send: visible ASCII, no whitespace, bounded. */
export function isKeyValue(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_KEY_LENGTH && KEY_PATTERN.test(value)
}

function timestamp(body: Record<string, unknown>, field: string): string {
  if (!isIsoUtc(body[field])) violation(`"${field}" is not an ISO-8601 UTC timestamp`)
  return body[field] as string
}

/** A timestamp or null; a field left out counts as null. */
function timestampOrNull(body: Record<string, unknown>, field: string): string | null {
  const value = body[field] ?? null
  if (value !== null && !isIsoUtc(value)) {
    violation(`"${field}" is neither an ISO-8601 UTC timestamp nor null`)
  }
  return value as string | null
}

function scopeIds(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    violation(`"scope.${field}" is not a list of at least one id`)
  }
  if (value.length > MAX_SCOPE_IDS) violation(`"scope.${field}" has over ${MAX_SCOPE_IDS} ids`)
  if (!value.every(isKeyId)) {
    violation(`an id in "scope.${field}" is not 1-64 characters of A-Z, a-z, 0-9, _ and -`)
  }
  return [...(value as string[])]
}

function parseScope(value: unknown): Scope {
  if (!isObject(value)) violation('"scope" is not an object')
  if (value.type === 'all') return { type: 'all' }
  if (value.type === 'engagements') {
    return { type: 'engagements', engagement_ids: scopeIds(value.engagement_ids, 'engagement_ids') }
  }
  if (value.type === 'campaigns') {
    return { type: 'campaigns', campaign_ids: scopeIds(value.campaign_ids, 'campaign_ids') }
  }
  return violation('"scope" is not one it knows (all, engagements or campaigns)')
}

/**
 * A key object, checked field by field and copied: nothing Hive adds (a stray `key`, say) is
 * copied, so it travels no further than this file.
 */
export function parseKey(body: unknown): HiveKey {
  if (!isObject(body)) violation('it is not a key object')
  const { id, name, prefix, permission } = body
  if (typeof id !== 'string' || !id) violation('"id" is missing or empty')
  if (!ID_PATTERN.test(id)) violation('"id" is not 1-64 characters of A-Z, a-z, 0-9, _ and -')
  if (typeof name !== 'string') violation('"name" is missing')
  if (name.length > MAX_NAME_LENGTH)
    violation(`"name" is longer than ${MAX_NAME_LENGTH} characters`)
  if (typeof prefix !== 'string' || !prefix) violation('"prefix" is missing or empty')
  if (!PREFIX_PATTERN.test(prefix)) {
    violation('"prefix" is not 1-16 characters of A-Z, a-z, 0-9, _ and -')
  }
  if (!PERMISSIONS.includes(permission as Permission)) violation('"permission" is not one it knows')
  const scope = parseScope(body.scope)
  return {
    id,
    name,
    prefix,
    permission: permission as Permission,
    scope,
    created_at: timestamp(body, 'created_at'),
    expires_at: timestampOrNull(body, 'expires_at'),
    last_used_at: timestampOrNull(body, 'last_used_at'),
    revoked_at: timestampOrNull(body, 'revoked_at')
  }
}

/** The answer to POST /api-keys: a key object plus its value, whose prefix is really a prefix. */
export function parseNewKey(body: unknown): NewHiveKey {
  const key = parseKey(body)
  const value = (body as Record<string, unknown>).key
  // Described, never quoted.
  if (typeof value !== 'string' || value === '') violation('its "key" is missing or empty')
  if (!isKeyValue(value)) {
    violation(
      `its "key" is not visible ASCII without spaces, up to ${MAX_KEY_LENGTH} characters ` +
        '(a key must be usable as a header)'
    )
  }
  if (key.prefix.length >= value.length) {
    violation('its "prefix" is as long as the key itself (a prefix must be shorter)')
  }
  if (!value.startsWith(key.prefix)) violation('its "prefix" is not the start of its "key"')
  return { ...key, key: value }
}

/** One page of GET /api-keys. */
export function parsePage(body: unknown): { items: unknown[]; nextCursor: string | null } {
  if (!isObject(body) || !Array.isArray(body.items)) violation('it has no "items" list')
  if (body.items.length > MAX_PAGE_ITEMS) {
    violation(`its page holds ${body.items.length} keys, more than ${MAX_PAGE_ITEMS}`)
  }
  const next = body.next_cursor
  if (next !== null && (typeof next !== 'string' || !CURSOR_PATTERN.test(next))) {
    violation('"next_cursor" is neither null nor 1-512 characters of A-Z, a-z, 0-9 and ._~+/=-')
  }
  return { items: body.items, nextCursor: next }
}

function count(body: Record<string, unknown>, field: string): number {
  const value = body[field]
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    violation(`"${field}" is not a whole number of 0 or more`)
  }
  return value
}

/** GET /api-keys/{id}/usage. */
export function parseUsage(body: unknown): KeyUsage {
  if (!isObject(body)) violation('it is not a usage object')
  return {
    requests_24h: count(body, 'requests_24h'),
    errors_24h: count(body, 'errors_24h'),
    last_used_at: timestampOrNull(body, 'last_used_at')
  }
}
