import type { GitHubClient } from './octokit.js'
import { guardRefusal, MAX_RATE_LIMIT_WAIT_SECONDS } from './octokit.js'
import type { GitHubClients } from './auth.js'
import {
  type Destination,
  type OrgVisibility,
  describe,
  KINDS,
  secretsPath
} from './destinations.js'
import {
  GitHubProtocolError,
  parseEnvironmentNames,
  parsePublicKey,
  parseRepositoryIds,
  parseSecretMetadata,
  parseSecretNames,
  type SecretMetadata
} from './answers.js'
import { preloadSodium, seal } from './seal.js'
import { sanitize } from '../text.js'
import {
  DestinationError,
  UnconfirmedWrite,
  type PreparedDestination,
  type SecretPresence,
  type SecretStore
} from '../rotation/ports.js'

/** An org secret's access, read in the preflight and written back unchanged. */
export interface OrgAccess {
  visibility: OrgVisibility
  /** Only with `selected`: every repository id, in GitHub's order. */
  selectedRepositoryIds?: number[]
  /** False when the secret does not exist yet: it is created with `visibility`. */
  exists: boolean
}

/** When the preflight read the secret's metadata: what a write is confirmed against. */
export interface MetadataRead {
  /** The local clock (`StoreOptions.clock`) when the answer arrived. */
  at: number
  /** GitHub's clock then (its Date header, to the second); NaN when it sent none. */
  serverDate: number
}

/** What the GitHub store knows of a destination after the preflight. */
export interface GitHubPrepared extends PreparedDestination {
  org?: OrgAccess
  /** When the metadata was read; absent on a destination prepared elsewhere (then: unknown). */
  read?: MetadataRead
}

export interface StoreOptions {
  secretName: string
  /** Every destination of the run: a narrower one that is also a destination shadows nothing. */
  destinations: Destination[]
  /** `OWNER/REPO` of the workflows that read the secret (GITHUB_REPOSITORY), when known. */
  workflowRepository?: string
  warn(message: string): void
  debug(message: string): void
  /** Injected so tests don't wait (the same-second wait, the second read-back). */
  sleep?: (ms: number) => Promise<void>
  /** A monotonic clock in ms; default performance.now. */
  clock?: () => number
  /**
   * Start loading libsodium at the first public key read, so that it is ready by the first write
   * (a run that will write: not a dry run). Default false: loaded at the first seal.
   */
  sealAhead?: boolean
}

/** Pages of one list, at most: 100 a page, so 10,000 repositories, secrets or environments. */
export const PAGE_LIMIT = 100
/** Secret names kept for the "secret-name lives nowhere" message. */
const NAMES_KEPT = 50
/** GitHub's updated_at has one-second resolution. */
const RESOLUTION_MS = 1000
/** When a read-back does not show the write yet, it is read once more after this long. */
export const READ_BACK_RETRY_MS = 1000

/**
 * The SecretStore port over GitHub's REST API. The preflight (`prepare`) reads, per destination:
 * its public key; the secret's metadata (does it exist, when was it last written; for an
 * org-level kind also its visibility and selected repositories); when it does not exist, the
 * names of the secrets that do; and where cheap, whether a narrower secret of the same name
 * shadows it. `write` seals, PUTs, and reads the metadata back: a write counts when it shows.
 *
 * Every answer is checked (answers.ts) before it is used: a field that breaks GitHub's format is
 * a protocol error for that destination, and nothing is written because of it.
 */
export class GitHubSecretStore implements SecretStore {
  private environments?: Promise<string[] | undefined>
  private readonly sleep: (ms: number) => Promise<void>
  private readonly clock: () => number

