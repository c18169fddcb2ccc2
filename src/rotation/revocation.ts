/**
 * What may be revoked: the one rule for every revocation the action makes, in the main step (the
 * create, test, store, prune, retire and emergency steps and every clean-up after a signal) and in
 * the post step alike. Revocation is the one act that can't be undone; nothing else in the action
 * sends Hive's DELETE (test/unit/revocation.test.ts checks that no other file calls `revoke`).
 *
 *   the admin key           never (hive-admin-key, or hive-api-key when it manages itself)
 *   the old key             only to retire it (the retire step, once every destination holds the
 *                           new key), or first thing in an emergency (it is compromised)
 *   a key this run made     only when it is provably this run's: its id came from this run's own
 *                           create answer, or its name carries this run's mark (names.ts) and its
 *                           id is none that was active before the create. And only while the old
 *                           key is known to answer, checked by a fresh request at that moment
 *                           (invariant 9): when the old key does not answer, the new key may be
 *                           the only live key (a Hive whose create revokes the old key, a key that
 *                           expired, an emergency), so it is kept, and the caller stores it.
 *   a leftover              only by the prune step, once every destination holds the new key; a
 *                           key of an earlier run of this rotation, never the old, admin or new key
 *
 * "Known to answer": GET /api-keys/{old id} asked with hive-api-key itself answers 200 with the
 * old key (a key may read itself).
 * One answer is not a verdict: a 401 counts only when a second request, a moment later, is Hive's
 * own 401 too (the contract's JSON error `unauthorized`, not a gateway's page). Anything else (a
 * 5xx, a timeout, another id) leaves the old key's state unknown, and an unknown old key revokes
 * nothing either.
 */
import type { HiveKey } from '../hive/types.js'
import type { KeyService } from './ports.js'
import { carriesMark } from './names.js'
import { sanitize } from '../text.js'

/** The part of the key service the policy uses. */
export type RevokingKeys = Pick<KeyService, 'get' | 'revoke'>

/** What the policy knows of the run; the sets grow as the run learns. */
export interface RevocationFacts {
  keyName: string
  /** hive-api-key: the old key's value, the one checked before a new key is revoked. */
  apiKey: string
  /** The old key's id; undefined when it is dead from the start (a recovery) or not read yet. */
  oldKeyId?: string
  /** The admin key's id, once read. */
  adminKeyId?: string
  /** This run's mark (names.ts), and the name it asked for with it. */
  mark?: string
  asked?: string
  /** Ids this run's own create answers named (and that passed the create's checks). */
  ownIds: Set<string>
  /** Ids of keys that were active before the create: never this run's. */
  knownIds: Set<string>
  /**
   * Where the ids active before the create are not known (a post step whose run saw too many
   * keys to journal them), the earliest creation time a key found by mark may have.
   */
  madeAfter?: string
}

/** The old key's state, as a fresh request found it. */
export type OldKeyState =
  { state: 'answers' } | { state: 'dead'; said: string } | { state: 'unknown'; said: string }

/** What became of a key this run made that it wanted to revoke. */
export type NewKeyFate =
  | { revoked: true; outcome: 'revoked' | 'already-gone' }
  | { revoked: false; why: 'old-dead' | 'old-unknown'; said: string }

/** A revocation the policy forbids: a bug or a lie, never a reason to go on. */
export class RevocationRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RevocationRefused'
  }
}

export interface PolicyOptions {
  /** The wait before the second request that confirms a 401 (injected so tests don't wait). */
  sleep: (ms: number) => Promise<void>
  /** Default 1 s. */
  confirmDelayMs?: number
  debug?: (message: string) => void
}

export class RevocationPolicy {
  /** The last check of the old key: what a message may say about it. */
  lastCheck?: OldKeyState
  /** True once this run revoked the old key (retire or emergency): it is dead on purpose. */
  private oldRevoked = false

  constructor(
    private readonly keys: RevokingKeys,
    readonly facts: RevocationFacts,
    private readonly options: PolicyOptions
  ) {}

  /**
   * Does the old key answer now? A fresh request; a 401 is asked again a moment later and counts
   * only when Hive's own 401 answers twice.
   */
  async oldKeyState(): Promise<OldKeyState> {
    const state = await this.checkOldKey()
    this.lastCheck = state
    this.options.debug?.(`The old key's state: ${state.state}.`)
    return state
  }

  private async checkOldKey(): Promise<OldKeyState> {
    const { oldKeyId } = this.facts
    if (oldKeyId === undefined) {
      return { state: 'dead', said: 'hive-api-key was dead before this run (a recovery)' }
    }
    if (this.oldRevoked) return { state: 'dead', said: 'this run revoked it' }
    const first = await this.ask(oldKeyId)
    if (first.state !== 'unauthorized') return first
    await this.options.sleep(this.options.confirmDelayMs ?? 1_000)
    const second = await this.ask(oldKeyId)
    if (second.state === 'unauthorized') return { state: 'dead', said: second.said }
    if (second.state === 'answers') return second
    return { state: 'unknown', said: `${first.said}, then ${second.said}` }
  }

