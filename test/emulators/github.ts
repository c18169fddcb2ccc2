/**
 * A stateful emulator of GitHub's REST endpoints for Actions secrets, on 127.0.0.1.
 *
 * It exists so that tests and the demo can run the real, bundled action against something that
 * behaves like GitHub where it matters for security:
 *
 * - every repository and every environment has its OWN libsodium key pair (crypto_box_keypair) and
 *   key id, as on GitHub; sealing an environment secret with the repository key is refused here
 *   (GitHub itself would silently store a value nobody can open, cli/cli#3831);
 * - a PUT is validated against GitHub's own REST description (`@octokit/openapi`), then by hand
 *   (name rules, current key id, strict standard base64), and then the sealed box is actually
 *   OPENED with the destination's private key: a box that does not open is refused and nothing is
 *   stored. A pattern check on `encrypted_value` would prove nothing;
 * - tokens, refusals (403 with `X-Accepted-GitHub-Permissions`, or 404) and error bodies follow
 *   GitHub's shapes (`{"message", "documentation_url", "status"}`, `status` a string);
 * - faults (any status, headers, body, delay, or a reset connection) can be injected per call;
 *   which call a fault answers is counted as in the Hive emulator (`faults.ts`), and the server
 *   listens and closes as that one does (`loopback.ts`).
 *
 * Secret values never leave the emulator except through `secretValue()`: the request log redacts
 * `encrypted_value`, and error messages never echo a submitted value (a buggy client might send
 * the plaintext itself as `encrypted_value`).
 *
 * Destinations are organised around a per-kind table (`KINDS`): each kind names its path
 * template, the permission GitHub asks for, and how a path or a `SecretTarget` maps to a
 * destination: Actions secrets of repositories, environments and orgs, and Dependabot and
 * Codespaces secrets of repositories and orgs, each with its own key pair. Org secrets keep a
 * visibility and selected repositories (listed 100 a page with Link headers), and org PUTs are
 * held to GitHub's stricter rule (visibility required, integer ids of the org's repositories).
 *
 * Also: GitHub Apps (`addApp`, `installApp`): app JWTs are verified (RS256 signature with the
 * app's public key, `iss`, `iat`, `exp`, at most 10 minutes) and installation tokens minted that
 * see one account only; a secondary rate-limit mode (`secondaryRateLimit`: 403 with retry-after,
 * then success); and `basePath` to serve below `/api/v3` as GitHub Enterprise Server does.
 *
 * Workflows, dispatches and runs (`addWorkflow`, `runs`; `github-workflows.ts`): a dispatched
 * consumer run reads the secret its job would see and checks it with Hive over real HTTP
 * (`hiveUrl`), so the action's canary can be tested for real. Dispatch and cancel need the token's
 * `actions: write`, reading runs `actions: read` (`TokenOptions.actions`); `ghesVersion` below 3.21
 * refuses `return_run_details` as GitHub Enterprise Server does.
 *
 * `onAnswered` is called once per request, as soon as it took effect, for a property test to
 * check its invariants after every request.
 *
 * Hostile modes, for the tests of what the action refuses (each is off unless asked for):
 * `hostilePages` (a list's `Link: rel="next"` to another origin, to itself, or to ever new pages),
 * a fault's `stream` (a huge or endless body, streamed, never allocated), `dropWrites` (a PUT
 * answered 201/204 that stores nothing), and `freezeUpdatedAt` (a secret's metadata whose
 * `updated_at` does not move). A day-long rate limit is `secondaryRateLimit` or a fault.
 */
import { putSecretValidators } from './github-schemas.js'
import { createPublicKey, randomBytes, randomInt, verify, type KeyObject } from 'node:crypto'
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import sodium from 'libsodium-wrappers'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { checkFaultWindow, FaultList, type Fault } from './faults.js'
import { LoopbackServer, type LoopbackTls } from './loopback.js'
import {
  Workflows,
  type DispatchRecord,
  type SecretSource,
  type Workflow,
  type WorkflowOptions,
  type WorkflowReply,
  type WorkflowRunRecord
} from './github-workflows.js'

export type {
  DispatchRecord,
  JobStep,
  RunConclusion,
  RunStatus,
  SecretSource,
  Workflow,
  WorkflowBehaviour,
  WorkflowOptions,
  WorkflowRunRecord,
  WorkflowState
} from './github-workflows.js'

// libsodium-wrappers must finish loading its WebAssembly before any call; doing it here once
// lets `openSealedBox` and the emulator's methods be synchronous.
await sodium.ready

// ---------------------------------------------------------------------------------------------
// Public API types
// ---------------------------------------------------------------------------------------------

/** Whose secrets: GitHub Actions (the default), Dependabot or Codespaces. */
export type Service = 'actions' | 'dependabot' | 'codespaces'

/**
 * Where a secret lives: an org when `repo` is absent, a repository, or (with `environment`) an
 * environment of one; `service` picks Actions (default), Dependabot or Codespaces secrets.
 */
export interface SecretTarget {
  owner: string
  repo?: string
  environment?: string
  service?: Service
}

export type Visibility = 'all' | 'private' | 'selected'

/** An org secret's access: who may read it. */
export interface OrgSecretAccess {
  visibility: Visibility
  /** Repository ids, only with `selected`. */
  selectedRepositoryIds?: number[]
}

/** The target a destination label of the action names: `dependabot-org:acme` and so on. */
export function targetOf(label: string): SecretTarget {
  const [kind, rest = ''] = label.split(/:(.*)/s)
  const spec = KINDS.find(k => k.name === kind)
  if (spec === undefined) throw new Error(`not a destination label: ${label}`)
  const [owner, repo, ...env] = rest.split('/')
  const service = spec.service === 'actions' ? {} : { service: spec.service }
  if (spec.level === 'org') return { owner, ...service }
  if (spec.level === 'env') return { owner, repo, environment: env.join('/') }
  return { owner, repo, ...service }
}

/** An injected failure. Faults are checked before anything else, authentication included. */
export interface GitHubFault extends Fault {
  /**
   * Path to match, without the query string. A string must equal the raw path (as sent, e.g.
   * with `%2F`) or its decoded form; a RegExp is tested against the raw path.
   */
  path: string | RegExp
  /** Response body; default a GitHub-style JSON error body for `status`. */
  body?: string
  /** Content type of `body`; default `application/json; charset=utf-8`. */
  contentType?: string
  /** Destroy the connection without answering (after `delayMs`); `status` is then ignored. */
  reset?: boolean
  /**
   * Instead of `body`: stream this many bytes of JSON-looking filler (`'endless'`: until the
   * client goes away or the emulator stops), in 64 KiB chunks, as fast as the client reads.
   */
  stream?: number | 'endless'
  /**
   * Carry the request out first (a write lands), then answer with the fault instead: a gateway
   * that loses the answer of a request that did its work.
   */
  afterEffect?: boolean
}

/** Where a hostile list's `Link: rel="next"` points. */
export type HostileLink =
  /** Another origin (e.g. a second loopback server that records what reaches it). */
  | { url: string }
  /** The very URL just requested: a loop. */
  | 'self'
  /** Always one page further, on this origin: a list that never ends. */
  | 'endless'

export interface HostilePages {
  /** List paths to affect (without the query); a string must equal the path as sent. */
  path: string | RegExp
  link: HostileLink
}

/** One request as the emulator saw it. Never holds a token value or a secret value. */
export interface GitHubRequestRecord {
  method: string
  /** Raw path as sent (percent-encoding kept), without the query string. */
  path: string
  /** The query string without `?`, when there was one. */
  query?: string
  /**
   * Status answered, set when the request took effect (before any latency or fault delay); 0
   * until then, or when the connection was reset.
   */
  status: number
  /** The label of the token presented (see `addToken`), `(unknown)`, or absent when none. */
  token?: string
  /** Parsed JSON body with `encrypted_value` redacted; a note when the body is not JSON. */
  body?: unknown
  /** For a streamed answer: the bytes written before the client went away (or it ended). */
  bytesSent?: number
}

