/**
 * The journal of a run: each fact recorded the moment it happens, in the runner's step state
 * (`core.saveState`), so that the post step (post.ts) can read what the main step did even after
 * the main step was killed (shared/design/action.md, "A journal").
 *
 * The runner appends every saveState to the file named by GITHUB_STATE and hands the last value
 * of each name to the post step as the variable STATE_<name>. The whole journal is saved under one
 * name on every fact, so the post step always reads one consistent record.
 *
 * It holds key ids, prefixes, names and destination labels: never a key value. The one secret it
 * holds is each GitHub App installation token this run minted, so that the post step can revoke
 * it (as actions/create-github-app-token keeps its token in the step state); the runner keeps the
 * state file to itself and the tokens are masked.
 */

/** The name of the step state that holds the journal. */
export const JOURNAL_STATE = 'journal'
/** The journal's format: a post step refuses a journal of another version. */
export const JOURNAL_VERSION = 2
/**
 * The name of the step state that holds the ids of the keys that were active before the create,
 * saved once (the journal is saved whole on every fact): a key the post step finds by this run's
 * mark is revoked only when it is none of them. At most SEEN_MAX ids; past that the post step
 * relies on the mark and the key's creation time (post/clean.ts).
 */
export const SEEN_STATE = 'seen'
export const SEEN_MAX = 2_000

export interface JournalKey {
  id: string
  prefix: string
  name: string
  created_at: string
}

export interface JournalData {
  v: typeof JOURNAL_VERSION
  /** When the main step started (ISO-8601 UTC). */
  started: string
  mode: string
  /** The step in progress (or the last one that started). */
  step?: string
  /** The key being rotated, once the preflight read it (absent when it is dead: a recovery). */
  oldKey?: JournalKey
  /** The admin key's id (hive-admin-key, or the old key when it manages itself): never revoked. */
  adminKeyId?: string
  /** This run's mark (names.ts), in the name it asked for: what proves a key found by name ours. */
  mark?: string
  /** The new key, the moment Hive answered the create. */
  newKey?: JournalKey
  /** Set before the create request is sent: a key may exist from then on, even without an answer. */
  createSent?: { name: string }
  /** Destination labels whose write was sent (the PUT left): a write may have landed. */
  writesSent: string[]
  /** Destination labels whose write was read back: they hold the new key. */
  writesConfirmed: string[]
  /** Key ids this run revoked. */
  revoked: string[]
  /**
   * Work the main step's clean-up could not finish, for the post step to do (with the same
   * revocation policy): ids of keys of this run to revoke (a DELETE that failed), and whether a
   * create whose answer never came must still be looked for by the run's mark.
   */
  todo: { revoke: string[]; findCreated: boolean }
  /** GitHub App installation tokens this run minted, for the post step to revoke. */
  appTokens: string[]
  /**
   * How the main step ended, set as its last act: 'ok', 'failed' (an error it handled), or
   * 'cancelled' (a signal, and its clean-up ran). Absent: the main step was killed or crashed.
   */
  ended?: 'ok' | 'failed' | 'cancelled'
}

export type SaveState = (name: string, value: string) => void

/** The journal of the main step: every method records one fact and saves the whole at once. */
export class Journal {
  readonly data: JournalData

  constructor(
    private readonly save: SaveState,
    mode: string,
    now: Date = new Date()
  ) {
    this.data = {
      v: JOURNAL_VERSION,
      started: now.toISOString(),
      mode,
      writesSent: [],
      writesConfirmed: [],
      revoked: [],
      todo: { revoke: [], findCreated: false },
      appTokens: []
    }
    this.flush()
  }

  /** The ids active before the create, saved once under SEEN_STATE (none past SEEN_MAX). */
  seen(ids: Iterable<string>) {
    const list = [...ids]
    if (list.length <= SEEN_MAX) this.save(SEEN_STATE, list.join(' '))
  }

  step(name: string) {
    this.data.step = name
    this.flush()
  }

  oldKey(key: JournalKey) {
    this.data.oldKey = pick(key)
    this.flush()
  }

  adminKeyId(id: string) {
    this.data.adminKeyId = id
    this.flush()
  }

  mark(mark: string) {
    this.data.mark = mark
    this.flush()
  }

  /** A revocation the main step could not do: the post step does it, if the policy allows. */
  revokeLater(id: string) {
    if (!this.data.todo.revoke.includes(id)) this.data.todo.revoke.push(id)
    this.flush()
  }

  /** A create whose answer never came, and whose key was not found: the post step looks again. */
  findCreatedLater(yes = true) {
    this.data.todo.findCreated = yes
    this.flush()
  }

  createSent(name: string) {
    this.data.createSent = { name }
    this.flush()
  }

  newKey(key: JournalKey) {
    this.data.newKey = pick(key)
    this.flush()
  }

  writeSent(label: string) {
    if (!this.data.writesSent.includes(label)) this.data.writesSent.push(label)
    this.flush()
  }

  writeConfirmed(label: string) {
    if (!this.data.writesConfirmed.includes(label)) this.data.writesConfirmed.push(label)
    this.flush()
  }

  revoked(id: string) {
    if (!this.data.revoked.includes(id)) this.data.revoked.push(id)
    this.data.todo.revoke = this.data.todo.revoke.filter(x => x !== id)
    this.flush()
  }

  appToken(token: string) {
    if (!this.data.appTokens.includes(token)) this.data.appTokens.push(token)
    this.flush()
  }

  ended(how: NonNullable<JournalData['ended']>) {
    this.data.ended = how
    this.flush()
  }

  private flush() {
    this.save(JOURNAL_STATE, JSON.stringify(this.data))
  }
}

function pick(key: JournalKey): JournalKey {
  return { id: key.id, prefix: key.prefix, name: key.name, created_at: key.created_at }
}

/** The ids SEEN_STATE holds; undefined when it was not saved (too many, or no create). */
export function readSeen(raw: string | undefined): Set<string> | undefined {
  if (!raw) return undefined
  return new Set(raw.split(' ').filter(id => id !== ''))
}

/** A journal that records nothing: for tools and tests that have no step state. */
export function noJournal(mode = 'rotate'): Journal {
  return new Journal(() => undefined, mode)
}

/**
 * The journal as the post step reads it (STATE_journal), checked: undefined when absent or not a
 * journal of this version. The post step treats every field as untrusted text all the same.
 */
export function readJournal(raw: string | undefined): JournalData | undefined {
  if (!raw) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const j = parsed as Partial<JournalData>
  const strings = (v: unknown) => Array.isArray(v) && v.every(x => typeof x === 'string')
  if (
    j.v !== JOURNAL_VERSION ||
    typeof j.started !== 'string' ||
    typeof j.mode !== 'string' ||
    !strings(j.writesSent) ||
    !strings(j.writesConfirmed) ||
    !strings(j.revoked) ||
    !strings(j.appTokens) ||
    typeof j.todo !== 'object' ||
    j.todo === null ||
    !strings(j.todo.revoke) ||
    typeof j.todo.findCreated !== 'boolean' ||
    !['undefined', 'string'].includes(typeof j.adminKeyId) ||
    !['undefined', 'string'].includes(typeof j.mark)
  ) {
    return undefined
  }
  for (const k of [j.oldKey, j.newKey]) {
    if (k === undefined) continue
    if (
      typeof k !== 'object' ||
      k === null ||
      !['id', 'prefix', 'name', 'created_at'].every(f => typeof (k as never)[f] === 'string')
    ) {
      return undefined
    }
  }
  return j as JournalData
}
