import type { HiveKey } from '../hive/types.js'
import type { Mode } from '../settings.js'

/**
 * What a run did, filled in step by step as it happens, so that a failed run reports everything up
 * to the failure. It holds key ids, prefixes and metadata: never a key value.
 */
export interface RotationReport {
  dryRun: boolean
  /** The mode the run was in (rotate, check, emergency). */
  mode: Mode
  /** True once every destination holds the new key. */
  rotated: boolean
  steps: StepRecord[]
  destinations: DestinationRecord[]
  /** The key that was in the destinations when the run started. */
  oldKey?: HiveKey
  /** The key this run created. */
  newKey?: HiveKey
  /** The admin key, when it is not the rotated key itself. */
  adminKey?: HiveKey
  revokedKeyIds: string[]
  /** What the run would do, decided in the preflight. */
  plan: string[]
  /** Why a rotation was or was not due (rotate-if-expiring-within-days, leftovers). */
  due?: string
  /** How the old key was retired: revoked, given a grace period (its new expiry), or kept. */
  retired?: 'revoked' | 'grace' | 'kept'
  /** Leftovers of earlier interrupted runs found in the preflight, and what became of each. */
  leftovers: LeftoverRecord[]
  /** Set when hive-api-key was dead (401) and the run recovers: what Hive said, sanitized. */
  recovery?: string
  /**
   * Set when the old key stopped answering during the run (a Hive whose create revokes the old
   * key): what Hive said, and the window in which the destinations held a dead key, from the
   * create to the moment the last destination was given the new key (`to`: not yet, or never).
   */
  oldKeyDied?: { said: string; from: string; to?: string }
  /** The canary runs (canary.ts), one per canary workflow; absent without canary-workflows. */
  canary?: CanaryRecord[]
  /** Set when a signal stopped the run: in which step, and what the clean-up left. */
  cancelled?: { signal: string; step: string; left: string }
  /** What the user should look at: also printed as ::warning:: lines when they happen. */
  warnings: string[]
}

export interface CanaryRecord {
  /** `owner/repo/file[@ref]`. */
  workflow: string
  /** The run's page on GitHub ('' when unknown). */
  url: string
  /** GitHub's conclusion, or: pending, not dispatched, not found, timed out, unknown. */
  conclusion: string
  /** Whether Hive saw the new key used during the canary; 'unknown' without usage data. */
  usedNewKey: boolean | 'unknown'
  /** Failed jobs and steps (`job › step`), never logs. */
  failed: string[]
  detail?: string
}

export interface LeftoverRecord {
  id: string
  prefix: string
  name: string
  why: string
  expiresAt: string | null
  outcome:
    | 'found'
    | 'revoked'
    | 'left to expire'
    | 'kept (revoke-old: false)'
    | 'kept (prune: false)'
    | 'revoke failed'
}

export type StepStatus = 'ok' | 'failed' | 'skipped' | 'cancelled'

export interface StepRecord {
  step: string
  status: StepStatus
  detail: string
  ms: number
}

export type DestinationStatus =
  | 'ready'
  | 'created'
  | 'updated'
  | 'failed'
  /** GitHub accepted the write but reading it back did not show it: it may still land. */
  | 'not confirmed'
  | 'not written'
  | 'unreachable'
  /** The canary failed, and the old key was written back (canary.ts). */
  | 'rolled back'

export interface DestinationRecord {
  destination: string
  status: DestinationStatus
  publicKeyId?: string
  detail?: string
}

export function emptyReport(dryRun: boolean, mode: Mode = 'rotate'): RotationReport {
  return {
    dryRun,
    mode,
    rotated: false,
    steps: [],
    destinations: [],
    revokedKeyIds: [],
    plan: [],
    leftovers: [],
    warnings: []
  }
}

/** The key the destinations hold after the run: the new one once stored, else the old one. */
export function heldKey(report: RotationReport): HiveKey | undefined {
  return report.rotated ? report.newKey : report.oldKey
}

/** Whole days (rounded down) until the key expires; undefined when it never does. */
export function daysUntilExpiry(key: HiveKey, now: Date): number | undefined {
  if (key.expires_at === null) return undefined
  return Math.max(0, Math.floor((Date.parse(key.expires_at) - now.getTime()) / 86_400_000))
}
