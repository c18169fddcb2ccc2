import type { Permission, Scope } from './hive/types.js'
import { PERMISSIONS } from './hive/types.js'
import { createPrivateKey } from 'node:crypto'
import { tmpdir } from 'node:os'
import {
  type CanaryWorkflow,
  type Destination,
  KINDS,
  parseCanaryWorkflow,
  parseDestination
} from './github/destinations.js'
import type { GitHubAuth } from './github/auth.js'
import { isLoopbackHost, KEY_PATTERN, pathProblem } from './hive/http.js'
import { defaultKeyName, KEY_NAME_MAX, NAME_MAX, SUFFIX_MAX } from './rotation/names.js'

/** Everything the action was asked to do, parsed and validated once. Nothing else reads inputs. */
export interface Settings {
  /** The current value of the key being rotated. Masked as soon as it is read. */
  hiveApiKey: string
  /** The key that creates and revokes keys: `hive-admin-key`, or the rotated key itself. */
  hiveAdminKey: string
  /** True when `hive-admin-key` was given and differs from `hive-api-key`. */
  separateAdminKey: boolean
  /** Hive API base URL without a trailing slash: https, or http to a loopback host only. */
  hiveUrl: string
  /**
   * How to authenticate to GitHub: `github-token`, or a GitHub App (`app-id`, `app-private-key`)
   * whose installation tokens are minted per owner. Secrets are masked as soon as they are read.
   */
  github: GitHubAuth
  /** `OWNER/REPO` of the workflow (GITHUB_REPOSITORY), whose secrets may shadow a destination. */
  workflowRepository?: string
  /** GitHub's REST base URL, from `GITHUB_API_URL` (GitHub Enterprise Server sets it). */
  githubApiUrl: string
  /** The secret written at every destination, upper-case as GitHub stores it. */
  secretName: string
  /** Where the new key is written, in the order given. */
  destinations: Destination[]
  /**
   * Names the new key (`<keyName> <UTC timestamp> replaces <old key id>`) and marks the keys of
   * this rotation. Default: `hive-rotate-key <repository> <secret name> <digest of the
   * destinations>` (rotation/names.ts), at most KEY_NAME_MAX characters.
   */
  keyName: string
  /** The new key's permission, or `inherit` from the current key. */
  permission: Permission | 'inherit'
  /** The new key's scope, or `inherit` from the current key. */
  scope: Scope | 'inherit'
  /** Lifetime of the new key in days, 1 to 365. */
  expiresInDays: number
  /** The authenticated read that tests a key, a path on `hiveUrl`. */
  verifyPath: string
  /** How long a new key's 401 is retried (propagation) before it counts as broken. */
  verifyTimeoutSeconds: number
  /** Revoke the old key once every destination holds the new one. */
  revokeOld: boolean
  /**
   * When above 0, the old key is not revoked: its expiry is shortened to now + this many minutes
   * (at most 1440), so Hive ends it while jobs already running finish. 0: revoke at once.
   */
  oldKeyGraceMinutes: number
  /** Revoke leftovers of earlier interrupted runs once every destination holds the new key. */
  prune: boolean
  /**
   * Rotate only when the current key expires within this many days (0 to 365); undefined: rotate
   * on every run. In mode check: fail when the key expires within it. In mode audit: the window
   * of the rule expires-soon, 7 when not given.
   */
  rotateIfExpiringWithinDays?: number
  /**
   * `rotate`; `check` (test the current key and report, change nothing; needs no github-token nor
   * admin key); `emergency` (the current key is compromised: revoke it first; needs a separate
   * hive-admin-key); `audit` (every active key against Hive's best practices, change nothing;
   * needs an admin key, no github-token).
   */
  mode: Mode
  /** Stop after the preflight and print the plan. */
  dryRun: boolean
  /**
   * Consumer workflows dispatched after the store and awaited before the retire (canary.ts); a
   * failure rolls every destination back to the old key. Empty: no canary.
   */
  canaryWorkflows: CanaryWorkflow[]
  /** How long the canary runs may take, 1 to 360 minutes. */
  canaryTimeoutMinutes: number
  /** mode audit: the rotations whose leftovers it reports, one key-name per line; else [keyName]. */
  auditKeyNames: string[]
  /** mode audit: a key created, or living (expiry less creation), longer than this many days. */
  auditMaxAgeDays: number
  /** mode audit: a key not used for this many days (never used: since its creation). */
  auditUnusedDays: number
  /** mode audit: the lowest severity of a finding that fails the step; `never` fails on none. */
  failOn: FailOn
  /** Where mode audit writes its report file: RUNNER_TEMP, or the system's temporary folder. */
  runnerTemp: string
}