export interface GitHubEmulatorOptions {
  /** Added to every response. */
  latencyMs?: number
  /**
   * Serve the API below this path, as GitHub Enterprise Server does (`/api/v3`); requests
   * outside it answer 404.
   */
  basePath?: string
  /**
   * The emulator's clock: secrets' created_at/updated_at and every answer's Date header. Tests
   * that move time inject one; default the real clock.
   */
  now?: () => Date
  /** Serve https with this key and certificate (the proxy e2e test's own CA). Default http. */
  tls?: LoopbackTls
  /**
   * Play GitHub Enterprise Server of this version (e.g. `'3.20'`): below 3.21 a dispatch whose body
   * holds `return_run_details` answers 400 "not a permitted key". Default: github.com.
   */
  ghesVersion?: string
  /** Where consumer runs call Hive (see `addWorkflow`); also settable later as a field. */
  hiveUrl?: string
  /**
   * Take any unknown token that starts with `ghs_` (the prefix of installation tokens, the
   * workflow's own GITHUB_TOKEN among them) as a workflow's GITHUB_TOKEN: it is registered on
   * first use with `actionsToken: true`, so every secrets endpoint answers it 403 "Resource not
   * accessible by integration", as GitHub does. Other unknown tokens still answer 401 "Bad
   * credentials", and so does a revoked one. For `npm run local-action` with a user's own inputs.
   */
  workflowTokens?: boolean
}

/** Secondary rate limiting: the next `times` matching requests answer 403 with `retry-after`. */
export interface SecondaryRateLimit {
  times: number
  retryAfterSeconds: number
  /** Which requests are limited; default writes (GitHub limits content creation most). */
  on?: 'write' | 'any'
}

export interface TokenOptions {
  /**
   * Behave like the workflow's GITHUB_TOKEN: no permission covers secrets, so every secrets
   * endpoint answers 403 "Resource not accessible by integration".
   */
  actionsToken?: boolean
  /** Name recorded in `requests` instead of the value; default `token-N` / `actions-token-N`. */
  label?: string
  /** Only these owners' destinations are visible (404 elsewhere), as for an installation token. */
  owners?: string[]
  /**
   * The token's Actions permission: `write` (default) dispatches and cancels runs, `read` only
   * reads workflows, runs and jobs, `none` not even that (403 with
   * `X-Accepted-GitHub-Permissions: actions=…`).
   */
  actions?: 'read' | 'write' | 'none'
}

export interface RefuseOptions {
  /** 403: the token lacks the permission; 404: the token may not even see the destination. */
  status: 403 | 404
  /** Which operations are refused: reads (public key, secret metadata), writes (PUT), or both. */
  on?: 'read' | 'write' | 'both'
}

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

const API_VERSION = '2022-11-28'
const DOCS = 'https://docs.github.com/rest'
const SECRETS_DOCS = 'https://docs.github.com/rest/actions/secrets'
/** Bodies above this are refused with 413; a 48 KB secret sealed and base64-encoded is ~64 KB. */
const MAX_BODY_BYTES = 1024 * 1024
/** crypto_box_seal adds an ephemeral public key (32 bytes) and a MAC (16 bytes). */
const SEAL_OVERHEAD = 48
const KEY_BYTES = 32

/** GitHub's rules: `[A-Za-z0-9_]`, not starting with a digit; `GITHUB_` is checked separately. */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Standard base64 (`+/`) with mandatory padding; canonical form is checked after decoding. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

// ---------------------------------------------------------------------------------------------
// Crypto helpers
// ---------------------------------------------------------------------------------------------

/**
 * Decode standard base64 with padding, strictly: the URL-safe alphabet (`-`, `_`), missing
 * padding, whitespace and non-canonical trailing bits are all refused (null). Node's decoder
 * alone accepts every one of those, and libsodium's is lenient about some.
 */
export function decodeStrictBase64(text: string): Uint8Array | null {
  if (!STRICT_BASE64.test(text)) return null
  const bytes = Buffer.from(text, 'base64')
  // Round-trip: rejects encodings whose unused trailing bits are not zero.
  if (bytes.toString('base64') !== text) return null
  return new Uint8Array(bytes)
}

function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64')
}

/**
 * Open a libsodium sealed box (crypto_box_seal_open). All three arguments are standard base64
 * with padding. Returns the plaintext bytes, or null when the box does not open: wrong key,
 * tampered, truncated, or not strict standard base64. Malformed KEYS are a caller's mistake and
 * throw instead.
 */
export function openSealedBox(
  sealedBase64: string,
  publicKeyBase64: string,
  secretKeyBase64: string
): Uint8Array | null {
  const publicKey = decodeStrictBase64(publicKeyBase64)
  const secretKey = decodeStrictBase64(secretKeyBase64)
  if (publicKey?.length !== KEY_BYTES) throw new Error('public key is not 32 bytes of base64')
  if (secretKey?.length !== KEY_BYTES) throw new Error('secret key is not 32 bytes of base64')
  const sealed = decodeStrictBase64(sealedBase64)
  if (sealed === null) return null
  return openBox(sealed, { publicKey, secretKey })
}

