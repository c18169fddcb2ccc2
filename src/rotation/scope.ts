/** Comparing scopes and expiries: what Hive answered against what was asked. */
import type { Scope } from '../hive/types.js'

/** How far the expiry Hive grants may be from the one asked (Hive may round it). */
const EXPIRY_TOLERANCE_MS = 60_000

function scopeIds(scope: Scope): string[] {
  return scope.type === 'engagements'
    ? scope.engagement_ids
    : scope.type === 'campaigns'
      ? scope.campaign_ids
      : []
}

/** True when a key of scope `outer` may grant scope `inner`. */
export function scopeCovers(outer: Scope, inner: Scope): boolean {
  if (outer.type === 'all') return true
  if (outer.type !== inner.type) return false
  const allowed = new Set(scopeIds(outer))
  return scopeIds(inner).every(id => allowed.has(id))
}

export function sameScope(a: Scope, b: Scope): boolean {
  const ids = (s: Scope) => [...scopeIds(s)].sort().join(',')
  return a.type === b.type && ids(a) === ids(b)
}

export function sameExpiry(granted: string | null, asked: string | null): boolean {
  if (granted === null || asked === null) return granted === asked
  return Math.abs(Date.parse(granted) - Date.parse(asked)) <= EXPIRY_TOLERANCE_MS
}