export const MODES = ['rotate', 'check', 'emergency', 'audit'] as const
export type Mode = (typeof MODES)[number]

export const FAIL_ON = ['high', 'medium', 'low', 'never'] as const
export type FailOn = (typeof FAIL_ON)[number]

/** The defaults of mode audit's windows, and of rotate-if-expiring-within-days in it. */
export const AUDIT_DEFAULTS = { maxAgeDays: 90, unusedDays: 30, expiringWithinDays: 7 }
/** The longest audit window accepted: ten years. */
const AUDIT_MAX_DAYS = 3650

/** The longest old-key-grace-minutes: 24 h (a later run leaves alone a key expiring that soon). */
export const MAX_GRACE_MINUTES = 1440

/** Thrown with every problem found in the inputs; each problem names its input. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `${problems.length} input problem${problems.length === 1 ? '' : 's'}; nothing was changed:\n` +
        problems.map(p => `  - ${p}`).join('\n')
    )
    this.name = 'SettingsError'
  }
}

export interface SettingsSource {
  /** The raw input, as `core.getInput` returns it (trimmed, empty when unset). */
  getInput(name: string): string
  /** The runner's environment (GITHUB_REPOSITORY, GITHUB_API_URL). */
  env: Record<string, string | undefined>
  /** Registers a value with the runner's log masking (`core.setSecret`). */
  mask(value: string): void
}

export const DEFAULT_HIVE_URL = 'https://api.hive.darksidesecurity.io'
const DEFAULT_GITHUB_API_URL = 'https://api.github.com'

