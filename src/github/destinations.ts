/**
 * Where a secret is written: `kind:target`, and one table of GitHub endpoints per kind.
 * Adding a kind is adding a row, not a branch.
 */

export type DestinationKind = 'repo' | 'env'

export interface Destination {
  kind: DestinationKind
  owner: string
  repo: string
  /** Set for `env:` destinations. */
  environment?: string
  /** As the user wrote it, normalised: `repo:octo/app`, `env:octo/app/production`. */
  label: string
}

interface KindSpec {
  /** The syntax shown in errors. */
  syntax: string
  /** The GitHub API path (below the base URL) of the destination's secrets collection. */
  secretsPath(d: Destination): string
  /** What the token needs to write here: fine-grained PAT / App, then classic PAT. */
  permission: { fineGrained: string; classic: string }
  /** The settings page where a person can see the secret. */
  describe(d: Destination): string
}

const seg = encodeURIComponent

export const KINDS: Record<DestinationKind, KindSpec> = {
  repo: {
    syntax: 'repo:OWNER/REPO',
    secretsPath: d => `/repos/${seg(d.owner)}/${seg(d.repo)}/actions/secrets`,
    permission: { fineGrained: 'repository permission "Secrets: write"', classic: 'repo' },
    describe: d => `repository ${d.owner}/${d.repo}`
  },
  env: {
    syntax: 'env:OWNER/REPO/ENVIRONMENT',
    secretsPath: d =>
      `/repos/${seg(d.owner)}/${seg(d.repo)}/environments/${seg(d.environment ?? '')}/secrets`,
    permission: {
      fineGrained: 'repository permissions "Secrets: write" and "Environments: write"',
      classic: 'repo'
    },
    describe: d => `environment "${d.environment}" of ${d.owner}/${d.repo}`
  }
}

/** Kinds of action.md that later versions implement: refused by name, never ignored. */
const LATER_KINDS = ['org', 'dependabot', 'dependabot-org', 'codespaces', 'codespaces-org']

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/
const REPO = /^[A-Za-z0-9._-]{1,100}$/

/** Parse one `kind:target`. Returns the destination, or a problem sentence for settings. */
export function parseDestination(raw: string): Destination | { problem: string } {
  const colon = raw.indexOf(':')
  const kind = colon > 0 ? raw.slice(0, colon).trim().toLowerCase() : ''
  const target = colon > 0 ? raw.slice(colon + 1).trim() : ''
  const kinds = Object.values(KINDS)
    .map(k => k.syntax)
    .join(', ')
  if (LATER_KINDS.includes(kind)) {
    return {
      problem: `"${raw}": kind "${kind}:" is not supported by this version yet; use ${kinds}`
    }
  }
  if (kind !== 'repo' && kind !== 'env') {
    return { problem: `"${raw}" is not a destination; each one is ${kinds}` }
  }
  const parts = target.split('/')
  const [owner, repo] = parts
  const environment = parts.slice(2).join('/')
  const repoOk = owner !== undefined && OWNER.test(owner) && repo !== undefined && REPO.test(repo)
  if (kind === 'repo' && (!repoOk || parts.length !== 2 || repo === '.' || repo === '..')) {
    return { problem: `"${raw}" must be ${KINDS.repo.syntax}` }
  }
  if (kind === 'env' && (!repoOk || !environment || environment.length > 255)) {
    return { problem: `"${raw}" must be ${KINDS.env.syntax}` }
  }
  return kind === 'repo'
    ? { kind, owner, repo, label: `repo:${owner}/${repo}` }
    : { kind, owner, repo, environment, label: `env:${owner}/${repo}/${environment}` }
}