  constructor(
    private readonly clients: GitHubClients,
    private readonly options: StoreOptions
  ) {
    this.sleep = options.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)))
    this.clock = options.clock ?? (() => performance.now())
  }

  async prepare(destination: Destination): Promise<GitHubPrepared> {
    // A write will follow: libsodium loads meanwhile, behind the network (seal.ts).
    if (this.options.sealAhead) preloadSodium()
    const github = await this.clients.forDestination(destination)
    const isOrg = KINDS[destination.kind].level === 'org'
    // The reads are independent: send them together. The public key's failure is reported first.
    // The shadowing check never fails and only warns: it takes a second round (environments, then
    // their secrets), so the run does not wait for it before the create (`pending`).
    const pending = this.warnIfShadowed(github, destination).catch((error: unknown) =>
      this.options.debug(`The shadowing check failed: ${(error as Error).message}`)
    )
    const [key, found] = await Promise.allSettled([
      this.publicKey(github, destination),
      this.secretAt(github, destination)
    ])
    if (key.status === 'rejected') throw key.reason
    if (found.status === 'rejected') throw found.reason
    const { metadata, read } = found.value
    const secret: SecretPresence = metadata
      ? { exists: true, updatedAt: metadata.updatedAt }
      : { exists: false, ...(await this.otherSecretNames(github, destination)) }
    const org = isOrg ? await this.orgAccess(github, destination, metadata) : undefined
    return { ...key.value, secret, read, pending, ...(org ? { org } : {}) }
  }

  async write(
    prepared: GitHubPrepared,
    secretName: string,
    value: string
  ): Promise<'created' | 'updated'> {
    const { destination } = prepared
    let encrypted: string
    try {
      encrypted = await seal(value, prepared.publicKey)
    } catch (error) {
      throw new DestinationError(
        `could not seal the value for ${destination.label}: ${(error as Error).message}`,
        true
      )
    }
    const body: Record<string, unknown> = {
      encrypted_value: encrypted,
      key_id: prepared.publicKeyId
    }
    if (prepared.org) {
      // GitHub requires visibility on every org PUT; without it a secret would be narrowed.
      body.visibility = prepared.org.visibility
      if (prepared.org.visibility === 'selected') {
        body.selected_repository_ids = prepared.org.selectedRepositoryIds ?? []
      }
    }
    const github = await this.clients.forDestination(destination)
    const url = `${secretsPath(destination)}/${encodeURIComponent(secretName)}`
    const wait = sameSecondWait(prepared, this.clock())
    if (wait > 0) await this.sleep(wait)
    let status: number
    try {
      status = (await github.request({ method: 'PUT', url, ...body })).status
    } catch (error) {
      const refused = this.explain(error, destination, `writing ${secretName} to`, { write: true })
      throw refused.definite
        ? await this.refusalChecked(github, prepared, secretName, refused)
        : refused
    }
    // GitHub answers 201 (created) or 204 (updated); anything else is not a confirmed write.
    if (status !== 201 && status !== 204) {
      throw new DestinationError(
        `GitHub answered ${status} writing ${secretName} to ${destination.label}, not ` +
          '201 or 204: the write is not confirmed; running again is safe.',
        false,
        status
      )
    }
    await this.confirm(github, prepared, secretName, status)
    return status === 201 ? 'created' : 'updated'
  }

  /**
   * A refusal (4xx) of a write is definite only when the secret shows no change since the
   * preflight. The retry plugin resends a PUT after a 5xx, a network error or a timeout, so the
   * 4xx may answer a resend of a write that did land: then, or when the secret can't be read, the
   * destination may hold the new key, and the refusal is not counted as "nothing stored" (which
   * would let the new key be revoked).
   */
  private async refusalChecked(
    github: GitHubClient,
    prepared: GitHubPrepared,
    secretName: string,
    refused: DestinationError
  ): Promise<DestinationError> {
    let seen: string
    try {
      const after = (await this.secretAt(github, prepared.destination, secretName)).metadata
      if (!movedSincePreflight(prepared, after)) return refused
      seen = 'the secret changed since the preflight'
    } catch (error) {
      seen = `reading the secret back failed (${(error as Error).message})`
    }
    return new DestinationError(
      `${refused.message} But ${seen}, so an earlier attempt of this write may have landed: ` +
        'the destination may hold the new key.',
      false,
      refused.status
    )
  }

  /**
   * A write counts when it shows: the secret's updated_at moved past the preflight's (or the
   * secret now exists, when it did not). Read back once, and once more after a short wait (a
   * read may lag a write, or fail once); still unchanged, the write is not confirmed.
   */
  private async confirm(
    github: GitHubClient,
    prepared: GitHubPrepared,
    secretName: string,
    status: number
  ) {
    const d = prepared.destination
    const moved = (after: SecretMetadata | undefined) => movedSincePreflight(prepared, after)
    const answered = `GitHub answered ${status} writing ${secretName} to ${describe(d)} (${d.label})`
    let seen = ''
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) await this.sleep(READ_BACK_RETRY_MS)
      try {
        const { metadata: after, read } = await this.secretAt(github, d, secretName)
        if (moved(after)) {
          // What a later write of this run (the canary's rollback) is confirmed against.
          prepared.secret = { exists: true, updatedAt: after!.updatedAt }
          prepared.read = read
          if (prepared.org) prepared.org.exists = true
          return
        }
        seen = after
          ? `shows no change (its updated_at is still ${after.updatedAt}, as before the write)`
          : 'shows no change (it does not exist)'
      } catch (error) {
        seen = `failed (${(error as Error).message})`
      }
    }
    throw new UnconfirmedWrite(
      `${answered}, but reading it back ${seen}: the write is not confirmed; it may still land. ` +
        'Running again is safe.',
      status
    )
  }

  private async publicKey(github: GitHubClient, destination: Destination) {
    const doing = 'reading the public key of'
    try {
      const { data } = await github.request({
        method: 'GET',
        url: `${secretsPath(destination)}/public-key`
      })
      const { keyId, key } = this.checked(() => parsePublicKey(data), destination, doing)
      return { destination, publicKeyId: keyId, publicKey: key }
    } catch (error) {
      throw this.explain(error, destination, doing)
    }
  }

  /** The secret's metadata (undefined: it does not exist), and when it was read. */
  private async secretAt(
    github: GitHubClient,
    d: Destination,
    name = this.options.secretName
  ): Promise<{ metadata?: SecretMetadata; read: MetadataRead }> {
    const url = `${secretsPath(d)}/${encodeURIComponent(name)}`
    const doing = `reading the metadata of ${name} in`
    let response
    try {
      response = await github.request({ method: 'GET', url })
    } catch (error) {
      const e = error as { status?: number; response?: { headers?: Record<string, string> } }
      if (e.status === 404 && e.response) {
        return { read: this.readAt(e.response.headers?.date) }
      }
      throw this.explain(error, d, doing)
    }
    const read = this.readAt(response.headers.date)
    const org = KINDS[d.kind].level === 'org'
    const metadata = this.checked(() => parseSecretMetadata(response.data, name, org), d, doing)
    return { metadata, read }
  }

  private readAt(date: string | undefined): MetadataRead {
    return { at: this.clock(), serverDate: date ? Date.parse(date) : NaN }
  }

  /** The names of the secrets the destination holds; failures only make the message poorer. */
  private async otherSecretNames(
    github: GitHubClient,
    d: Destination
  ): Promise<{ otherNames?: string[]; total?: number }> {
    try {
      const names = await this.listAll(github, d, secretsPath(d), 'listing the secrets of', data =>
        parseSecretNames(data)
      )
      const sorted = [...new Set(names.map(n => n.toUpperCase()))].sort()
      return { otherNames: sorted.slice(0, NAMES_KEPT), total: sorted.length }
    } catch (error) {
      this.options.debug(`${d.label}: listing its secret names failed: ${(error as Error).message}`)
      return {}
    }
  }

  /** The org secret's visibility and, for `selected`, all its repositories (100 a page). */
  private async orgAccess(
    github: GitHubClient,
    d: Destination,
    metadata: SecretMetadata | undefined
  ): Promise<OrgAccess> {
    const name = this.options.secretName
    const visibility = metadata?.visibility
    if (visibility === undefined) return { visibility: d.visibility ?? 'private', exists: false }
    if (d.visibility && d.visibility !== visibility) {
      this.options.warn(
        `${d.label}: ${name} exists with visibility ${visibility}; it keeps it ` +
          `(?visibility=${d.visibility} applies only to a secret that does not exist yet).`
      )
    }
    if (visibility !== 'selected') return { visibility, exists: true }
    const ids = await this.listAll(
      github,
      d,
      `${secretsPath(d)}/${encodeURIComponent(name)}/repositories`,
      `listing the repositories that may read ${name} in`,
      parseRepositoryIds
    )
    return { visibility, selectedRepositoryIds: ids, exists: true }
  }

  /**
   * Every item of a paginated list, bounded: at most PAGE_LIMIT pages, and a `next` link to a
   * page already read (a loop) stops it. A link to another origin never gets a request: the
   * guarded fetch refuses it (octokit.ts).
   */
  private async listAll<T>(
    github: GitHubClient,
    d: Destination,
    url: string,
    doing: string,
    parse: (data: unknown) => T[]
  ): Promise<T[]> {
    const items: T[] = []
    const seen = new Set<string>()
    let pages = 0
    try {
      for await (const response of github.paginate.iterator({
        method: 'GET',
        url,
        per_page: 100
      })) {
        pages++
        seen.add(normalUrl(response.url))
        items.push(...this.checked(() => parse(response.data), d, doing))
        const next = /<([^<>]+)>;\s*rel="next"/.exec(String(response.headers.link ?? ''))?.[1]
        if (next === undefined) break
        if (seen.has(normalUrl(next))) {
          throw new GitHubProtocolError(`page ${pages} links back to a page already read (a loop)`)
        }
        if (pages >= PAGE_LIMIT) {
          throw new GitHubProtocolError(`the list goes on past ${PAGE_LIMIT} pages`)
        }
      }
    } catch (error) {
      throw this.explain(error, d, doing)
    }
    return items
  }

  /** Runs a parser of GitHub's answer; a broken answer becomes this destination's error. */
  private checked<T>(parse: () => T, d: Destination, doing: string): T {
    try {
      return parse()
    } catch (error) {
      if (error instanceof GitHubProtocolError) throw protocolError(error, d, doing)
      throw error
    }
  }

  /**
   * Warn when the workflow's repository has a narrower secret of the same name that is not a
   * destination itself: its workflows would keep reading that one. Checked only where it matters
   * and costs a read or two: an org-level destination of the workflow's owner (its repository
   * secret, and for Actions its environments' secrets) and the workflow's own repository (its
   * environments). A failed check is logged at debug level and changes nothing.
   */
  private async warnIfShadowed(github: GitHubClient, d: Destination) {
    const [owner, repo] = (this.options.workflowRepository ?? '').split('/')
    if (!owner || !repo || d.owner.toLowerCase() !== owner.toLowerCase()) return
    const { level, service } = KINDS[d.kind]
    const workflowRepo = { owner, repo }
    const narrower: Destination[] = []
    if (level === 'org') {
      const kind = service === 'actions' ? 'repo' : service
      narrower.push({ kind, ...workflowRepo, label: `${kind}:${owner}/${repo}` })
    }
    const sameRepo = level === 'repo' && d.repo?.toLowerCase() === repo.toLowerCase()
    if (service === 'actions' && (level === 'org' || sameRepo)) {
      for (const environment of (await this.environmentsOf(github, owner, repo)) ?? []) {
        const label = `env:${owner}/${repo}/${environment}`
        narrower.push({ kind: 'env', ...workflowRepo, environment, label })
      }
    }
    const destinations = new Set(this.options.destinations.map(x => x.label.toLowerCase()))
    const name = this.options.secretName
    const found = await Promise.all(
      narrower
        .filter(n => !destinations.has(n.label.toLowerCase()))
        .map(async n => ((await this.exists(github, n)) ? n : undefined))
    )
    for (const n of found) {
      if (n === undefined) continue
      this.options.warn(
        `${d.label}: workflows of ${owner}/${repo} read ${name} from ${describe(n)} instead ` +
          `(a narrower secret of the same name wins), so they will not see the rotated key there. ` +
          `Add ${n.label} to destinations, or delete that secret.`
      )
    }
  }

  private environmentsOf(github: GitHubClient, owner: string, repo: string) {
    const d: Destination = { kind: 'repo', owner, repo, label: `repo:${owner}/${repo}` }
    const url = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/environments`
    this.environments ??= this.listAll(
      github,
      d,
      url,
      'listing the environments of',
      parseEnvironmentNames
    ).catch((error: unknown) => {
      this.options.debug(
        `Shadowing check: listing environments of ${owner}/${repo} failed: ${String(error)}`
      )
      return undefined
    })
    return this.environments
  }

  private async exists(github: GitHubClient, d: Destination): Promise<boolean> {
    const url = `${secretsPath(d)}/${encodeURIComponent(this.options.secretName)}`
    try {
      await github.request({ method: 'GET', url })
      return true
    } catch (error) {
      this.options.debug(`Shadowing check: ${d.label}: ${String(error)}`)
      return false
    }
  }

  private explain(error: unknown, d: Destination, doing: string, opts: { write?: boolean } = {}) {
    return explain(error, d, doing, this.clients.credential, opts)
  }
}

/**
 * How long to wait before the PUT so that its updated_at cannot equal the preflight's. GitHub's
 * updated_at has one-second resolution: a secret last written in the very second the preflight
 * read it would show the same updated_at after our write, had it landed in that second too. So
 * the PUT goes out only once GitHub's clock (its Date header at the read, plus the time elapsed
 * here since) is past that second. Almost always zero: secrets are rarely written just before a
 * rotation. Without a Date header, GitHub's clock is taken to be the updated_at itself.
 */
export function sameSecondWait(prepared: GitHubPrepared, now: number): number {
  if (!prepared.secret.exists) return 0
  const updated = Date.parse(prepared.secret.updatedAt)
  const read = prepared.read ?? { at: now, serverDate: NaN }
  const server = Number.isFinite(read.serverDate) ? read.serverDate : updated
  const elapsed = now - read.at
  const wait = updated + RESOLUTION_MS - server - elapsed
  return Math.min(Math.max(wait, 0), RESOLUTION_MS)
}

function normalUrl(url: string): string {
  try {
    return new URL(url).href
  } catch {
    return url
  }
}

/** A broken answer as this destination's definite error: nothing was written because of it. */
function protocolError(error: GitHubProtocolError, d: Destination, doing: string) {
  return new DestinationError(
    `GitHub's answer ${doing} ${describe(d)} (${d.label}) is not what GitHub sends: ` +
      `${error.message}. Nothing was written there because of it; if it persists, check what ` +
      'answers at GITHUB_API_URL.',
    true
  )
}