/** Read, validate and return every input. Throws one SettingsError listing all problems. */
export function getSettings(source: SettingsSource): Settings {
  const problems: string[] = []
  const input = (name: string): string => source.getInput(name).trim()

  // Secrets first: mask them before anything else can print them.
  const hiveApiKey = input('hive-api-key')
  const adminInput = input('hive-admin-key')
  const githubToken = input('github-token')
  // A PEM pasted into a one-line variable arrives with its line breaks escaped as `\n`.
  const privateKeyInput = input('app-private-key')
  const privateKey = privateKeyInput.replace(/\\n/g, '\n')
  for (const secret of [hiveApiKey, adminInput, githubToken, privateKeyInput]) {
    if (secret) source.mask(secret)
  }
  maskPem(privateKey, source.mask)

  // A credential travels in an HTTP header: visible ASCII only. Anything else would be refused
  // later, or quoted by fetch in an error message that the masks no longer match.
  const credential = 'must be one value of visible ASCII characters (value not shown)'
  if (!hiveApiKey) {
    problems.push(
      'hive-api-key is required: pass the current key, e.g. ${{ secrets.HIVE_API_KEY }}'
    )
  } else if (!KEY_PATTERN.test(hiveApiKey)) {
    problems.push(`hive-api-key ${credential}`)
  }
  if (adminInput && !KEY_PATTERN.test(adminInput)) problems.push(`hive-admin-key ${credential}`)
  if (githubToken && !KEY_PATTERN.test(githubToken)) problems.push(`github-token ${credential}`)
  const modeRaw = input('mode') || 'rotate'
  const mode = (MODES as readonly string[]).includes(modeRaw) ? (modeRaw as Mode) : 'rotate'
  if (mode !== modeRaw) {
    problems.push(`mode must be one of ${MODES.join(', ')}, got "${modeRaw}"`)
  }
  // A check and an audit read Hive and write nothing: they need no GitHub credential.
  const readsOnly = mode === 'check' || mode === 'audit'
  const github = parseGitHubAuth(githubToken, input('app-id'), privateKey, !readsOnly, problems)

  const hiveUrl = parseHiveUrl(input('hive-url') || DEFAULT_HIVE_URL, problems)
  const githubApiUrl = (source.env.GITHUB_API_URL || DEFAULT_GITHUB_API_URL).replace(/\/+$/, '')
  // The token goes there: https, as for hive-url (modes check and audit send GitHub nothing, but
  // a password in the URL is refused in every mode: the settings would carry it, and core.debug
  // log it).
  checkGitHubApiUrl(githubApiUrl, !readsOnly, problems)
  checkProxyVariables(source.env, problems)
  // GitHub Enterprise Server serves its REST API under /api/v3 (github.com and GHE.com do not).
  const enterpriseServer = /\/api\/v3$/.test(githubApiUrl)

  const secretNameRaw = input('secret-name') || 'HIVE_API_KEY'
  const secretName = secretNameRaw.toUpperCase()
  if (!/^[A-Z_][A-Z0-9_]*$/.test(secretName) || secretName.startsWith('GITHUB_')) {
    problems.push(
      `secret-name must use only letters, digits and _, must not start with a digit or GITHUB_, ` +
        `got "${secretNameRaw}"`
    )
  }

  const repository = source.env.GITHUB_REPOSITORY ?? ''
  // An audit writes nowhere: destinations only make its default key-name, and may be left out.
  const destinations = parseDestinations(
    input('destinations'),
    repository,
    problems,
    mode !== 'audit'
  )
  for (const d of destinations) {
    if (enterpriseServer && !KINDS[d.kind].onEnterpriseServer) {
      problems.push(
        `destinations: "${d.label}": GitHub Enterprise Server (GITHUB_API_URL ` +
          `${githubApiUrl.includes('@') ? 'not shown' : githubApiUrl}) ` +
          'has no Codespaces secrets; remove it, or run against github.com'
      )
    }
    if (github.kind === 'app' && !KINDS[d.kind].appsMayWrite) {
      problems.push(
        `destinations: "${d.label}": GitHub Apps cannot write organization Codespaces secrets; ` +
          'use github-token with a fine-grained or classic personal access token for it'
      )
    }
  }

  // mode audit looks for the leftovers of several rotations: one key-name per line.
  const keyNameLines =
    mode === 'audit'
      ? input('key-name')
          .split(/\r?\n/)
          .map(line => line.trim())
          .filter(line => line !== '')
      : [input('key-name')].filter(line => line !== '')
  const auditKeyNames =
    keyNameLines.length > 0
      ? [...new Set(keyNameLines)]
      : [
          defaultKeyName(
            repository || firstRepo(destinations),
            secretName,
            destinations.map(d => d.label)
          )
        ]
  const keyName = auditKeyNames[0]
  for (const name of auditKeyNames) {
    // Each key's name is the key-name plus " <run mark> <UTC timestamp> replaces <old key id>": counted
    // here, so a name Hive would refuse stops the run before anything changes, not at the create.
    if (name.length > KEY_NAME_MAX) {
      problems.push(
        `key-name must be at most ${KEY_NAME_MAX} characters (Hive names a key with at most ` +
          `${NAME_MAX}, and each key's name adds up to ${SUFFIX_MAX}: " run-<10 hex> <UTC ` +
          `timestamp> replaces <old key id>"), got ${name.length}` +
          (keyNameLines.length > 0 ? '' : ' for the default: set key-name to a shorter name')
      )
    }
    if (/[\p{C}\p{Zl}\p{Zp}]/u.test(name)) {
      problems.push(
        'key-name must hold no control, format or invisible characters (line breaks, zero-width ' +
          'spaces): it is printed, and marks the keys of this rotation' +
          (mode === 'audit' ? '' : ' (only mode audit takes several, one per line)')
      )
    }
  }

  const permissionRaw = input('permission') || 'inherit'
  let permission: Permission | 'inherit' = 'inherit'
  if (permissionRaw === 'inherit' || (PERMISSIONS as readonly string[]).includes(permissionRaw)) {
    permission = permissionRaw as Permission | 'inherit'
  } else {
    problems.push(
      `permission must be one of inherit, read-only, read-write, admin, got "${permissionRaw}"`
    )
  }

  const scope = parseScope(input('scope') || 'inherit', problems)
  const expiresInDays = wholeNumber(
    'expires-in-days',
    input('expires-in-days') || '30',
    1,
    365,
    problems
  )
  const verifyPath = input('verify-path') || '/executions-cli/executions'
  const pathRule = verifyPath.includes('?') ? 'must not contain a query' : pathProblem(verifyPath)
  if (pathRule) {
    problems.push(`verify-path must be a path on hive-url: it ${pathRule}, got "${verifyPath}"`)
  }
  const verifyTimeoutSeconds = wholeNumber(
    'verify-timeout-seconds',
    input('verify-timeout-seconds') || '60',
    0,
    600,
    problems
  )
  const revokeOld = parseBoolean('revoke-old', input('revoke-old') || 'true', problems)
  const dryRun = parseBoolean('dry-run', input('dry-run') || 'false', problems)
  const oldKeyGraceMinutes = wholeNumber(
    'old-key-grace-minutes',
    input('old-key-grace-minutes') || '0',
    0,
    MAX_GRACE_MINUTES,
    problems
  )
  const prune = parseBoolean('prune', input('prune') || 'true', problems)
  const dueRaw = input('rotate-if-expiring-within-days')
  const rotateIfExpiringWithinDays =
    dueRaw === ''
      ? mode === 'audit'
        ? AUDIT_DEFAULTS.expiringWithinDays
        : undefined
      : wholeNumber('rotate-if-expiring-within-days', dueRaw, 0, 365, problems)
  const auditMaxAgeDays = wholeNumber(
    'audit-max-age-days',
    input('audit-max-age-days') || String(AUDIT_DEFAULTS.maxAgeDays),
    1,
    AUDIT_MAX_DAYS,
    problems
  )
  const auditUnusedDays = wholeNumber(
    'audit-unused-days',
    input('audit-unused-days') || String(AUDIT_DEFAULTS.unusedDays),
    1,
    AUDIT_MAX_DAYS,
    problems
  )
  const failOnRaw = input('fail-on') || 'high'
  const failOn = (FAIL_ON as readonly string[]).includes(failOnRaw) ? (failOnRaw as FailOn) : 'high'
  if (failOn !== failOnRaw) {
    problems.push(`fail-on must be one of ${FAIL_ON.join(', ')}, got "${failOnRaw}"`)
  }

  if (mode === 'emergency') {
    if (!adminInput || adminInput === hiveApiKey) {
      problems.push(
        'mode emergency needs hive-admin-key, a separate admin key: the compromised hive-api-key ' +
          'is revoked first, and a revoked key cannot create its successor'
      )
    }
    const conflicts: [boolean, string][] = [
      [!revokeOld, 'revoke-old: false (the compromised key is always revoked)'],
      [oldKeyGraceMinutes > 0, 'old-key-grace-minutes (a compromised key gets no grace)'],
      [
        rotateIfExpiringWithinDays !== undefined,
        'rotate-if-expiring-within-days (an emergency rotation is always due)'
      ]
    ]
    for (const [given, what] of conflicts) {
      if (given) problems.push(`mode emergency cannot be combined with ${what}; leave it out`)
    }
  }

  const canaryWorkflows = parseCanaryWorkflows(input('canary-workflows'), problems)
  const canaryTimeoutMinutes = wholeNumber(
    'canary-timeout-minutes',
    input('canary-timeout-minutes') || '15',
    1,
    360,
    problems
  )
  if (canaryWorkflows.length > 0 && mode === 'emergency') {
    problems.push(
      'canary-workflows cannot be combined with mode emergency: the compromised key is revoked ' +
        'first, so there is no old key to roll back to; leave canary-workflows out'
    )
  }

  if (problems.length > 0) throw new SettingsError(problems)

  return {
    hiveApiKey,
    hiveAdminKey: adminInput || hiveApiKey,
    separateAdminKey: adminInput !== '' && adminInput !== hiveApiKey,
    hiveUrl,
    github,
    ...(repository ? { workflowRepository: repository } : {}),
    githubApiUrl,
    secretName,
    destinations,
    keyName,
    permission,
    scope,
    expiresInDays,
    verifyPath,
    verifyTimeoutSeconds,
    revokeOld,
    oldKeyGraceMinutes,
    prune,
    rotateIfExpiringWithinDays,
    mode,
    dryRun,
    canaryWorkflows,
    canaryTimeoutMinutes,
    auditKeyNames,
    auditMaxAgeDays,
    auditUnusedDays,
    failOn,
    runnerTemp: source.env.RUNNER_TEMP || tmpdir()
  }
}

