/**
 * The two ports the rotation talks to. rotate.ts knows nothing about HTTP: it sees keys through
 * KeyService (the Hive client) and secrets through SecretStore (the GitHub adapter).
 */
import type { CreateKeyRequest, HiveKey, KeyUsage, NewHiveKey } from '../hive/types.js'
import type { CanaryWorkflow, Destination } from '../github/destinations.js'

export interface VerifyResult {
  accepted: boolean
  /** The last status the verify path answered. */
  status: number
  attempts: number
  elapsedMs: number
}

export interface KeyService {
  current(apiKey: string, doing?: string): Promise<HiveKey>
  /** GET /api-keys/{id} (admin, or the key itself); null when Hive answers 404. */
  get(apiKey: string, id: string): Promise<HiveKey | null>
  /** Every active key (all pages). Needs an admin key. */
  list(adminKey: string): Promise<HiveKey[]>
  create(adminKey: string, request: CreateKeyRequest): Promise<NewHiveKey>
  /** Change a key's metadata; shortening `expires_at` is how a grace period is given. */
  update(adminKey: string, id: string, patch: Partial<CreateKeyRequest>): Promise<HiveKey>
  /** One GET of the verify path: 2xx, 401 or 403 (anything else throws). */
  probe(apiKey: string, path: string): Promise<number>
  /** Probe the verify path with the key, retrying 401 (propagation) until the timeout. */
  waitUntilAccepted(apiKey: string, path: string, timeoutMs: number): Promise<VerifyResult>
  revoke(apiKey: string, id: string): Promise<'revoked' | 'already-gone'>
  /** True when the verify path answers 401 to the key. */
  confirmRevoked(apiKey: string, path: string): Promise<boolean>
  /** The key's use in the last 24 h; null when Hive has no usage data. */
  usage(adminKey: string, id: string): Promise<KeyUsage | null>
  /** How many requests this run has sent with the key, so its own use can be told apart. */
  sentWith(apiKey: string): number
}

/** The secret named `secret-name` at a destination, as the preflight found it. */
export type SecretPresence =
  | { exists: true; updatedAt: string }
  | {
      exists: false
      /**
       * The names of the secrets the destination does hold (sorted, at most 50), for the message
       * that stops a run whose `secret-name` lives nowhere; undefined when they could not be read.
       */
      otherNames?: string[]
      /** How many secrets the destination holds, when listed. */
      total?: number
    }

/** A destination whose public key has been read: ready to be written. */
export interface PreparedDestination {
  destination: Destination
  publicKeyId: string
  /** The destination's own libsodium public key, standard base64. */
  publicKey: string
  /** Whether the secret exists there now: a write is confirmed against this. */
  secret: SecretPresence
  /**
   * Read-only checks still under way that can only warn (GitHub: a narrower secret that shadows
   * this one). Never rejects. The run does not wait for them to create and test its key; it
   * awaits them before the first write, and before it ends.
   */
  pending?: Promise<void>
}

export interface SecretStore {
  /**
   * Read-only: fetch the destination's public key (and prove the token can see it), and whether
   * the secret exists there (its metadata, or the names of the secrets that do).
   */
  prepare(destination: Destination): Promise<PreparedDestination>
  /**
   * Seal the value with the destination's own key, write it, and read it back: resolves only when
   * GitHub shows the secret changed since the preflight. A write GitHub accepted but does not
   * show is an UnconfirmedWrite.
   */
  write(
    prepared: PreparedDestination,
    secretName: string,
    value: string
  ): Promise<'created' | 'updated'>
}

/** A dispatched canary run (workflow_run). */
export interface CanaryRun {
  id: number
  /** The run's page, checked to be on GitHub's web origin; '' when unknown. */
  htmlUrl: string
}

/** A canary run as GitHub shows it now. */
export interface CanaryRunState {
  /** queued, in_progress, completed, waiting, requested, pending. */
  status: string
  /** success, failure, cancelled, timed_out, …; null until completed. */
  conclusion: string | null
  htmlUrl: string
}

/**
 * The consumer workflows dispatched as a canary (canary.ts): the GitHub adapter is
 * github/workflows.ts. Every method throws an Error whose message is a sentence for the user.
 */
export interface WorkflowRunner {
  /** Read-only: the workflow exists and is active; throws a sentence saying why not. */
  check(workflow: CanaryWorkflow): Promise<void>
  /**
   * Dispatches it with these inputs; the run when GitHub names it (return_run_details), or
   * undefined when the server does not (GHES before 3.21: dispatched without the parameter).
   */
  dispatch(workflow: CanaryWorkflow, inputs: Record<string, string>): Promise<CanaryRun | undefined>
  /** A workflow_dispatch run created at or after `since` whose title holds `marker`. */
  findRun(workflow: CanaryWorkflow, marker: string, since: Date): Promise<CanaryRun | undefined>
  state(workflow: CanaryWorkflow, runId: number): Promise<CanaryRunState>
  /** The names of the failed jobs and steps (`job › step`), never their logs. */
  failedSteps(workflow: CanaryWorkflow, runId: number): Promise<string[]>
  cancel(workflow: CanaryWorkflow, runId: number): Promise<void>
}

/** A destination that could not be read or written. */
export class DestinationError extends Error {
  /** True for an UnconfirmedWrite: GitHub accepted the write, but does not show it. */
  readonly unconfirmed: boolean = false

  constructor(
    message: string,
    /** True when GitHub definitely did not store anything (a 4xx answer). */
    readonly definite: boolean,
    readonly status?: number
  ) {
    super(message)
    this.name = 'DestinationError'
  }
}

/**
 * GitHub accepted the write (201/204) but reading the secret back does not show it: it may still
 * land, so it is not definite, and the destination does not count as holding the new key.
 */
export class UnconfirmedWrite extends DestinationError {
  override readonly unconfirmed = true

  constructor(message: string, status?: number) {
    super(message, false, status)
    this.name = 'UnconfirmedWrite'
  }
}

/** Any error of a destination's read or write as a DestinationError (not definite: unknown). */
export function asDestinationError(error: unknown): DestinationError {
  return error instanceof DestinationError
    ? error
    : new DestinationError(error instanceof Error ? error.message : String(error), false)
}
