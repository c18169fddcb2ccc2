import type { GitHubClient } from './octokit.js'
import type { GitHubClients } from './auth.js'
import {
  type Destination,
  type OrgVisibility,
  describe,
  KINDS,
  secretsPath
} from './destinations.js'
import { seal } from './seal.js'
import { sanitize } from '../text.js'
import { DestinationError, type PreparedDestination, type SecretStore } from '../rotation/ports.js'

/** An org secret's access, read in the preflight and written back unchanged. */
export interface OrgAccess {
  visibility: OrgVisibility
  /** Only with `selected`: every repository id, in GitHub's order. */
  selectedRepositoryIds?: number[]
  /** False when the secret does not exist yet: it is created with `visibility`. */
  exists: boolean
}

/** What the GitHub store knows of a destination after the preflight. */
export interface GitHubPrepared extends PreparedDestination {
  org?: OrgAccess
}

export interface StoreOptions {
  secretName: string
  /** Every destination of the run: a narrower one that is also a destination shadows nothing. */
  destinations: Destination[]
  /** `OWNER/REPO` of the workflows that read the secret (GITHUB_REPOSITORY), when known. */
  workflowRepository?: string
  warn(message: string): void
  debug(message: string): void
}

/**
 * The SecretStore port over GitHub's REST API. The preflight (`prepare`) reads, per destination:
 * its public key; for an org-level kind the secret's visibility and selected repositories; and
 * where cheap, whether a narrower secret of the same name shadows it. `write` seals and PUTs.
 */
export class GitHubSecretStore implements SecretStore {
  private environments?: Promise<string[] | undefined>

  constructor(
    private readonly clients: GitHubClients,
    private readonly options: StoreOptions
  ) {}

  async prepare(destination: Destination): Promise<GitHubPrepared> {
    const github = await this.clients.forDestination(destination)
    const isOrg = KINDS[destination.kind].level === 'org'
    // The reads are independent: send them together. The public key's failure is reported first;
    // the shadowing check never fails.
    const [key, org] = await Promise.allSettled([
      this.publicKey(github, destination),
      isOrg ? this.orgAccess(github, destination) : Promise.resolve(undefined),
      this.warnIfShadowed(github, destination)
    ])
    if (key.status === 'rejected') throw key.reason
    if (org.status === 'rejected') throw org.reason
    return { ...key.value, ...(org.value ? { org: org.value } : {}) }
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
    try {
      const github = await this.clients.forDestination(destination)
      const response = await github.request({
        method: 'PUT',
        url: `${secretsPath(destination)}/${encodeURIComponent(secretName)}`,
        ...body
      })
      // GitHub answers 201 (created) or 204 (updated); anything else is not a confirmed write.
      if (response.status === 201) return 'created'
      if (response.status === 204) return 'updated'
      throw new DestinationError(
        `GitHub answered ${response.status} writing ${secretName} to ${destination.label}, not ` +
          '201 or 204: the write is not confirmed; running again is safe.',
        false,
        response.status
      )
    } catch (error) {
      throw this.explain(error, destination, `writing ${secretName} to`)
    }
  }

  private async publicKey(github: GitHubClient, destination: Destination) {
    try {
      const { data } = await github.request({
        method: 'GET',
        url: `${secretsPath(destination)}/public-key`
      })
      const { key_id: keyId, key } = (data ?? {}) as { key_id?: unknown; key?: unknown }
      if (typeof keyId !== 'string' || typeof key !== 'string' || !keyId || !key) {
        throw new DestinationError(
          `GitHub's public key answer for ${destination.label} has no key_id and key`,
          true
        )
      }
      return { destination, publicKeyId: keyId, publicKey: key }
    } catch (error) {
      throw this.explain(error, destination, 'reading the public key of')
    }
  }

  /** The org secret's visibility and, for `selected`, all its repositories (100 a page). */
  private async orgAccess(github: GitHubClient, d: Destination): Promise<OrgAccess> {
    const url = `${secretsPath(d)}/${encodeURIComponent(this.options.secretName)}`
    const doing = `reading the visibility of ${this.options.secretName} in`
    let visibility: unknown
    try {
      const { data } = await github.request({ method: 'GET', url })
      visibility = (data as { visibility?: unknown }).visibility
    } catch (error) {
      if ((error as { status?: number }).status === 404) {
        return { visibility: d.visibility ?? 'private', exists: false }
      }
      throw this.explain(error, d, doing)
    }
    if (visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') {
      throw new DestinationError(
        `GitHub answered an unknown visibility for ${this.options.secretName} in ${d.label}; ` +
          'nothing was changed',
        true
      )
    }
    if (d.visibility && d.visibility !== visibility) {
      this.options.warn(
        `${d.label}: ${this.options.secretName} exists with visibility ${visibility}; it keeps it ` +
          `(?visibility=${d.visibility} applies only to a secret that does not exist yet).`
      )
    }
    if (visibility !== 'selected') return { visibility, exists: true }
    try {
      const ids = await github.paginate(
        { method: 'GET', url: `${url}/repositories`, per_page: 100 },
        response => (response.data as unknown as { id: unknown }[]).map(r => r.id)
      )
      if (!ids.every(id => Number.isSafeInteger(id))) {
        throw new DestinationError(
          `GitHub listed a repository of ${d.label} without an integer id; nothing was changed`,
          true
        )
      }
      return { visibility, selectedRepositoryIds: ids as number[], exists: true }
    } catch (error) {
      throw this.explain(
        error,
        d,
        `listing the repositories that may read ${this.options.secretName} in`
      )
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
    this.environments ??= github
      .paginate(
        {
          method: 'GET',
          url: '/repos/{owner}/{repo}/environments',
          owner,
          repo,
          per_page: 100
        },
        response =>
          (response.data as unknown as { name: string }[]).map(environment => environment.name)
      )
      .catch((error: unknown) => {
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

  private explain(error: unknown, d: Destination, doing: string) {
    return explain(error, d, doing, this.clients.credential)
  }
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
  credential = 'github-token'
): DestinationError {
  if (error instanceof DestinationError) return error
  const e = error as RequestErrorLike
  const status = typeof e.status === 'number' ? e.status : undefined
  const data = e.response?.data as { message?: unknown } | undefined
  const said = sanitize(typeof data?.message === 'string' ? data.message : (e.message ?? ''))
  const where = `${doing} ${describe(d)} (${d.label})`
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
  if ((status === 403 || status === 429) && /rate limit/i.test(said)) {
    advice =
      'GitHub is rate-limiting the token and the wait it asked for did not lift it; nothing was ' +
      'written here. Run again later.'
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
