/**
 * Revokes the GitHub App installation tokens a run minted: `DELETE /installation/token` with the
 * token itself, as actions/create-github-app-token does in its post step; a 204 revoked it, a 401
 * means it is already dead (revoked or expired). Only to GITHUB_API_URL (the baseUrl), no
 * redirects, a short deadline each, through the process's proxy-aware fetch (http/agent.ts); a failure is a warning, never an error (the token dies within
 * an hour anyway).
 */
import { fetch } from '../http/agent.js'
import { sanitize } from '../text.js'

export interface RevokeOptions {
  baseUrl: string
  debug(message: string): void
  warn(message: string): void
  /** Per request. Default 5 000 ms. */
  timeoutMs?: number
}

export async function revokeInstallationTokens(
  tokens: readonly string[],
  options: RevokeOptions
): Promise<void> {
  const base = options.baseUrl.replace(/\/+$/, '')
  await Promise.all(
    tokens.map(async (token, i) => {
      const which = `App installation token ${i + 1} of ${tokens.length}`
      try {
        const response = await fetch(`${base}/installation/token`, {
          method: 'DELETE',
          redirect: 'error',
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: 'application/vnd.github+json',
            'X-GitHub-Api-Version': '2022-11-28',
            'User-Agent': 'hive-rotate-key'
          },
          signal: AbortSignal.timeout(options.timeoutMs ?? 5_000)
        })
        await response.arrayBuffer().catch(() => undefined)
        if (response.status === 204) options.debug(`${which} revoked.`)
        else if (response.status === 401) options.debug(`${which} was already dead (401).`)
        else {
          options.warn(
            `Could not revoke ${which}: GitHub answered ${response.status}; it expires within an hour of its minting.`
          )
        }
      } catch (error) {
        options.warn(
          `Could not revoke ${which}: ${sanitize((error as Error).message)}; it expires within an hour of its minting.`
        )
      }
    })
  )
}