interface BoxKeys {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** crypto_box_seal_open, with failure as null (libsodium-wrappers throws). */
function openBox(sealed: Uint8Array, keys: BoxKeys): Uint8Array | null {
  if (sealed.length < SEAL_OVERHEAD) return null
  try {
    return sodium.crypto_box_seal_open(sealed, keys.publicKey, keys.secretKey)
  } catch {
    return null
  }
}

/** A destination's key pair as GitHub would hold it: `key_id` is a numeric string. */
interface KeyPair extends BoxKeys {
  keyId: string
}

function newKeyPair(): KeyPair {
  // From a seed of node's CSPRNG: libsodium's own random source asks the JS side for four bytes
  // at a time, which under jest costs about 0.5 ms a pair, and a test world makes hundreds.
  const pair = sodium.crypto_box_seed_keypair(randomBytes(32))
  // GitHub's key ids look like '568250167242549743': 18 digits, the first non-zero.
  const keyId =
    String(randomInt(1, 10)) + String(randomBytes(8).readBigUInt64BE()).padStart(20, '0').slice(-17)
  return {
    keyId,
    publicKey: pair.publicKey,
    secretKey: pair.privateKey
  }
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

interface StoredSecret {
  /** The sealed box exactly as received (or as sealed by `setSecretPlain`). */
  sealed: Uint8Array
  /** `freezeUpdatedAt`: the updated_at the metadata keeps answering, whatever is written. */
  frozenUpdatedAt?: string
  /** The key pair it was sealed for (kept across `rotateKey`, as GitHub re-encrypts at rest). */
  keys: KeyPair
  createdAt: string
  updatedAt: string
  /** Org secrets only. */
  access?: OrgSecretAccess
}

/** Anything that holds secrets under one key pair: an org, a repository, an environment. */
interface Destination {
  kind: KindName
  /** The org or repository owner. */
  owner: string
  /** Human-readable, for error messages of the emulator's own API. */
  label: string
  keys: KeyPair
  /** By upper-case name. */
  secrets: Map<string, StoredSecret>
  /** Successful PUTs. */
  writes: number
  refusal?: Required<RefuseOptions>
}

interface Repo {
  id: number
  owner: string
  name: string
  environments?: string[]
}

const SERVICES: readonly Service[] = ['actions', 'dependabot', 'codespaces']

interface Token {
  label: string
  actionsToken: boolean
  /** Lower-case owners whose destinations this token sees; undefined: all. */
  owners?: Set<string>
  actions: 'read' | 'write' | 'none'
}

/** A GitHub App: its public key verifies the JWTs it signs. */
interface App {
  id: string
  publicKey: KeyObject
  /** Lower-case account -> installation id. */
  installations: Map<string, number>
}

/** What a route handler answers; `send` turns it into a response. */
interface Reply {
  status: number
  /** JSON-serialised unless `raw`. */
  body?: unknown
  raw?: string
  contentType?: string
  headers?: Record<string, string>
  delayMs?: number
  reset?: boolean
  stream?: number | 'endless'
  afterEffect?: boolean
}

function githubError(status: number, message: string, docs = DOCS, headers = {}): Reply {
  return {
    status,
    body: { message, documentation_url: docs, status: String(status) },
    headers
  }
}

/** GitHub's validation failures: `Invalid request.` then the problems, one per paragraph. */
function invalid(problems: string[], docs: string): Reply {
  return githubError(422, ['Invalid request.', ...problems].join('\n\n'), docs)
}

// ---------------------------------------------------------------------------------------------
// The per-kind table
// ---------------------------------------------------------------------------------------------

type KindName =
  'repo' | 'env' | 'org' | 'dependabot' | 'dependabot-org' | 'codespaces' | 'codespaces-org'
type Level = 'org' | 'repo' | 'env'
type Access = 'read' | 'write'
type Params = Record<string, string>

interface SecretKind {
  name: KindName
  level: Level
  service: Service
  /** The secrets collection as templated in GitHub's REST description. */
  collection: string
  /** `X-Accepted-GitHub-Permissions` when a token lacks the permission for `access`. */
  permissions(access: Access): string
  /** Documentation anchors used in error bodies. */
  docs: { publicKey: string; get: string; put: string }
  /** The destination map key for the path parameters of `collection`. */
  keyFromParams(params: Params): string
  /** The destination map key for a target of this kind. */
  keyFromTarget(target: SecretTarget): string
  /** Does this kind hold `target`? */
  holds(target: SecretTarget): boolean
}

// GitHub treats owner, repository and environment names case-insensitively.
const repoKey = (owner: string, repo: string): string => `${owner}/${repo}`.toLowerCase()
const placeKey = (kind: KindName, owner: string, repo = '', env = ''): string =>
  `${kind}:${owner}/${repo}|${env}`.toLowerCase()

const DOCS_OF: Record<Service, string> = {
  actions: SECRETS_DOCS,
  dependabot: 'https://docs.github.com/rest/dependabot/secrets',
  codespaces: 'https://docs.github.com/rest/codespaces'
}

/** One row per kind: where its secrets are, and what a token needs to read and write them. */
function kind(
  name: KindName,
  level: Level,
  service: Service,
  permission: string,
  collection: string
): SecretKind {
  const docs = DOCS_OF[service]
  const what = level === 'env' ? 'environment' : level === 'org' ? 'organization' : 'repository'
  return {
    name,
    level,
    service,
    collection,
    permissions: access =>
      // Assumed: environment secrets need both permissions (a set, so comma-separated; `;`
      // would mean alternatives).
      level === 'env' ? `secrets=${access},environments=${access}` : `${permission}=${access}`,
    docs: {
      publicKey: `${docs}#get-an-${what}-public-key`.replace('-an-repository', '-a-repository'),
      get: `${docs}#get-an-${what}-secret`.replace('-an-repository', '-a-repository'),
      put: `${docs}#create-or-update-an-${what}-secret`.replace('-an-repository', '-a-repository')
    },
    keyFromParams: p => placeKey(name, p.org ?? p.owner, p.repo, p.environment_name),
    keyFromTarget: t => placeKey(name, t.owner, t.repo, t.environment),
    holds: t =>
      (t.service ?? 'actions') === service &&
      (level === 'org'
        ? t.repo === undefined
        : level === 'env'
          ? t.environment !== undefined
          : t.repo !== undefined && t.environment === undefined)
  }
}

const KINDS: readonly SecretKind[] = [
  kind('repo', 'repo', 'actions', 'secrets', '/repos/{owner}/{repo}/actions/secrets'),
  kind(
    'env',
    'env',
    'actions',
    'secrets',
    '/repos/{owner}/{repo}/environments/{environment_name}/secrets'
  ),
  kind('org', 'org', 'actions', 'organization_secrets', '/orgs/{org}/actions/secrets'),
  kind(
    'dependabot',
    'repo',
    'dependabot',
    'dependabot_secrets',
    '/repos/{owner}/{repo}/dependabot/secrets'
  ),
  kind(
    'dependabot-org',
    'org',
    'dependabot',
    'organization_dependabot_secrets',
    '/orgs/{org}/dependabot/secrets'
  ),
  kind(
    'codespaces',
    'repo',
    'codespaces',
    'codespaces_secrets',
    '/repos/{owner}/{repo}/codespaces/secrets'
  ),
  kind(
    'codespaces-org',
    'org',
    'codespaces',
    'organization_codespaces_secrets',
    '/orgs/{org}/codespaces/secrets'
  )
]

function kindOf(target: SecretTarget): SecretKind {
  const found = KINDS.find(k => k.holds(target))
  if (found === undefined) throw new Error(`no secret kind holds ${JSON.stringify(target)}`)
  return found
}

// ---------------------------------------------------------------------------------------------
// Request-body validators from GitHub's REST description
// ---------------------------------------------------------------------------------------------

interface Validators {
  get(kind: SecretKind): ValidateFunction
}

let validatorsPromise: Promise<Validators> | undefined

/**
 * The JSON schema of each kind's PUT request body as GitHub's REST description
 * (`@octokit/openapi`, dereferenced) states it, compiled once per machine (github-schemas.ts).
 * Read when the emulator starts; kinds.e2e rotates into all seven.
 */
function loadValidators(): Promise<Validators> {
  validatorsPromise ??= (async () => {
    const validators = putSecretValidators()
    for (const kind of KINDS) {
      if (validators[putPath(kind)] === undefined) {
        throw new Error(`no PUT request schema for ${putPath(kind)} in GitHub's REST description`)
      }
    }
    return { get: kind => validators[putPath(kind)] }
  })()
  return validatorsPromise
}

const putPath = (kind: SecretKind) => `${kind.collection}/{secret_name}`

/** Describe schema errors without ever quoting the submitted values. */
function describeSchemaErrors(errors: ErrorObject[]): string[] {
  return errors.map(e => {
    if (e.keyword === 'required') {
      return `"${(e.params as { missingProperty: string }).missingProperty}" wasn't supplied.`
    }
    const where = e.instancePath === '' ? 'the body' : `property ${e.instancePath}`
    if (e.keyword === 'pattern') return `Invalid ${where}: does not match ${e.params.pattern}.`
    return `Invalid ${where}: ${e.message ?? e.keyword}.`
  })
}

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

/** Match a raw path against a `{param}` template; parameters are percent-decoded per segment. */
function matchTemplate(template: string, rawPath: string): Params | null {
  const want = template.split('/')
  const got = rawPath.split('/')
  if (want.length !== got.length) return null
  const params: Params = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i]
    const g = got[i]
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g === '') return null
      try {
        params[w.slice(1, -1)] = decodeURIComponent(g)
      } catch {
        return null // malformed percent-encoding
      }
    } else if (w !== g) {
      return null
    }
  }
  return params
}

interface RequestContext {
  token: Token
  params: Params
  body: string
  query: URLSearchParams
  /** The path as requested, below `basePath`. */
  path: string
}

interface AppContext {
  app: App
  params: Params
}

/** A route for a token (PAT or installation token) or, with `app`, for an app's JWT. */
type Route =
  | {
      method: string
      template: string
      app?: false
      handle(ctx: RequestContext): Promise<Reply> | Reply
    }
  | { method: string; template: string; app: true; handle(ctx: AppContext): Reply }

// ---------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------

export class GitHubEmulator {
  /** Every request, in order of arrival. */
  requests: GitHubRequestRecord[] = []
  /**
   * Called synchronously once per request with its record, right after the request took effect
   * (state changed, `status` known: 0 for a reset) and before any latency, fault delay or
   * response write; faulted requests included. A property test checks its invariants here after
   * every request. What it throws is logged and ignored. `bytesSent` of a streamed answer comes
   * later.
   */
  onAnswered?: (record: GitHubRequestRecord) => void

  private readonly latencyMs: number
  private readonly basePath: string
  private readonly now: () => Date
  private readonly server = new LoopbackServer()
  private readonly tls?: LoopbackTls
  private readonly workflowTokens: boolean

  /** The client-side port of every connection the emulator accepted (see LoopbackServer). */
  get peerPorts(): readonly number[] {
    return this.server.peerPorts
  }
  /** Aborts pending delays on `stop()`. */
  private abort = new AbortController()