interface RequestErrorLike {
  status?: number
  message?: string
  response?: { headers?: Record<string, string | undefined>; data?: unknown }
}

/**
 * Turn a GitHub failure into a sentence a person can act on: which destination, what GitHub said,
 * and for 401/403/404 which token permission is missing. A 4xx is "definite": GitHub stored nothing.
 */
export function explain(
  error: unknown,
  d: Destination,
  doing: string,
  credential = 'github-token',
  { write = false }: { write?: boolean } = {}
): DestinationError {
  if (error instanceof DestinationError) return error
  if (error instanceof GitHubProtocolError) return protocolError(error, d, doing)
  const where = `${doing} ${describe(d)} (${d.label})`
  const guard = guardRefusal(error)
  if (guard) {
    // Refused here: nothing was sent, or an answer was not read (a write may then have landed).
    const definite = !guard.sent || !write
    return new DestinationError(
      `GitHub ${where}: ${guard.message}. ` +
        (definite
          ? 'Nothing was written there.'
          : 'It is not known whether the write landed; running again is safe.'),
      definite
    )
  }
  const e = error as RequestErrorLike
  const status = typeof e.status === 'number' ? e.status : undefined
  const data = e.response?.data as { message?: unknown } | undefined
  const said = sanitize(typeof data?.message === 'string' ? data.message : (e.message ?? ''))
  const need = KINDS[d.kind].permission
  if (status === undefined || status >= 500 || !e.response) {
    // No response at all (Octokit reports a network failure as status 500 without one), or 5xx
    // after the retry plugin's attempts.
    const answer = e.response && status ? `answered ${status}` : 'could not be reached'
    return new DestinationError(
      `GitHub ${answer} ${where}: ${said || 'no response'}. ` +
        'It is not known whether a write landed; running again is safe.',
      false,
      e.response ? status : undefined
    )
  }
  let advice = ''
  const headers = e.response?.headers ?? {}
  const limited =
    status === 429 ||
    (status === 403 &&
      (/rate limit/i.test(said) ||
        headers['retry-after'] !== undefined ||
        headers['x-ratelimit-remaining'] === '0'))
  if (limited) {
    advice =
      'GitHub is rate-limiting the token: it asked for a wait longer than the ' +
      `${MAX_RATE_LIMIT_WAIT_SECONDS} s this action waits, or the waits did not lift it; ` +
      'nothing was written here. Run again later.'
  } else if (status === 401) {
    advice = `${credential} is invalid or expired.`
  } else if (status === 403) {
    const accepted = e.response?.headers?.['x-accepted-github-permissions']
    advice =
      `The token may not do this: it needs the ${need.fineGrained} (fine-grained token or ` +
      `GitHub App) or the "${need.classic}" scope (classic token)` +
      (accepted ? `; GitHub says it accepts: ${sanitize(accepted)}` : '') +
      '.' +
      // GitHub says "by integration" for installation tokens, the workflow's own among them.
      (/by integration/i.test(said) && credential === 'github-token'
        ? ' The workflow’s own GITHUB_TOKEN can never write secrets: if that is what ' +
          'github-token holds, pass a personal access token or a GitHub App token.'
        : '')
  } else if (status === 404) {
    advice =
      'It does not exist, or the token cannot see it (GitHub answers 404 for a private ' +
      'resource the token has no access to). Check the destination’s spelling and the token’s ' +
      'access.'
  } else if (status === 422) {
    advice = 'GitHub refused the request as invalid.'
  }
  return new DestinationError(
    `GitHub answered ${status} ${where}: ${said}. ${advice}`.trim(),
    true,
    status
  )
}

/** The secret's metadata moved past what the preflight saw: it exists now, or is newer. */
function movedSincePreflight(prepared: GitHubPrepared, after: SecretMetadata | undefined): boolean {
  const before = prepared.secret
  return (
    after !== undefined &&
    (!before.exists || Date.parse(after.updatedAt) > Date.parse(before.updatedAt))
  )
}
