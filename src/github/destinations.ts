/**
 * Where a secret is written: `kind:target`, and one table of GitHub endpoints per kind.
 * Adding a kind is adding a row, not a branch.
 */

export type DestinationKind =
  'repo' | 'env' | 'org' | 'dependabot' | 'dependabot-org' | 'codespaces' | 'codespaces-org'

/** Who may see an org secret (GitHub's `visibility`). */
export type OrgVisibility = 'all' | 'private' | 'selected'

export interface Destination {
  kind: DestinationKind
  /** The repository's owner, or the organization of an org-level kind. */
  owner: string
  /** Set for repository and environment kinds; absent for org-level kinds. */
  repo?: string
  /** Set for `env:` destinations. */
  environment?: string
  /**
   * Org-level kinds only: the visibility a secret that does not exist yet is created with
   * (`?visibility=all`); default `private`. An existing secret always keeps its own.
   */
  visibility?: 'all' | 'private'
  /** As the user wrote it, normalised, without the query: `repo:octo/app`, `org:octo`. */
  label: string
}

/** The level a secret lives at; a narrower level shadows a wider one of the same name. */
export type Level = 'org' | 'repo' | 'env'
/** The product whose secrets these are; each has its own endpoints and key pairs. */
export type Service = 'actions' | 'dependabot' | 'codespaces'

export interface KindSpec {
  level: Level
  service: Service
  /** The syntax shown in errors. */
  syntax: string
  /** What the token needs to write here: fine-grained PAT / App, then classic PAT. */
  permission: { fineGrained: string; classic: string }
  /** False where GitHub Enterprise Server has no such endpoints. */
  onEnterpriseServer: boolean
  /** False where GitHub accepts no GitHub App token (org Codespaces secrets). */
  appsMayWrite: boolean
}

const SECRETS = 'repository permission "Secrets: read and write"'

export const KINDS: Record<DestinationKind, KindSpec> = {
  repo: {
    level: 'repo',
    service: 'actions',
    syntax: 'repo:OWNER/REPO',
    permission: { fineGrained: SECRETS, classic: 'repo' },
    onEnterpriseServer: true,
    appsMayWrite: true
  },
  env: {
    level: 'env',
    service: 'actions',
    syntax: 'env:OWNER/REPO/ENVIRONMENT',
    permission: {
      fineGrained:
        'repository permissions "Secrets: read and write" and "Environments: read and write"',
      classic: 'repo'
    },
    onEnterpriseServer: true,
    appsMayWrite: true
  },
  org: {
    level: 'org',
    service: 'actions',
    syntax: 'org:ORG[?visibility=private|all]',
    permission: {
      fineGrained: 'organization permission "Secrets: read and write"',
      classic: 'admin:org'
    },
    onEnterpriseServer: true,
    appsMayWrite: true
  },
  dependabot: {
    level: 'repo',
    service: 'dependabot',
    syntax: 'dependabot:OWNER/REPO',
    permission: {
      fineGrained: 'repository permission "Dependabot secrets: read and write"',
      classic: 'repo'
    },
    onEnterpriseServer: true,
    appsMayWrite: true
  },
  'dependabot-org': {
    level: 'org',
    service: 'dependabot',
    syntax: 'dependabot-org:ORG[?visibility=private|all]',
    permission: {
      fineGrained: 'organization permission "Dependabot secrets: read and write"',
      classic: 'admin:org'
    },
    onEnterpriseServer: true,
    appsMayWrite: true
  },
  codespaces: {
    level: 'repo',
    service: 'codespaces',
    syntax: 'codespaces:OWNER/REPO',
    permission: {
      fineGrained: 'repository permission "Codespaces secrets: read and write"',
      classic: 'repo'
    },
    onEnterpriseServer: false,
    appsMayWrite: true
  },
  'codespaces-org': {
    level: 'org',
    service: 'codespaces',
    syntax: 'codespaces-org:ORG[?visibility=private|all]',
    permission: {
      fineGrained:
        'organization permission "Codespaces secrets: read and write" (a fine-grained token; GitHub Apps ' +
        'cannot write org Codespaces secrets)',
      classic: 'admin:org'
    },
    onEnterpriseServer: false,
    appsMayWrite: false
  }
}

const seg = encodeURIComponent

/** The GitHub API path (below the base URL) of the destination's secrets collection. */
export function secretsPath(d: Destination): string {
  const { level, service } = KINDS[d.kind]
  if (level === 'org') return `/orgs/${seg(d.owner)}/${service}/secrets`
  const repo = `/repos/${seg(d.owner)}/${seg(d.repo ?? '')}`
  return level === 'env'
    ? `${repo}/environments/${seg(d.environment ?? '')}/secrets`
    : `${repo}/${service}/secrets`
}

const SERVICE_NAME: Record<Service, string> = {
  actions: '',
  dependabot: 'Dependabot ',
  codespaces: 'Codespaces '
}

/** Where a person finds the secret, in words: `Dependabot secrets of organization octo`. */
export function describe(d: Destination): string {
  const { level, service } = KINDS[d.kind]
  if (level === 'env') return `environment "${d.environment}" of ${d.owner}/${d.repo}`
  const whose = level === 'org' ? `organization ${d.owner}` : `repository ${d.owner}/${d.repo}`
  return service === 'actions' ? whose : `${SERVICE_NAME[service]}secrets of ${whose}`
}

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/
const REPO = /^[A-Za-z0-9._-]{1,100}$/

