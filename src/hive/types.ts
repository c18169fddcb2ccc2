/** The shapes of shared/design/hive-api.md (contract v1). None of them holds a key value but NewHiveKey. */

export type Permission = 'read-only' | 'read-write' | 'admin'
export const PERMISSIONS: readonly Permission[] = ['read-only', 'read-write', 'admin']

export type Scope =
  | { type: 'all' }
  | { type: 'engagements'; engagement_ids: string[] }
  | { type: 'campaigns'; campaign_ids: string[] }

/** A key as Hive describes it: never the value. */
export interface HiveKey {
  id: string
  name: string
  /** The first characters of the value, safe to print. */
  prefix: string
  permission: Permission
  scope: Scope
  created_at: string
  /** ISO-8601 UTC, or null for a key that never expires. */
  expires_at: string | null
  last_used_at: string | null
  revoked_at: string | null
}

/** The answer to POST /api-keys: the only place a key value ever appears. */
export interface NewHiveKey extends HiveKey {
  key: string
}

export interface CreateKeyRequest {
  name: string
  permission: Permission
  scope: Scope
  expires_at: string
}

export interface KeyUsage {
  requests_24h: number
  errors_24h: number
  last_used_at: string | null
}
