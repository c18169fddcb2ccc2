import type { HiveKey } from '../hive/types.js'

/**
 * What a run did, filled in step by step as it happens, so that a failed run reports everything up
 * to the failure. It holds key ids, prefixes and metadata: never a key value.
 */
export interface RotationReport {
  dryRun: boolean
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
}

export type StepStatus = 'ok' | 'failed' | 'skipped'

export interface StepRecord {
  step: string
  status: StepStatus
  detail: string
  ms: number
}

export type DestinationStatus =
  'ready' | 'created' | 'updated' | 'failed' | 'not written' | 'unreachable'

export interface DestinationRecord {
  destination: string
  status: DestinationStatus
  publicKeyId?: string
  detail?: string
}

export function emptyReport(dryRun: boolean): RotationReport {
  return { dryRun, rotated: false, steps: [], destinations: [], revokedKeyIds: [], plan: [] }
}

/** The key the destinations hold after the run: the new one once stored, else the old one. */
export function heldKey(report: RotationReport): HiveKey | undefined {
  return report.rotated ? report.newKey : report.oldKey
}