  private async ask(
    oldKeyId: string
  ): Promise<OldKeyState | { state: 'unauthorized'; said: string }> {
    try {
      const key = await this.keys.get(this.facts.apiKey, oldKeyId)
      if (key?.id === oldKeyId) return { state: 'answers' }
      return {
        state: 'unknown',
        said:
          key === null
            ? `Hive answered 404 for the old key ${oldKeyId}`
            : `Hive answered for key ${sanitize(key.id)}, not the old key ${oldKeyId}`
      }
    } catch (error) {
      const { status, code, hiveMessage } = error as {
        status?: number
        code?: string
        hiveMessage?: string
      }
      if (status === 401 && code === 'unauthorized') {
        return {
          state: 'unauthorized',
          said: `Hive answers 401 to it${hiveMessage ? ` ("${hiveMessage}")` : ''}`
        }
      }
      return { state: 'unknown', said: sanitize((error as Error).message, [], 300) }
    }
  }

  /** The old key was revoked by this run (the post step reads it from the journal). */
  oldKeyRevoked(): void {
    this.oldRevoked = true
  }

  /** True when the key is provably this run's own. */
  isOwn(key: Pick<HiveKey, 'id'> & Partial<Pick<HiveKey, 'name' | 'created_at'>>): boolean {
    const { ownIds, knownIds, mark, asked, keyName, madeAfter } = this.facts
    if (this.isProtected(key.id) || knownIds.has(key.id)) return false
    if (ownIds.has(key.id)) return true
    if (mark === undefined || asked === undefined || key.name === undefined) return false
    if (!carriesMark(keyName, mark, asked, key.name)) return false
    if (madeAfter === undefined) return true
    const created = key.created_at === undefined ? NaN : Date.parse(key.created_at)
    return created >= Date.parse(madeAfter)
  }

  /** The old and admin keys. */
  isProtected(id: string): boolean {
    return id === this.facts.oldKeyId || id === this.facts.adminKeyId
  }

  /**
   * Revokes a key this run made, which no destination holds: only when it is provably this run's
   * and the old key answers now. Otherwise it is kept, and the fate says why; a key that is not
   * this run's is refused outright.
   */
  async revokeNew(
    adminKey: string,
    key: Pick<HiveKey, 'id'> & Partial<Pick<HiveKey, 'name' | 'created_at'>>
  ): Promise<NewKeyFate> {
    if (!this.isOwn(key)) {
      throw new RevocationRefused(
        `Refused to revoke ${sanitize(key.id)}: ` +
          (this.isProtected(key.id)
            ? 'it is the key being rotated or the admin key.'
            : 'nothing proves this run made it (not its create answer, not its mark).')
      )
    }
    const old = await this.oldKeyState()
    if (old.state === 'dead') return { revoked: false, why: 'old-dead', said: old.said }
    if (old.state === 'unknown') return { revoked: false, why: 'old-unknown', said: old.said }
    return { revoked: true, outcome: await this.keys.revoke(adminKey, key.id) }
  }

  /**
   * Revokes a leftover of an earlier run (the prune step, once every destination holds the new
   * key): never the old, admin or a new key of this run.
   */
  async revokeLeftover(adminKey: string, id: string): Promise<'revoked' | 'already-gone'> {
    if (this.isProtected(id) || this.facts.ownIds.has(id)) {
      throw new RevocationRefused(
        `Refused to revoke ${sanitize(id)} as a leftover: it is the key being rotated, the ` +
          'admin key or the new key.'
      )
    }
    return this.keys.revoke(adminKey, id)
  }

  /**
   * Revokes the old key: the retire step, once every destination holds the new key, or the
   * emergency step, before the new key exists. Never the admin key.
   */
  async revokeOld(
    adminKey: string,
    why: 'retire' | 'compromised'
  ): Promise<'revoked' | 'already-gone'> {
    const { oldKeyId, adminKeyId } = this.facts
    if (oldKeyId === undefined || oldKeyId === adminKeyId) {
      throw new RevocationRefused(
        oldKeyId === undefined
          ? 'Refused to revoke the old key: there is none (a recovery).'
          : `Refused to ${why === 'retire' ? 'retire' : 'revoke'} ${oldKeyId}: it is also the admin key.`
      )
    }
    const outcome = await this.keys.revoke(adminKey, oldKeyId)
    this.oldRevoked = true
    return outcome
  }
}

/** A sentence for a kept new key: why the policy did not revoke it. */
export function whyKept(fate: Extract<NewKeyFate, { revoked: false }>): string {
  return fate.why === 'old-dead'
    ? `the old key no longer answers (${fate.said}), so the new key may be the only live key`
    : `the old key's state could not be checked (${fate.said}), and a new key is revoked only ` +
        'while the old key is known to answer'
}
