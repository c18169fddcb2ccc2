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
export const JOURNAL_VERSION = 1

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
      appTokens: []
    }
    this.flush()
  }

  step(name: string) {
    this.data.step = name
    this.flush()
  }

  oldKey(key: JournalKey) {
    this.data.oldKey = pick(key)
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
    !strings(j.appTokens)
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