  private readonly tokens = new Map<string, Token>()
  /** Installation tokens revoked with `DELETE /installation/token`. */
  private readonly revoked = new Set<string>()
  private readonly repos = new Map<string, Repo>()
  private readonly orgs = new Set<string>()
  private readonly apps = new Map<string, App>()
  private readonly destinations = new Map<string, Destination>()
  private secondaryLimit?: Required<SecondaryRateLimit>
  private hostile: HostilePages[] = []
  private dropped = { times: 0 }
  private nextInstallationId = 40_000_001
  private readonly faults = new FaultList<GitHubFault>({ matchDecodedPath: true })
  private nextRepoId = 1_000_001
  private tokenCount = 0
  private readonly routes: Route[]
  private readonly workflows: Workflows

  /** Where consumer runs call Hive, unless their workflow says otherwise; read at each job start. */
  hiveUrl?: string
  /**
   * How a consumer run names the key it read (its `usedKeyId`) from the value, e.g.
   * `v => hive.keys().find(k => k.value === v)?.id`. Without it, a run knows the id only when
   * Hive's `GET /api-keys/current` answered it.
   */
  keyIdOf?: (value: string) => string | undefined

  constructor(options: GitHubEmulatorOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0
    this.now = options.now ?? (() => new Date())
    this.basePath = (options.basePath ?? '').replace(/\/+$/, '')
    this.tls = options.tls
    this.workflowTokens = options.workflowTokens ?? false
    this.hiveUrl = options.hiveUrl
    this.workflows = new Workflows({
      now: () => this.now(),
      apiUrl: () => this.url,
      ghesVersion: options.ghesVersion,
      hiveUrl: () => this.hiveUrl,
      keyIdOf: value => this.keyIdOf?.(value),
      secretSeenBy: (repo, environment, name) => this.secretSeenBy(repo, environment, name)
    })
    this.routes = this.buildRoutes()
  }

  // ----- lifecycle -----

  /**
   * Listen on 127.0.0.1 on `port` (default 0: a random one); resolves to the base URL, usable as
   * GITHUB_API_URL. scripts/emulators.ts gives a fixed port, to match .env.example.
   */
  async start(port = 0): Promise<string> {
    if (this.server.url !== undefined) throw new Error('the GitHub emulator is already started')
    await loadValidators() // the first PUT should not pay for parsing GitHub's description
    this.abort = new AbortController()
    return this.server.listen(
      (req, res) => {
        this.handle(req, res).catch(() => {
          // Only reachable when the socket is already gone (e.g. stop() during a delay).
          res.destroy()
        })
      },
      port,
      this.tls
    )
  }

  /** Close the server and every connection, keep-alive ones and delayed answers included. */
  async stop(): Promise<void> {
    this.abort.abort()
    this.workflows.stop()
    await this.server.close()
  }

  /** The API's base URL (below `basePath`), usable as GITHUB_API_URL. */
  get url(): string {
    const url = this.server.url
    if (url === undefined) throw new Error('the GitHub emulator is not started')
    return `${url}${this.basePath}`
  }

  // ----- world set-up -----

  /** A token that may write every secret, or (actionsToken) one that may write none. */
  addToken(token: string, opts: TokenOptions = {}): void {
    if (token === '') throw new Error('a token cannot be empty')
    const actionsToken = opts.actionsToken ?? false
    this.tokenCount++
    const label =
      opts.label ?? `${actionsToken ? 'actions-token' : 'token'}-${String(this.tokenCount)}`
    const owners = opts.owners && new Set(opts.owners.map(o => o.toLowerCase()))
    this.tokens.set(token, {
      label,
      actionsToken,
      actions: opts.actions ?? 'write',
      ...(owners ? { owners } : {})
    })
  }

  /** An organization, with its own key pair for each of Actions, Dependabot, Codespaces secrets. */
  addOrg(name: string): void {
    if (!/^[A-Za-z0-9-]+$/.test(name)) throw new Error(`not an org name: ${name}`)
    if (this.orgs.has(name.toLowerCase())) throw new Error(`org ${name} already exists`)
    this.orgs.add(name.toLowerCase())
    for (const service of SERVICES) this.addDestination({ owner: name, service }, name)
  }

  /**
   * A repository ('owner/repo') with its own key pair for each of Actions, Dependabot and
   * Codespaces secrets.
   */
  addRepo(fullName: string): { id: number } {
    const [owner, name, ...rest] = fullName.split('/')
    if (!owner || !name || rest.length > 0) throw new Error(`not an owner/repo: ${fullName}`)
    const key = repoKey(owner, name)
    if (this.repos.has(key)) throw new Error(`repository ${fullName} already exists`)
    const repo: Repo = { id: this.nextRepoId++, owner, name }
    this.repos.set(key, repo)
    for (const service of SERVICES) this.addDestination({ owner, repo: name, service }, fullName)
    return { id: repo.id }
  }

  /** A GitHub App whose JWTs verify with this public key (PEM, RS256) and name it as `iss`. */
  addApp(id: string, publicKeyPem: string): void {
    this.apps.set(id, { id, publicKey: createPublicKey(publicKeyPem), installations: new Map() })
  }

  /** Install an app on an account (org or user): its tokens then see that account only. */
  installApp(appId: string, account: string): number {
    const app = this.apps.get(appId)
    if (app === undefined) throw new Error(`no app ${appId}`)
    const id = this.nextInstallationId++
    app.installations.set(account.toLowerCase(), id)
    return id
  }

  /** The next `times` matching requests answer 403 "secondary rate limit" with `retry-after`. */
  secondaryRateLimit(limit: SecondaryRateLimit): void {
    this.secondaryLimit = { on: 'write', ...limit }
  }

  /** An environment of an existing repository, with its OWN key pair. */
  addEnvironment(fullName: string, environment: string): void {
    const [owner, name] = fullName.split('/')
    if (!this.repos.has(repoKey(owner ?? '', name ?? ''))) {
      throw new Error(`add repository ${fullName} before its environments`)
    }
    if (environment === '') throw new Error('an environment name cannot be empty')
    this.addDestination({ owner, repo: name, environment }, `${fullName} (${environment})`)
    this.environmentsOf(owner, name).push(environment)
  }

  /** The environments of a repository, in order of creation. */
  private environmentsOf(owner: string, repo: string): string[] {
    const r = this.repos.get(repoKey(owner, repo))
    if (r === undefined) throw new Error(`no repository ${owner}/${repo}`)
    r.environments ??= []
    return r.environments
  }

  /** Make a destination refuse reads, writes or both, as GitHub does for a token lacking rights. */
  refuse(target: SecretTarget, opts: RefuseOptions): void {
    this.destination(target).refusal = { status: opts.status, on: opts.on ?? 'write' }
  }

  /** Replace a destination's key pair, as GitHub may; stored secrets stay readable. */
  rotateKey(target: SecretTarget): { key_id: string; key: string } {
    this.destination(target).keys = newKeyPair()
    return this.publicKey(target)
  }

  // ----- workflows and runs -----

  /**
   * A workflow of an existing repository ('owner/repo'), under `.github/workflows/<file>` on the
   * default branch `main`. Returns the live record (as `workflow()` does).
   */
  addWorkflow(repo: string, file: string, opts: WorkflowOptions = {}): Workflow {
    this.repoNamed(repo)
    return this.workflows.add(repo, file, opts)
  }

  /**
   * The live, mutable record of a workflow: a change to `behaviour`, `state`, `dispatch`,
   * `inputs`, `runName` or `runDelayMs` holds from the next dispatch on; to `environment`,
   * `secretName` or `hiveUrl` from the next job start on.
   */
  workflow(repo: string, file: string): Workflow {
    return this.workflows.get(repo, file)
  }

  /** A branch a dispatch may name as its `ref` (besides `main`, the default branch). */
  addBranch(repo: string, branch: string): void {
    this.repoNamed(repo)
    this.workflows.addBranch(repo, branch)
  }

  /** Copies of the runs (of one repository, or all), oldest first. Never a secret value. */
  runs(repo?: string): WorkflowRunRecord[] {
    return this.workflows.runs(repo)
  }

  /** Every dispatch received (of one repository, or all), refused ones included, in order. */
  dispatches(repo?: string): DispatchRecord[] {
    return this.workflows.dispatches(repo)
  }

  private repoNamed(fullName: string): Repo {
    const [owner = '', name = ''] = fullName.split('/')
    const repo = this.repos.get(repoKey(owner, name))
    if (repo === undefined) throw new Error(`no repository ${fullName}`)
    return repo
  }

