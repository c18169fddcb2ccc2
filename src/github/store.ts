import type { GitHubClient } from './octokit.js'
import { type Destination, KINDS } from './destinations.js'
import { seal } from './seal.js'
import { sanitize } from '../text.js'
import { DestinationError, type PreparedDestination, type SecretStore } from '../rotation/ports.js'

const API_VERSION = { 'x-github-api-version': '2022-11-28' }

/** The SecretStore port over GitHub's REST API: public key, seal, PUT. */
export class GitHubSecretStore implements SecretStore {
  constructor(private readonly github: GitHubClient) {}

  async prepare(destination: Destination): Promise<PreparedDestination> {
    const url = `${KINDS[destination.kind].secretsPath(destination)}/public-key`
    try {
      const { data } = await this.github.request({ method: 'GET', url, headers: API_VERSION })
      const { key_id: keyId, key } = (data ?? {}) as { key_id?: unknown; key?: unknown }
      if (typeof keyId !== 'string' || typeof key !== 'string' || !keyId || !key) {
        throw new DestinationError(
          `GitHub's public key answer for ${destination.label} has no key_id and key`,
          true
        )
      }
      return { destination, publicKeyId: keyId, publicKey: key }
    } catch (error) {
      throw explain(error, destination, 'reading the public key of')
    }
  }

  async write(
    prepared: PreparedDestination,
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
    const url = `${KINDS[destination.kind].secretsPath(destination)}/${encodeURIComponent(secretName)}`
    try {
      const response = await this.github.request({
        method: 'PUT',
        url,
        headers: API_VERSION,
        encrypted_value: encrypted,
        key_id: prepared.publicKeyId
      })
      return response.status === 201 ? 'created' : 'updated'
    } catch (error) {
      throw explain(error, destination, `writing ${secretName} to`)
    }
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
export function explain(error: unknown, d: Destination, doing: string): DestinationError {
  if (error instanceof DestinationError) return error
  const e = error as RequestErrorLike
  const status = typeof e.status === 'number' ? e.status : undefined
  const data = e.response?.data as { message?: unknown } | undefined
  const said = sanitize(typeof data?.message === 'string' ? data.message : (e.message ?? ''))
  const where = `${doing} ${KINDS[d.kind].describe(d)} (${d.label})`
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
    advice = 'github-token is invalid or expired.'
  } else if (status === 403) {
    const accepted = e.response?.headers?.['x-accepted-github-permissions']
    advice =
      `The token may not do this: it needs the ${need.fineGrained} (fine-grained token or ` +
      `GitHub App) or the "${need.classic}" scope (classic token)` +
      (accepted ? `; GitHub says it accepts: ${sanitize(accepted)}` : '') +
      '.' +
      // GitHub says "by integration" for installation tokens, the workflow's own among them.
      (/by integration/i.test(said)
        ? ' The workflow’s own GITHUB_TOKEN can never write secrets: if that is what ' +
          'github-token holds, pass a personal access token or a GitHub App token.'
        : '')
  } else if (status === 404) {
    advice =
      'It does not exist, or the token cannot see it (GitHub answers 404 for a private ' +
      'repository the token has no access to). Check the destination’s spelling and the token’s ' +
      'repository access.'
  } else if (status === 422) {
    advice = 'GitHub refused the request as invalid.'
  }
  return new DestinationError(
    `GitHub answered ${status} ${where}: ${said}. ${advice}`.trim(),
    true,
    status
  )
}
