/**
 * What GitHub's answers must look like before anything is done with them. GitHub's text is
 * outside text: a field that breaks its format is a protocol error for that destination (nothing
 * was written because of it), and the message names the field, never the value.
 */
import type { OrgVisibility } from './destinations.js'

/** An answer of GitHub's that breaks its documented format. */
export class GitHubProtocolError extends Error {
  override readonly name = 'GitHubProtocolError'
}

/** GitHub's key ids are digit strings ('568250167242549743'); this admits a little more. */
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/
/** Standard base64 with padding; canonical form is checked after decoding. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
/** GitHub's timestamps: `2024-01-10T14:59:22Z`, fractions and offsets tolerated. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)$/
/** Secret names: `[A-Za-z0-9_]`, not starting with a digit (GitHub stores them upper-case). */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/
/** Installation tokens (`ghs_…`) go into an Authorization header: a safe charset, bounded. */
const TOKEN = /^[A-Za-z0-9_.-]{16,1024}$/
/** Names may hold anything printable, but no control or format character (they are printed). */
const PRINTABLE_NAME = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,255}$/u

function object(data: unknown, what: string): Record<string, unknown> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new GitHubProtocolError(`${what} is not a JSON object`)
  }
  return data as Record<string, unknown>
}

function list(data: unknown, what: string): unknown[] {
  if (!Array.isArray(data)) throw new GitHubProtocolError(`${what} is not a list`)
  return data
}

/** A 32-byte public key in standard base64 with padding, as GitHub seals with. */
export function isPublicKey(key: unknown): key is string {
  if (typeof key !== 'string' || !STRICT_BASE64.test(key)) return false
  const bytes = Buffer.from(key, 'base64')
  return bytes.length === 32 && bytes.toString('base64') === key
}

/** `{"key_id", "key"}` of a public-key endpoint. */
export function parsePublicKey(data: unknown): { keyId: string; key: string } {
  const { key_id: keyId, key } = object(data, 'the answer')
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
    throw new GitHubProtocolError('key_id is not 1-64 letters, digits, "-" or "_"')
  }
  if (!isPublicKey(key)) {
    throw new GitHubProtocolError('key is not 32 bytes in standard base64 with padding')
  }
  return { keyId, key }
}

function timestamp(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ISO_TIME.test(value) || !Number.isFinite(Date.parse(value))) {
    throw new GitHubProtocolError(`${field} is not an ISO-8601 timestamp`)
  }
  return value
}

export interface SecretMetadata {
  name: string
  createdAt: string
  updatedAt: string
  /** Org secrets only. */
  visibility?: OrgVisibility
}

/** `GET …/secrets/{name}`: the secret's metadata (never its value). */
export function parseSecretMetadata(
  data: unknown,
  secretName: string,
  org: boolean
): SecretMetadata {
  const body = object(data, 'the answer')
  const { name } = body
  if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
    throw new GitHubProtocolError('name is not a secret name')
  }
  if (name.toUpperCase() !== secretName.toUpperCase()) {
    throw new GitHubProtocolError(`name is not ${secretName}, the secret asked for`)
  }
  const metadata: SecretMetadata = {
    name,
    createdAt: timestamp(body.created_at, 'created_at'),
    updatedAt: timestamp(body.updated_at, 'updated_at')
  }
  if (org) {
    const { visibility } = body
    if (visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') {
      throw new GitHubProtocolError('visibility is not all, private or selected')
    }
    metadata.visibility = visibility
  }
  return metadata
}

/** One page of `…/secrets/{name}/repositories`: positive integer ids. */
export function parseRepositoryIds(data: unknown): number[] {
  return list(data, 'the page of repositories').map(repo => {
    const { id } = object(repo, 'a repository')
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
      throw new GitHubProtocolError('a repository id is not a positive integer')
    }
    return id
  })
}

/** One page of a secrets collection (`GET …/secrets`): the names only. */
export function parseSecretNames(data: unknown): string[] {
  return list(data, 'the page of secrets').map(secret => {
    const { name } = object(secret, 'a secret')
    if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
      throw new GitHubProtocolError('a secret name is not [A-Za-z0-9_], 1-255 characters')
    }
    return name
  })
}

/** One page of `GET /repos/{owner}/{repo}/environments`. */
export function parseEnvironmentNames(data: unknown): string[] {
  return list(data, 'the page of environments').map(environment => {
    const { name } = object(environment, 'an environment')
    if (typeof name !== 'string' || !PRINTABLE_NAME.test(name) || name === '.' || name === '..') {
      throw new GitHubProtocolError('an environment name is not 1-255 printable characters')
    }
    return name
  })
}

/** `GET …/installation`: the installation's id. */
export function parseInstallationId(data: unknown): number {
  const { id } = object(data, 'the answer')
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new GitHubProtocolError('the installation id is not a positive integer')
  }
  return id
}

/** A minted installation token. */
export function parseInstallationToken(token: unknown): string {
  if (typeof token !== 'string' || !TOKEN.test(token)) {
    throw new GitHubProtocolError(
      'the installation token is not 16-1024 letters, digits, ".", "-" or "_"'
    )
  }
  return token
}
