/**
 * Which client writes which destination. A token writes everything it may; a GitHub App gets one
 * installation token per owner, minted on first use, masked at once, and used only for that
 * owner's destinations.
 */
import type { Destination } from './destinations.js'
import {
  createAppClient,
  createGitHubClient,
  type GitHubClient,
  type OctokitOptions
} from './octokit.js'
import { GitHubProtocolError, parseInstallationId, parseInstallationToken } from './answers.js'
import { DestinationError } from '../rotation/ports.js'
import { sanitize } from '../text.js'

/** How the action authenticates to GitHub (settings.ts fills it from the inputs). */
export type GitHubAuth =
  { kind: 'token'; token: string } | { kind: 'app'; appId: string; privateKey: string }

export interface GitHubClients {
  /** The inputs a credential problem should name: `github-token`, or `app-id/app-private-key`. */
  readonly credential: string
  /** The client that may write this destination's secrets. */
  forDestination(d: Destination): Promise<GitHubClient>
}

export function createGitHubClients(
  auth: GitHubAuth,
  options: OctokitOptions & {
    mask(value: string): void
    /** Called with each installation token the moment it is minted (and masked): the journal. */
    onInstallationToken?: (token: string) => void
  }
): GitHubClients {
  if (auth.kind === 'token') {
    const client = createGitHubClient({ ...options, token: auth.token })
    return { credential: 'github-token', forDestination: () => Promise.resolve(client) }
  }
  // @octokit/auth-app is loaded on the first mint, so a token run (or one that stops before any
  // destination) never loads it.
  let app: Promise<GitHubClient> | undefined
  const appClient = () =>
    (app ??= import('@octokit/auth-app').then(({ createAppAuth }) =>
      createAppClient({ ...options, ...auth, authStrategy: createAppAuth })
    ))
  return new AppInstallations(auth.appId, appClient, token => {
    options.mask(token)
    // Recorded for the post step, which revokes it (DELETE /installation/token).
    options.onInstallationToken?.(token)
    return createGitHubClient({ ...options, token })
  })
}

/** One installation token per owner, for that owner's destinations only. */
export class AppInstallations implements GitHubClients {
  readonly credential = 'app-id/app-private-key'
  private readonly byOwner = new Map<string, Promise<GitHubClient>>()

  constructor(
    private readonly appId: string,
    /** The App's own client (its JWT), built on first use. */
    private readonly app: () => Promise<GitHubClient>,
    /** Masks the minted token, then builds a client for it. */
    private readonly clientFor: (token: string) => GitHubClient
  ) {}

  forDestination(d: Destination): Promise<GitHubClient> {
    const owner = d.owner.toLowerCase()
    let client = this.byOwner.get(owner)
    if (client === undefined) {
      client = this.mint(d)
      this.byOwner.set(owner, client)
    }
    return client
  }

  private async mint(d: Destination): Promise<GitHubClient> {
    // The installation on the account: an org route for org kinds, a repository route otherwise
    // (it also answers for a user account, which has no org route).
    const route = d.repo
      ? { url: '/repos/{owner}/{repo}/installation', owner: d.owner, repo: d.repo }
      : { url: '/orgs/{org}/installation', org: d.owner }
    const app = await this.app()
    let installationId: number
    try {
      const { data } = await app.request({ method: 'GET', ...route })
      installationId = parseInstallationId(data)
    } catch (error) {
      throw this.refusal(error, d)
    }
    let token: string
    try {
      const minted = (await app.auth({ type: 'installation', installationId })) as {
        token?: unknown
      }
      token = parseInstallationToken(minted.token)
    } catch (error) {
      throw this.refusal(error, d, `minting a token for installation ${installationId}`)
    }
    return this.clientFor(token)
  }

  private refusal(
    error: unknown,
    d: Destination,
    doing = 'finding its installation'
  ): DestinationError {
    const e = error as { status?: number; message?: string }
    const where = d.repo ? `${d.owner}/${d.repo}` : d.owner
    const said = sanitize(e.message ?? String(error))
    let advice = 'Running again is safe.'
    if (error instanceof GitHubProtocolError) {
      return new DestinationError(
        `GitHub App ${this.appId}, ${doing} for ${where} (${d.label}): GitHub's answer is not ` +
          `what GitHub sends: ${said}. Nothing was written there because of it.`,
        true
      )
    }
    if (e.status === 401) {
      advice =
        'GitHub refused the app’s JWT: check that app-id is the App’s ID (or client ID) and ' +
        'app-private-key one of its current private keys.'
    } else if (e.status === 404) {
      advice = `The App is not installed on ${where}: install it there, with access to the repository.`
    } else if (e.status === 403) {
      advice = 'The installation is suspended, or the App may not mint tokens for it.'
    }
    return new DestinationError(
      `GitHub App ${this.appId}, ${doing} for ${where} (${d.label}): ${said}. ${advice}`,
      e.status !== undefined && e.status >= 400 && e.status < 500,
      e.status
    )
  }
}