  /**
   * The Actions secret a job of `repo` sees under `name`: the environment's own when the job names
   * an environment that holds it, else the repository's, else an org secret visible to the
   * repository (`all`; `private`, as every repository here is private; `selected` naming it).
   */
  private secretSeenBy(
    fullName: string,
    environment: string | undefined,
    name: string
  ): { value: string; from: Exclude<SecretSource, 'none'> } | undefined {
    const repo = this.repoNamed(fullName)
    const at = (target: SecretTarget) => {
      const dest = this.destinations.get(kindOf(target).keyFromTarget(target))
      return dest?.secrets.has(name.toUpperCase()) ? this.secretValue(target, name) : undefined
    }
    const target = { owner: repo.owner, repo: repo.name }
    const env = environment === undefined ? undefined : at({ ...target, environment })
    if (env !== undefined) return { value: env, from: 'environment' }
    const own = at(target)
    if (own !== undefined) return { value: own, from: 'repository' }
    const org = this.destinations.get(
      kindOf({ owner: repo.owner }).keyFromTarget({ owner: repo.owner })
    )
    const access = org?.secrets.get(name.toUpperCase())?.access
    const visible =
      access !== undefined &&
      (access.visibility !== 'selected' || (access.selectedRepositoryIds ?? []).includes(repo.id))
    const value = visible ? at({ owner: repo.owner }) : undefined
    return value === undefined ? undefined : { value, from: 'organization' }
  }

  // ----- inspection -----

  /** The destination's current public key, as its public-key endpoint answers. */
  publicKey(target: SecretTarget): { key_id: string; key: string } {
    const { keys } = this.destination(target)
    return { key_id: keys.keyId, key: encodeBase64(keys.publicKey) }
  }

  /** Open a stored secret with the destination's private key; undefined when there is none. */
  secretValue(target: SecretTarget, name: string): string | undefined {
    const secret = this.destination(target).secrets.get(name.toUpperCase())
    if (secret === undefined) return undefined
    let value = this.opened.get(secret)
    if (value === undefined) {
      const plain = openBox(secret.sealed, secret.keys)
      // Unreachable: only boxes that opened are ever stored.
      if (plain === null) throw new Error(`stored secret ${name} does not open`)
      value = new TextDecoder('utf-8', { fatal: true }).decode(plain)
      this.opened.set(secret, value)
    }
    return value
  }

  /** What each stored secret opened to: tests read secrets often, and a write stores a new one. */
  private readonly opened = new WeakMap<object, string>()

  /**
   * Seed a secret, sealed with the destination's current key as a client would. An org secret
   * takes its access (default `private`).
   */
  setSecretPlain(
    target: SecretTarget,
    name: string,
    value: string,
    access?: OrgSecretAccess,
    opts: { updatedAt?: Date } = {}
  ): void {
    if (!SECRET_NAME.test(name)) throw new Error(`invalid secret name: ${name}`)
    const dest = this.destination(target)
    const isOrg = kindOf(target).level === 'org'
    if (access !== undefined && !isOrg) throw new Error('only org secrets have a visibility')
    const sealed = sodium.crypto_box_seal(new TextEncoder().encode(value), dest.keys.publicKey)
    this.store(
      dest,
      name.toUpperCase(),
      sealed,
      isOrg ? (access ?? { visibility: 'private' }) : undefined,
      // A seeded secret was written before the test began, as a real one would have been.
      opts.updatedAt ?? new Date(this.now().getTime() - 3_600_000)
    )
  }

  /** Delete a secret, as a person would in GitHub's settings; true when there was one. */
  deleteSecret(target: SecretTarget, name: string): boolean {
    return this.destination(target).secrets.delete(name.toUpperCase())
  }

  /** The secret's metadata as its GET endpoint answers it; undefined when there is none. */
  secretMetadata(
    target: SecretTarget,
    name: string
  ): { created_at: string; updated_at: string } | undefined {
    const secret = this.destination(target).secrets.get(name.toUpperCase())
    if (secret === undefined) return undefined
    return {
      created_at: secret.createdAt,
      updated_at: secret.frozenUpdatedAt ?? secret.updatedAt
    }
  }

  // ----- hostile modes -----

  /** Lists whose path matches answer with a hostile `Link: rel="next"` (see `HostileLink`). */
  hostilePages(mode: HostilePages): void {
    this.hostile.push(mode)
  }

  /**
   * The next `times` secret PUTs that pass every check are answered as GitHub would (201 or
   * 204) but store nothing: a write that does not show.
   */
  dropWrites(times = Infinity): void {
    this.dropped.times = times
  }

  /** From now on the secret's metadata answers its current updated_at, whatever is written. */
  freezeUpdatedAt(target: SecretTarget, name: string): void {
    const secret = this.destination(target).secrets.get(name.toUpperCase())
    if (secret === undefined) throw new Error(`no secret ${name} to freeze`)
    secret.frozenUpdatedAt = secret.updatedAt
  }

  /** An org secret's visibility and selected repositories; undefined when there is no secret. */
  orgSecretAccess(target: SecretTarget, name: string): OrgSecretAccess | undefined {
    const access = this.destination(target).secrets.get(name.toUpperCase())?.access
    return access && structuredClone(access)
  }

  /** The installation tokens revoked with `DELETE /installation/token`, in no order. */
  revokedInstallationTokens(): string[] {
    return [...this.revoked]
  }

  /** The installation tokens minted so far, for leak checks. */
  installationTokens(): string[] {
    return [...this.tokens].filter(([, t]) => t.label.startsWith('installation ')).map(([v]) => v)
  }

  /** Successful PUTs, for one destination or in all. */
  secretWrites(target?: SecretTarget): number {
    if (target !== undefined) return this.destination(target).writes
    let total = 0
    for (const dest of this.destinations.values()) total += dest.writes
    return total
  }

  // ----- faults -----

  addFault(fault: GitHubFault): void {
    checkFaultWindow(fault)
    this.faults.add(fault)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  // ----- internals: state -----

  private addDestination(target: SecretTarget, label: string): void {
    const kind = kindOf(target)
    const key = kind.keyFromTarget(target)
    if (this.destinations.has(key)) throw new Error(`${label} already exists`)
    this.destinations.set(key, {
      kind: kind.name,
      owner: target.owner,
      label,
      keys: newKeyPair(),
      secrets: new Map(),
      writes: 0
    })
  }

  private destination(target: SecretTarget): Destination {
    const dest = this.destinations.get(kindOf(target).keyFromTarget(target))
    if (dest === undefined) throw new Error(`no such destination: ${JSON.stringify(target)}`)
    return dest
  }

  /** Store a sealed box (known to open); true when the secret was created. */
  private store(
    dest: Destination,
    name: string,
    sealed: Uint8Array,
    access?: OrgSecretAccess,
    at = this.now()
  ): boolean {
    const now = at.toISOString().replace(/\.\d{3}Z$/, 'Z') // GitHub omits milliseconds
    const existing = dest.secrets.get(name)
    dest.secrets.set(name, {
      sealed,
      keys: dest.keys,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      ...(existing?.frozenUpdatedAt ? { frozenUpdatedAt: existing.frozenUpdatedAt } : {}),
      ...(access ? { access } : {})
    })
    return existing === undefined
  }

  // ----- internals: HTTP -----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/'
    const queryAt = rawUrl.indexOf('?')
    const fullPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt)
    const path = fullPath.startsWith(`${this.basePath}/`)
      ? fullPath.slice(this.basePath.length)
      : `(outside ${this.basePath})${fullPath}`
    const method = (req.method ?? 'GET').toUpperCase()
    const tokenValue = bearer(req.headers.authorization)
    if (
      this.workflowTokens &&
      tokenValue?.startsWith('ghs_') &&
      !this.tokens.has(tokenValue) &&
      !this.revoked.has(tokenValue)
    ) {
      this.addToken(tokenValue, { actionsToken: true, label: 'workflow GITHUB_TOKEN (ghs_…)' })
    }
    // A revoked installation token is unknown to GitHub from then on: 401, as any bad token.
    const token =
      tokenValue === undefined || this.revoked.has(tokenValue)
        ? undefined
        : this.tokens.get(tokenValue)
    const jwt = token === undefined && tokenValue?.split('.').length === 3 ? tokenValue : undefined