/** At most this many canary workflows: each is a run to dispatch and wait for. */
export const MAX_CANARIES = 20

/** `canary-workflows`: one per line (or comma-separated), every problem at once. */
function parseCanaryWorkflows(raw: string, problems: string[]): CanaryWorkflow[] {
  const lines = raw
    .split(/[\n,]/)
    .map(l => l.trim())
    .filter(l => l !== '' && !l.startsWith('#'))
  const workflows: CanaryWorkflow[] = []
  for (const line of lines) {
    const parsed = parseCanaryWorkflow(line)
    if ('problem' in parsed) problems.push(parsed.problem)
    else if (workflows.some(w => w.label.toLowerCase() === parsed.label.toLowerCase())) {
      problems.push(`canary-workflows names ${parsed.label} twice; name each workflow once`)
    } else workflows.push(parsed)
  }
  if (workflows.length > MAX_CANARIES) {
    problems.push(
      `canary-workflows names ${workflows.length} workflows; at most ${MAX_CANARIES} are dispatched`
    )
  }
  return workflows
}

/**
 * A URL as a message may quote it: without its query or fragment (which may hold a token), and
 * not at all when it holds "@", which may end a user name or password. The text is checked, not
 * the parse: "user:pw@host" is a URL of scheme "user:" whose path holds the password, and
 * "https://user:pw@host:99999" is no URL at all.
 */