/** Parse one `kind:target[?visibility=…]`. Returns the destination, or a problem sentence. */
export function parseDestination(raw: string): Destination | { problem: string } {
  const colon = raw.indexOf(':')
  const kindText = colon > 0 ? raw.slice(0, colon).trim().toLowerCase() : ''
  const rest = colon > 0 ? raw.slice(colon + 1).trim() : ''
  if (!Object.hasOwn(KINDS, kindText)) {
    const kinds = Object.values(KINDS)
      .map(k => k.syntax)
      .join(', ')
    return { problem: `"${raw}" is not a destination; each one is ${kinds}` }
  }
  const kind = kindText as DestinationKind
  const spec = KINDS[kind]
  const [target, query] = splitOnce(rest, '?')
  const wrong = { problem: `"${raw}" must be ${spec.syntax}` }

  let visibility: Destination['visibility']
  if (query !== undefined) {
    if (spec.level !== 'org') {
      return {
        problem: `"${raw}": only org-level destinations take ?visibility=; use ${spec.syntax}`
      }
    }
    const [name, value] = splitOnce(query, '=')
    if (name !== 'visibility' || (value !== 'private' && value !== 'all')) {
      return {
        problem:
          `"${raw}": the only option is ?visibility=private or ?visibility=all (the visibility a ` +
          'new secret is created with; an existing secret keeps its own, "selected" included)'
      }
    }
    visibility = value
  }

  if (spec.level === 'org') {
    if (!OWNER.test(target)) return wrong
    return {
      kind,
      owner: target,
      ...(visibility ? { visibility } : {}),
      label: `${kind}:${target}`
    }
  }
  const parts = target.split('/')
  const [owner, repo] = parts
  const environment = parts.slice(2).join('/')
  const repoOk =
    owner !== undefined &&
    OWNER.test(owner) &&
    repo !== undefined &&
    REPO.test(repo) &&
    repo !== '.' &&
    repo !== '..'
  if (spec.level === 'env') {
    // Owner and repository names hold no "/": everything after the second one is the environment.
    if (!repoOk || !environment || environment.length > 255) return wrong
    const why = environmentProblem(environment)
    if (why) return { problem: `"${raw}": the environment name ${why}` }
    return { kind, owner, repo, environment, label: `${kind}:${owner}/${repo}/${environment}` }
  }
  if (!repoOk || parts.length !== 2) return wrong
  return { kind, owner, repo, label: `${kind}:${owner}/${repo}` }
}

/**
 * Why an environment name is refused, or undefined. A "/" between two parts is fine: GitHub's
 * API takes the name as one path segment, percent-encoded (`production/eu` is sent as
 * `production%2Feu`; see secretsPath). An empty part (a "/" at the start or end, "//") is not: a
 * typo, refused here rather than met as GitHub's 404. Nor is a dot segment: "." or ".." as the
 * name would be resolved away by the URL (the request would reach another endpoint), and as a
 * part between "/"s by anything on the way that decodes %2F first.
 */
export function environmentProblem(name: string): string | undefined {
  if (name.split('/').some(part => part === '')) {
    return (
      'must not start or end with "/" nor hold "//" (an empty part: most likely a typo; GitHub ' +
      `shows the names of a repository's environments under Settings, Environments), got "${name}"`
    )
  }
  if (name.split('/').some(part => part === '.' || part === '..')) {
    return (
      'must not be "." or ".." nor have "." or ".." as a part between "/"s (a URL path ' +
      `resolves such a segment away: the request would reach another endpoint), got "${name}"`
    )
  }
  if (/[\p{C}\p{Zl}\p{Zp}]/u.test(name)) {
    return 'must hold no control, format or invisible characters'
  }
  return undefined
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator)
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

/** A consumer workflow dispatched as a canary: `OWNER/REPO/WORKFLOW_FILE[@REF]`. */
export interface CanaryWorkflow {
  owner: string
  repo: string
  /** The workflow file's name, e.g. `hive-smoke.yml` (in .github/workflows/). */
  file: string
  /** The ref to run it on; undefined: the repository's default branch. */
  ref?: string
  /** As given, normalised: `owner/repo/file[@ref]`. */
  label: string
}

const WORKFLOW_FILE = /^[A-Za-z0-9._-]{1,100}\.ya?ml$/
/** A git ref name, conservatively: no spaces, no `..`, no control characters, at most 200. */
const REF = /^(?!.*\.\.)(?!\/)(?!.*\/$)[A-Za-z0-9._/-]{1,200}$/

/** Parse one `OWNER/REPO/WORKFLOW_FILE[@REF]`. Returns the workflow, or a problem sentence. */
export function parseCanaryWorkflow(raw: string): CanaryWorkflow | { problem: string } {
  const wrong = {
    problem:
      `canary-workflows: "${raw}" is not OWNER/REPO/WORKFLOW_FILE[@REF] (for example ` +
      'octo/app/hive-smoke.yml@main): the workflow file is the name of a .yml or .yaml file in ' +
      'the repository’s .github/workflows'
  }
  const at = raw.indexOf('@')
  const path = at === -1 ? raw : raw.slice(0, at)
  const ref = at === -1 ? undefined : raw.slice(at + 1)
  const parts = path.split('/')
  if (parts.length !== 3) return wrong
  const [owner, repo, file] = parts
  if (!OWNER.test(owner) || !REPO.test(repo) || repo === '.' || repo === '..') return wrong
  if (!WORKFLOW_FILE.test(file)) return wrong
  if (ref !== undefined && !REF.test(ref)) {
    return {
      problem:
        `canary-workflows: "${raw}" names the ref "${ref}", which is not a branch or tag name ` +
        '(letters, digits, ".", "_", "-" and "/", at most 200)'
    }
  }
  return {
    owner,
    repo,
    file,
    ...(ref !== undefined ? { ref } : {}),
    label: `${owner}/${repo}/${file}${ref !== undefined ? `@${ref}` : ''}`
  }
}