    const record: GitHubRequestRecord = { method, path, status: 0 }
    if (queryAt >= 0) record.query = rawUrl.slice(queryAt + 1)
    if (tokenValue !== undefined) record.token = token?.label ?? (jwt ? '(app JWT)' : '(unknown)')
    this.requests.push(record)

    // Always drain the body, even for requests answered without looking at it.
    const body = await readBody(req)
    if (body !== null && body !== '') record.body = redactBody(body)

    const fault = this.fault(method, path)
    if (fault?.afterEffect && body !== null)
      await this.answer(req, method, path, { token, jwt }, body)
    const reply =
      fault ??
      this.rateLimited(method) ??
      (body === null
        ? githubError(413, 'Payload too large')
        : await this.answer(req, method, path, { token, jwt }, body))
    if (!reply.reset) record.status = reply.status
    this.answered(record)

    const delay = this.latencyMs + (reply.delayMs ?? 0)
    if (delay > 0) await sleep(delay, undefined, { signal: this.abort.signal })
    if (reply.reset) {
      req.socket.destroy()
      return
    }
    if (reply.stream !== undefined) {
      record.bytesSent = await this.streamBody(res, reply)
      return
    }
    send(res, reply, this.now())
  }

  /** Tells `onAnswered` that a request took effect; what it throws never breaks the emulator. */
  private answered(record: GitHubRequestRecord): void {
    try {
      this.onAnswered?.(record)
    } catch (err) {
      console.error('github emulator: onAnswered threw (ignored)', err)
    }
  }

  /** The first fault whose window covers this call, after counting the call for every fault. */
  private fault(method: string, path: string): Reply | undefined {
    const f = this.faults.take(method, path)
    if (f === undefined) return undefined
    const reply: Reply =
      f.body === undefined
        ? githubError(f.status, http.STATUS_CODES[f.status] ?? 'Error')
        : { status: f.status, raw: f.body, contentType: f.contentType }
    reply.headers = { ...reply.headers, ...f.headers }
    reply.delayMs = f.delayMs
    reply.reset = f.reset
    reply.stream = f.stream
    reply.afterEffect = f.afterEffect
    return reply
  }

  /**
   * Answer with a body of `reply.stream` bytes (or endless), chunk after chunk as the client
   * reads them; stops when the client goes away or the emulator stops. Returns the bytes written.
   */
  private async streamBody(res: http.ServerResponse, reply: Reply): Promise<number> {
    const total = reply.stream === 'endless' ? Infinity : (reply.stream ?? 0)
    const headers: Record<string, string> = {
      'Content-Type': 'application/json; charset=utf-8',
      ...reply.headers
    }
    if (total !== Infinity) headers['Content-Length'] = String(total)
    res.writeHead(reply.status, headers)
    const chunk = Buffer.alloc(64 * 1024, ' ')
    chunk.write('{"filler": "')
    let sent = 0
    const signal = this.abort.signal
    while (sent < total && !res.destroyed && !signal.aborted) {
      const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent)
      sent += piece.length
      if (!res.write(piece)) {
        await new Promise<void>(resolve => {
          const done = () => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.on('drain', done)
          res.on('close', done)
        })
      }
    }
    if (!res.destroyed) res.end()
    return sent
  }

  /** A secondary rate limit, while `secondaryRateLimit()` has answers left. */
  private rateLimited(method: string): Reply | undefined {
    const limit = this.secondaryLimit
    if (limit === undefined || limit.times <= 0) return undefined
    if (limit.on === 'write' && (method === 'GET' || method === 'HEAD')) return undefined
    limit.times--
    return githubError(
      403,
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
      { 'retry-after': String(limit.retryAfterSeconds) }
    )
  }

  /** Everything after faults: API version, authentication, routing. */
  private async answer(
    req: http.IncomingMessage,
    method: string,
    path: string,
    auth: { token?: Token; jwt?: string },
    body: string
  ): Promise<Reply> {
    const { token, jwt } = auth
    const version = req.headers['x-github-api-version']
    if (version !== undefined && version !== API_VERSION) {
      return githubError(
        400,
        `Invalid API version: ${String(version)}. Supported: ${API_VERSION}.`,
        `${DOCS}/about-the-rest-api/api-versions`
      )
    }
    let app: App | Reply | undefined
    if (jwt !== undefined) app = this.verifyJwt(jwt)
    else if (token === undefined) return githubError(401, 'Bad credentials')
    if (app !== undefined && !('id' in app)) return app
    const query = new URLSearchParams(req.url?.split('?')[1] ?? '')
    for (const route of this.routes) {
      if (route.method !== method) continue
      const params = matchTemplate(route.template, path)
      if (params === null) continue
      if (route.app) {
        if (app === undefined) {
          return githubError(401, 'A JSON web token could not be decoded', `${DOCS}/apps`)
        }
        return route.handle({ app, params })
      }
      if (token === undefined) {
        // An app's JWT only reaches the app's own endpoints.
        return githubError(403, 'Resource not accessible by integration', DOCS)
      }
      return route.handle({ token, params, body, query, path })
    }
    return githubError(404, 'Not Found')
  }

  /**
   * Check an app's JWT as GitHub does: RS256, signed by the key of the app named in `iss`, issued
   * no later than now (60 s of clock drift allowed), expiring in the future, and living at most
   * 10 minutes. Returns the app, or the 401 GitHub answers.
   */
  private verifyJwt(jwt: string): App | Reply {
    const refuse = (message: string) => githubError(401, message, `${DOCS}/apps`)
    const [header, payload, signature] = jwt.split('.')
    let head: { alg?: unknown }
    let claims: { iss?: unknown; iat?: unknown; exp?: unknown }
    try {
      head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as typeof head
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims
    } catch {
      return refuse('A JSON web token could not be decoded')
    }
    if (head.alg !== 'RS256') return refuse('A JSON web token could not be decoded')
    const app = this.apps.get(String(claims.iss))
    if (app === undefined) return refuse('Integration not found')
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      app.publicKey,
      Buffer.from(signature, 'base64url')
    )
    if (!signed) return refuse('A JSON web token could not be decoded')
    const now = Math.floor(Date.now() / 1000)
    if (typeof claims.iat !== 'number' || claims.iat > now + 60) {
      return refuse(
        "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued."
      )
    }
    if (typeof claims.exp !== 'number' || claims.exp <= now || claims.exp - claims.iat > 660) {
      return refuse("'Expiration time' claim ('exp') is too far in the future")
    }
    return app
  }

  /** An installation token for the account: it sees that account's destinations only. */
  private mintInstallationToken(app: App, installationId: number): Reply {
    const account = [...app.installations].find(([, id]) => id === installationId)?.[0]
    if (account === undefined) return githubError(404, 'Not Found', `${DOCS}/apps/apps`)
    const token = `ghs_${randomBytes(18).toString('base64url')}`
    this.addToken(token, {
      label: `installation ${installationId} (${account})`,
      owners: [account]
    })
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: { secrets: 'write', organization_secrets: 'write' },
        repository_selection: 'all'
      }
    }
  }

  /** `GET …/installation`: the app's installation on the account, or 404. */
  private installation(app: App, account: string, exists: boolean): Reply {
    const id = exists ? app.installations.get(account.toLowerCase()) : undefined
    if (id === undefined) return githubError(404, 'Not Found', `${DOCS}/apps/apps`)
    return {
      status: 200,
      body: { id, app_id: Number(app.id) || app.id, account: { login: account } }
    }
  }

  /** One page of a list, with GitHub's Link header; `page` and `per_page` (max 100, default 30). */
  private page(ctx: RequestContext, key: string, items: unknown[]): Reply {
    const perPage = Math.min(Math.max(Number(ctx.query.get('per_page')) || 30, 1), 100)
    const pageNo = Math.max(Number(ctx.query.get('page')) || 1, 1)
    const last = Math.max(Math.ceil(items.length / perPage), 1)
    const link = (n: number, rel: string) =>
      `<${this.url}${ctx.path}?per_page=${perPage}&page=${n}>; rel="${rel}"`
    const links = []
    if (pageNo < last) links.push(link(pageNo + 1, 'next'), link(last, 'last'))
    if (pageNo > 1) links.push(link(pageNo - 1, 'prev'), link(1, 'first'))
    const hostile = this.hostile.find(h =>
      typeof h.path === 'string' ? h.path === ctx.path : h.path.test(ctx.path)
    )?.link
    if (hostile !== undefined) {
      const query = ctx.query.toString()
      const next =
        hostile === 'self'
          ? `${this.url}${ctx.path}${query ? `?${query}` : ''}`
          : hostile === 'endless'
            ? `${this.url}${ctx.path}?per_page=${perPage}&page=${pageNo + 1}`
            : hostile.url
      links.splice(0, links.length, `<${next}>; rel="next"`)
    }
    return {
      status: 200,
      body: {
        total_count: items.length,
        [key]: items.slice((pageNo - 1) * perPage, pageNo * perPage)
      },
      headers: links.length ? { Link: links.join(', ') } : {}
    }
  }

  private buildRoutes(): Route[] {
    const routes: Route[] = [
      {
        method: 'GET',
        template: '/repos/{owner}/{repo}',
        handle: ({ params }) => {
          const repo = this.repos.get(repoKey(params.owner, params.repo))
          if (repo === undefined) return githubError(404, 'Not Found', `${DOCS}/repos/repos`)
          return {
            status: 200,
            body: {
              id: repo.id,
              name: repo.name,
              full_name: `${repo.owner}/${repo.name}`,
              owner: { login: repo.owner },
              private: true,
              default_branch: 'main'
            }
          }
        }
      },
      {
        method: 'GET',
        template: '/repos/{owner}/{repo}/environments',
        handle: ctx => {
          const repo = this.repos.get(repoKey(ctx.params.owner, ctx.params.repo))
          if (repo === undefined || !this.sees(ctx.token, repo.owner)) {
            return githubError(404, 'Not Found', `${DOCS}/deployments/environments`)
          }
          const environments = (repo.environments ?? []).map(name => ({ name }))
          return this.page(ctx, 'environments', environments)
        }
      },
      {
        method: 'GET',
        template: '/repos/{owner}/{repo}/installation',
        app: true,
        handle: ({ app, params }) =>
          this.installation(app, params.owner, this.repos.has(repoKey(params.owner, params.repo)))
      },
      {
        method: 'GET',
        template: '/orgs/{org}/installation',
        app: true,
        handle: ({ app, params }) =>
          this.installation(app, params.org, this.orgs.has(params.org.toLowerCase()))
      },
      {
        method: 'GET',
        template: '/users/{username}/installation',
        app: true,
        handle: ({ app, params }) => this.installation(app, params.username, true)
      },
      {
        // Revokes the installation token that calls (GitHub answers 204); other tokens may not.
        method: 'DELETE',
        template: '/installation/token',
        handle: ({ token }) => {
          const value = [...this.tokens].find(([, t]) => t === token)?.[0]
          if (value === undefined || !token.label.startsWith('installation ')) {
            return githubError(403, 'Resource not accessible by personal access token', DOCS)
          }
          this.revoked.add(value)
          return { status: 204 }
        }
      },
      {
        method: 'POST',
        template: '/app/installations/{installation_id}/access_tokens',
        app: true,
        handle: ({ app, params }) => this.mintInstallationToken(app, Number(params.installation_id))
      },
      ...this.workflowRoutes()
    ]
    for (const kind of KINDS) {
      // `public-key` first: it would otherwise be taken for a secret name.
      routes.push(
        {
          method: 'GET',
          template: kind.collection,
          handle: ctx =>
            this.withDestination(kind, ctx, 'read', kind.docs.get, dest => {
              // Names and dates only, 100 a page, as GitHub lists them.
              const secrets = [...dest.secrets].map(([name, secret]) => ({
                name,
                created_at: secret.createdAt,
                updated_at: secret.frozenUpdatedAt ?? secret.updatedAt,
                ...(secret.access ? { visibility: secret.access.visibility } : {})
              }))
              return this.page(ctx, 'secrets', secrets)
            })
        },
        {
          method: 'GET',
          template: `${kind.collection}/public-key`,
          handle: ctx =>
            this.withDestination(kind, ctx, 'read', kind.docs.publicKey, dest => ({
              status: 200,
              body: { key_id: dest.keys.keyId, key: encodeBase64(dest.keys.publicKey) }
            }))
        },
        {
          method: 'GET',
          template: `${kind.collection}/{secret_name}`,
          handle: ctx =>
            this.withDestination(kind, ctx, 'read', kind.docs.get, dest => {
              const name = ctx.params.secret_name.toUpperCase()
              const secret = dest.secrets.get(name)
              if (secret === undefined) return githubError(404, 'Not Found', kind.docs.get)
              // Metadata only: GitHub never returns a secret's value.
              const body: Record<string, unknown> = {
                name,
                created_at: secret.createdAt,
                updated_at: secret.frozenUpdatedAt ?? secret.updatedAt
              }
              if (secret.access) {
                body.visibility = secret.access.visibility
                if (secret.access.visibility === 'selected') {
                  body.selected_repositories_url = `${this.url}${ctx.path}/repositories`
                }
              }
              return { status: 200, body }
            })
        },
        {
          method: 'GET',
          template: `${kind.collection}/{secret_name}/repositories`,
          handle: ctx =>
            this.withDestination(kind, ctx, 'read', kind.docs.get, dest => {
              const access = dest.secrets.get(ctx.params.secret_name.toUpperCase())?.access
              if (access === undefined) return githubError(404, 'Not Found', kind.docs.get)
              const repositories = (access.selectedRepositoryIds ?? []).map(id => {
                const repo = [...this.repos.values()].find(r => r.id === id)
                return { id, name: repo?.name, full_name: repo && `${repo.owner}/${repo.name}` }
              })
              return this.page(ctx, 'repositories', repositories)
            })
        },
        {
          method: 'PUT',
          template: `${kind.collection}/{secret_name}`,
          handle: ctx =>
            this.withDestination(kind, ctx, 'write', kind.docs.put, dest =>
              this.putSecret(kind, dest, ctx)
            )
        }
      )
    }
    return routes
  }

  /** Workflows, dispatches, runs and jobs (`github-workflows.ts` answers them). */
  private workflowRoutes(): Route[] {
    const base = '/repos/{owner}/{repo}/actions'
    const flows = this.workflows
    return [
      {
        method: 'GET',
        template: `${base}/workflows/{workflow_id}`,
        handle: ctx =>
          this.withActions(ctx, 'read', repo => flows.getWorkflow(repo, ctx.params.workflow_id))
      },
      {
        method: 'POST',
        template: `${base}/workflows/{workflow_id}/dispatches`,
        handle: ctx =>
          this.withActions(ctx, 'write', repo =>
            flows.dispatch(repo, ctx.params.workflow_id, ctx.body)
          )
      },
      {
        method: 'GET',
        template: `${base}/runs`,
        handle: ctx =>
          this.withActions(ctx, 'read', repo => {
            const listed = flows.listRuns(repo, ctx.query)
            return 'items' in listed ? this.page(ctx, 'workflow_runs', listed.items) : listed
          })
      },
      {
        method: 'GET',
        template: `${base}/runs/{run_id}`,
        handle: ctx => this.withActions(ctx, 'read', repo => flows.getRun(repo, ctx.params.run_id))
      },
      {
        // `filter=latest` (the default) and `all` are the same here: every run has one attempt.
        method: 'GET',
        template: `${base}/runs/{run_id}/jobs`,
        handle: ctx =>
          this.withActions(ctx, 'read', repo => {
            const listed = flows.jobs(repo, ctx.params.run_id)
            return 'items' in listed ? this.page(ctx, 'jobs', listed.items) : listed
          })
      },
      {
        method: 'POST',
        template: `${base}/runs/{run_id}/cancel`,
        handle: ctx => this.withActions(ctx, 'write', repo => flows.cancel(repo, ctx.params.run_id))
      }
    ]
  }

  /**
   * Authorise an Actions endpoint: an unknown or unseen repository 404, then a token without the
   * `actions` permission `need` 403 naming it in `X-Accepted-GitHub-Permissions`.
   */
  private withActions(
    ctx: RequestContext,
    need: 'read' | 'write',
    then: (repo: string) => WorkflowReply | Reply
  ): Reply {
    const repo = this.repos.get(repoKey(ctx.params.owner, ctx.params.repo))
    if (repo === undefined || !this.sees(ctx.token, repo.owner)) {
      return githubError(404, 'Not Found', `${DOCS}/actions`)
    }
    const has = ctx.token.actions
    if (has === 'none' || (need === 'write' && has !== 'write')) {
      return githubError(
        403,
        ctx.token.actionsToken
          ? 'Resource not accessible by integration'
          : 'Resource not accessible by personal access token',
        `${DOCS}/actions`,
        { 'X-Accepted-GitHub-Permissions': `actions=${need}` }
      )
    }
    return then(`${repo.owner}/${repo.name}`)
  }

  /**
   * Resolve the destination of a secrets endpoint and apply authorisation, in GitHub's order:
   * unknown destination 404, workflow token 403, refused destination 403/404.
   */
  private withDestination(
    kind: SecretKind,
    ctx: RequestContext,
    access: Access,
    docs: string,
    then: (dest: Destination) => Reply | Promise<Reply>
  ): Reply | Promise<Reply> {
    const dest = this.destinations.get(kind.keyFromParams(ctx.params))
    if (dest === undefined || !this.sees(ctx.token, dest.owner)) {
      return githubError(404, 'Not Found', docs)
    }
    const permissionHeader = { 'X-Accepted-GitHub-Permissions': kind.permissions(access) }
    if (ctx.token.actionsToken) {
      return githubError(403, 'Resource not accessible by integration', docs, permissionHeader)
    }
    const refusal = dest.refusal
    if (refusal !== undefined && (refusal.on === 'both' || refusal.on === access)) {
      if (refusal.status === 404) return githubError(404, 'Not Found', docs)
      return githubError(
        403,
        'Resource not accessible by personal access token',
        docs,
        permissionHeader
      )
    }
    return then(dest)
  }

  /** An installation token sees its own account only; other tokens see everything. */
  private sees(token: Token, owner: string): boolean {
    return token.owners === undefined || token.owners.has(owner.toLowerCase())
  }

  /**
   * GitHub's stricter rule for org PUTs (the published description is looser): `visibility`
   * required, `selected_repository_ids` integers of this org's repositories and only with
   * `selected`. `selected` without ids clears the list (a third-party report; unverified).
   */
  private orgAccessOf(
    dest: Destination,
    payload: Record<string, unknown>,
    docs: string
  ): OrgSecretAccess | Reply {
    const { visibility, selected_repository_ids: ids } = payload
    if (visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') {
      return invalid([`"visibility" wasn't supplied.`], docs)
    }
    if (ids === undefined) {
      return visibility === 'selected' ? { visibility, selectedRepositoryIds: [] } : { visibility }
    }
    if (visibility !== 'selected') {
      return invalid(['selected_repository_ids may only be given with visibility selected.'], docs)
    }
    if (!Array.isArray(ids) || !ids.every(id => Number.isInteger(id))) {
      return invalid(['selected_repository_ids must be an array of integers.'], docs)
    }
    const ours = new Set(
      [...this.repos.values()]
        .filter(r => r.owner.toLowerCase() === dest.owner.toLowerCase())
        .map(r => r.id)
    )
    if (!ids.every(id => ours.has(id as number))) {
      return invalid([`selected_repository_ids names a repository outside ${dest.owner}.`], docs)
    }
    return { visibility, selectedRepositoryIds: ids as number[] }
  }

  /**
   * Create or update a secret. Nothing is stored unless every check passes and the sealed box
   * OPENS with this destination's current private key.
   */
  private async putSecret(
    kind: SecretKind,
    dest: Destination,
    ctx: RequestContext
  ): Promise<Reply> {
    const docs = kind.docs.put
    let payload: unknown
    try {
      payload = JSON.parse(ctx.body)
    } catch {
      return githubError(400, 'Problems parsing JSON', docs)
    }

    // 1. GitHub's published schema for this PUT.
    const validate = (await loadValidators()).get(kind)
    if (!validate(payload)) return invalid(describeSchemaErrors(validate.errors ?? []), docs)

    // 2. The same essentials by hand, so they hold whatever the published schema says.
    const { encrypted_value: encrypted, key_id: keyId } = payload as Record<string, unknown>
    if (typeof encrypted !== 'string') return invalid([`"encrypted_value" wasn't supplied.`], docs)
    if (typeof keyId !== 'string') return invalid([`"key_id" wasn't supplied.`], docs)

    // 3. Name rules (GitHub stores names upper-case).
    const rawName = ctx.params.secret_name
    if (!SECRET_NAME.test(rawName)) {
      return invalid(
        [
          'Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or ' +
            'underscores (_), and must not start with a number.'
        ],
        docs
      )
    }
    if (rawName.toUpperCase().startsWith('GITHUB_')) {
      return invalid(['Secret names must not start with the GITHUB_ prefix.'], docs)
    }

    // 4. The key the value was sealed for must be this destination's current key.
    if (keyId !== dest.keys.keyId) {
      return invalid(['key_id does not match the current public key of this destination.'], docs)
    }

    // 5. Strict standard base64 with padding (the published pattern also admits the absence of
    //    padding in some cases, and would not stop non-canonical encodings).
    const sealed = decodeStrictBase64(encrypted)
    if (sealed === null) {
      return invalid(['encrypted_value is not standard base64 with padding.'], docs)
    }

    // 6. It must open. This is what catches a value sealed for another key (e.g. the repository
    //    key used for an environment secret), a tampered box, or plaintext posing as a box.
    if (openBox(sealed, dest.keys) === null) {
      return githubError(422, 'Bad request - the encrypted value could not be decrypted.', docs)
    }

    let access: OrgSecretAccess | undefined
    if (kind.level === 'org') {
      const checked = this.orgAccessOf(dest, payload as Record<string, unknown>, docs)
      if ('status' in checked) return checked
      access = checked
    }

    if (this.dropped.times > 0) {
      // Hostile: the answer GitHub would give, and nothing stored.
      this.dropped.times--
      return { status: dest.secrets.has(rawName.toUpperCase()) ? 204 : 201 }
    }
    const created = this.store(dest, rawName.toUpperCase(), sealed, access)
    dest.writes++
    return { status: created ? 201 : 204 }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------

/** The token of `Authorization: token X` or `Bearer X`; undefined when absent or malformed. */
function bearer(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

/** Read the whole body as UTF-8; null when it exceeds MAX_BODY_BYTES (the rest is drained). */
async function readBody(req: http.IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size <= MAX_BODY_BYTES) chunks.push(chunk)
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')
}

/** What the request log keeps of a body: JSON with `encrypted_value` replaced by its length. */
function redactBody(body: string): unknown {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return `(not JSON, ${String(Buffer.byteLength(body))} bytes)`
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const copy = { ...(parsed as Record<string, unknown>) }
    if ('encrypted_value' in copy) {
      const value = copy.encrypted_value
      copy.encrypted_value =
        typeof value === 'string' ? `(redacted, ${String(value.length)} chars)` : '(redacted)'
    }
    return copy
  }
  return parsed
}

function send(res: http.ServerResponse, reply: Reply, now: Date): void {
  const headers: Record<string, string> = {
    Date: now.toUTCString(),
    'X-GitHub-Api-Version-Selected': API_VERSION,
    'X-GitHub-Request-Id': randomBytes(8).toString('hex').toUpperCase()
  }
  // 1xx, 204 and 304 answers carry no body.
  const bodyless = reply.status < 200 || reply.status === 204 || reply.status === 304
  let text: string | undefined
  if (!bodyless) {
    if (reply.raw !== undefined) {
      text = reply.raw
      headers['Content-Type'] = reply.contentType ?? 'application/json; charset=utf-8'
    } else if (reply.body !== undefined) {
      text = JSON.stringify(reply.body)
      headers['Content-Type'] = 'application/json; charset=utf-8'
    }
  }
  Object.assign(headers, reply.headers)
  if (text !== undefined) headers['Content-Length'] = String(Buffer.byteLength(text))
  res.writeHead(reply.status, headers)
  res.end(text)
}