function quotedUrl(raw: string): string {
  if (raw.includes('@')) {
    return '(value not shown: it holds "@", which may end a user name or password)'
  }
  return `"${raw.replace(/[?#][\s\S]*$/, '')}"`
}

function parseUrl(raw: string): URL | undefined {
  try {
    return new URL(raw)
  } catch {
    return undefined
  }
}

/** Userinfo in a URL: a user name, a password, or both (`http://:PASSWORD@host`). */
function hasCredentials(url: URL | undefined): boolean {
  return url !== undefined && (url.username !== '' || url.password !== '')
}

function checkGitHubApiUrl(raw: string, sendsToGitHub: boolean, problems: string[]) {
  const url = parseUrl(raw)
  if (hasCredentials(url)) {
    problems.push(
      'GITHUB_API_URL (set by the runner) must not contain credentials (a user name or password ' +
        'before "@"): GitHub takes its token in the Authorization header only (value not shown)'
    )
  }
  if (!sendsToGitHub) return
  const loopbackHttp = url?.protocol === 'http:' && isLoopbackHost(url.hostname)
  if (url === undefined || !(url.protocol === 'https:' || loopbackHttp)) {
    problems.push(
      'GITHUB_API_URL (set by the runner) must be an https URL (plain http is allowed only to ' +
        `localhost or 127.0.0.1), got ${quotedUrl(raw)}`
    )
  }
}

/**
 * The proxy variables the HTTP stack (http/agent.ts) reads, lower-case first as undici does: a
 * value that is not an http(s) URL would fail every request later, and be retried, under a
 * message that does not name the variable. Its value is never shown: it may hold a password.
 */
function checkProxyVariables(env: SettingsSource['env'], problems: string[]) {
  for (const name of ['https_proxy', 'http_proxy']) {
    const used = env[name] !== undefined ? name : name.toUpperCase()
    const value = env[used]
    if (!value) continue
    let protocol: string | undefined
    try {
      protocol = new URL(value).protocol
    } catch {
      protocol = undefined
    }
    if (protocol !== 'http:' && protocol !== 'https:') {
      problems.push(
        `${used} must be a proxy URL such as http://proxy.example:3128 (value not shown: it may ` +
          'hold a password)'
      )
    }
  }
}

function parseHiveUrl(raw: string, problems: string[]): string {
  const url = parseUrl(raw)
  if (url === undefined) {
    problems.push(
      `hive-url must be an absolute URL such as ${DEFAULT_HIVE_URL}, got ${quotedUrl(raw)}`
    )
    return ''
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    problems.push(
      `hive-url must use https (plain http is allowed only to localhost or 127.0.0.1), got ` +
        quotedUrl(raw)
    )
  }
  if (hasCredentials(url)) {
    problems.push(
      'hive-url must not contain credentials (a user name or password before "@"): Hive takes ' +
        'its key in X-Api-Key only (value not shown)'
    )
  }
  if (url.search || url.hash) {
    problems.push('hive-url must not contain a query or a fragment (value not shown)')
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '')
}

function parseDestinations(
  raw: string,
  repository: string,
  problems: string[],
  required: boolean
): Destination[] {
  const items = raw
    .split(/[\n,]/)
    .map(s => s.trim())
    .filter(s => s !== '' && !s.startsWith('#'))
  if (items.length === 0) {
    if (!repository) {
      if (!required) return []
      problems.push(
        'destinations is required outside GitHub Actions (GITHUB_REPOSITORY is not set): ' +
          'list e.g. repo:OWNER/REPO'
      )
      return []
    }
    items.push(`repo:${repository}`)
  }
  const destinations: Destination[] = []
  const seen = new Set<string>()
  for (const item of items) {
    const parsed = parseDestination(item)
    if ('problem' in parsed) {
      problems.push(`destinations: ${parsed.problem}`)
      continue
    }
    const key = parsed.label.toLowerCase()
    if (seen.has(key)) {
      problems.push(`destinations lists "${parsed.label}" twice`)
      continue
    }
    seen.add(key)
    destinations.push(parsed)
  }
  return destinations
}

function firstRepo(destinations: Destination[]): string {
  const d = destinations[0]
  if (d === undefined) return 'unknown'
  return d.repo ? `${d.owner}/${d.repo}` : d.owner
}

/** Exactly one way to authenticate: `github-token`, or both `app-id` and `app-private-key`. */
function parseGitHubAuth(
  token: string,
  appId: string,
  privateKey: string,
  required: boolean,
  problems: string[]
): GitHubAuth {
  const app = appId !== '' || privateKey !== ''
  if (token && app) {
    problems.push(
      'github-token and app-id/app-private-key are alternatives: pass either a token, or a ' +
        'GitHub App’s app-id and app-private-key, not both'
    )
  } else if (!token && !app && required) {
    problems.push(
      'github-token is required (or app-id and app-private-key): a fine-grained personal access ' +
        'token or GitHub App that may write the secrets of every destination (the workflow’s own ' +
        'GITHUB_TOKEN cannot write secrets); only mode check runs without it'
    )
  }
  if (token || !app) return { kind: 'token', token }
  if (!appId) problems.push('app-id is required with app-private-key: the GitHub App’s ID')
  else if (!/^(?:\d{1,12}|Iv[A-Za-z0-9.]{4,40})$/.test(appId)) {
    problems.push(
      `app-id must be the GitHub App’s numeric ID or its client ID (Iv…), got "${appId}"`
    )
  }
  if (!privateKey) {
    problems.push('app-private-key is required with app-id: the App’s private key (PEM)')
  } else if (!isRsaPrivateKey(privateKey)) {
    problems.push(
      'app-private-key must be the GitHub App’s private key, the PEM file GitHub generated ' +
        '("-----BEGIN RSA PRIVATE KEY-----" …) (value not shown)'
    )
  }
  return { kind: 'app', appId, privateKey }
}

function isRsaPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'rsa'
  } catch {
    return false
  }
}

/** Mask a PEM as a whole and line by line: the runner matches masks within single lines. */
function maskPem(pem: string, mask: (value: string) => void) {
  if (!pem.includes('\n')) return
  mask(pem)
  for (const line of pem.split('\n').map(l => l.trim())) {
    if (line.length >= 8 && !line.startsWith('-----')) mask(line)
  }
}

/** A scope id as hive-api.md defines it: what Hive keeps, and what a key object may carry. */
const SCOPE_ID = /^[A-Za-z0-9_-]{1,64}$/

function parseScope(raw: string, problems: string[]): Scope | 'inherit' {
  if (raw === 'inherit') return 'inherit'
  if (raw === 'all') return { type: 'all' }
  const match = /^(engagements|campaigns):(.+)$/.exec(raw)
  const ids = match ? match[2].split(',').map(s => s.trim()) : []
  if (!match || ids.every(id => id === '')) {
    problems.push(
      `scope must be inherit, all, engagements:ID[,ID…] or campaigns:ID[,ID…], got "${raw}"`
    )
    return 'inherit'
  }
  // Every id outside the contract, each named: Hive would refuse it (a 422 that never says
  // `scope`), or keep it, and every later run would refuse the key list that holds it.
  const kind = match[1] === 'engagements' ? 'engagement' : 'campaign'
  const bad = ids.filter(id => !SCOPE_ID.test(id))
  for (const id of bad) {
    const others = [...new Set(id.replace(/[A-Za-z0-9_-]/g, ''))]
    const why = [
      ...(id === '' ? ['it is empty (check the commas)'] : []),
      ...(others.length > 0 ? [`it holds ${others.map(c => JSON.stringify(c)).join(', ')}`] : []),
      ...(id.length > 64 ? [`it has ${id.length} characters`] : [])
    ].join('; ')
    problems.push(
      `scope: ${kind} id "${id}" must be 1 to 64 characters, each a letter, digit, "_" or "-" ` +
        `(Hive's id format); ${why}`
    )
  }
  if (bad.length > 0) return 'inherit'
  return match[1] === 'engagements'
    ? { type: 'engagements', engagement_ids: ids }
    : { type: 'campaigns', campaign_ids: ids }
}

function wholeNumber(name: string, raw: string, min: number, max: number, problems: string[]) {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`)
    return min
  }
  return Number(raw)
}

/** The YAML 1.2 core booleans, as `core.getBooleanInput` accepts them. */
function parseBoolean(name: string, raw: string, problems: string[]): boolean {
  if (['true', 'True', 'TRUE'].includes(raw)) return true
  if (['false', 'False', 'FALSE'].includes(raw)) return false
  problems.push(`${name} must be true or false, got "${raw}"`)
  return false
}
