/**
 * A small world for the demo and the end-to-end tests: both emulators started on 127.0.0.1, an
 * admin key, a CI key (the one being rotated), and a repository and one of its environments whose
 * HIVE_API_KEY holds the CI key.
 */
import { HiveEmulator, type HiveEmulatorOptions } from '../emulators/hive.js'
import {
  GitHubEmulator,
  type GitHubEmulatorOptions,
  type SecretTarget
} from '../emulators/github.js'
import type { Scope } from '../../src/hive/types.js'

export const TOKEN = 'github_pat_demo_0123456789abcdefghijklmnopqrstuvwxyz'
export const REPO: SecretTarget = { owner: 'octo', repo: 'app' }
export const ENV: SecretTarget = { owner: 'octo', repo: 'app', environment: 'production' }
export const CI_SCOPE: Scope = { type: 'engagements', engagement_ids: ['eng_12', 'eng_40'] }

export interface World {
  hive: HiveEmulator
  github: GitHubEmulator
  admin: { id: string; value: string }
  ci: { id: string; value: string }
  /** The inputs a workflow would pass, pointing at the emulators. */
  inputs(extra?: Record<string, string>): Record<string, string>
  /** The environment a runner would give, pointing at the GitHub emulator. */
  env: Record<string, string>
  /** GET the verify path with a key, over real HTTP: the status Hive answers. */
  statusOf(value: string): Promise<number>
  stop(): Promise<void>
}

/**
 * Where the world listens and which key values it seeds; by default free ports and fresh values.
 * scripts/emulators.ts fixes them, so that a committed .env.example can point at the world.
 */
export interface WorldPlace {
  hivePort?: number
  githubPort?: number
  adminKey?: string
  ciKey?: string
}

export async function startWorld(
  hiveOptions: HiveEmulatorOptions = {},
  githubOptions: GitHubEmulatorOptions = {},
  place: WorldPlace = {}
): Promise<World> {
  const hive = new HiveEmulator(hiveOptions)
  const github = new GitHubEmulator(githubOptions)
  await Promise.all([hive.start(place.hivePort), github.start(place.githubPort)]).catch(
    async (error: unknown) => {
      // A fixed port may be taken: close the one that did start, so the process can end.
      await Promise.all([hive.stop(), github.stop()])
      throw error
    }
  )
  const admin = hive.seedKey({
    value: place.adminKey,
    name: 'platform admin',
    permission: 'admin',
    scope: { type: 'all' }
  })
  const ci = hive.seedKey({
    value: place.ciKey,
    name: 'aphids-cli CI (made by hand)',
    permission: 'read-only',
    scope: CI_SCOPE,
    expiresAt: new Date(Date.now() + 5 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  })
  github.addToken(TOKEN, { label: 'rotation PAT' })
  github.addRepo('octo/app')
  github.addEnvironment('octo/app', 'production')
  github.setSecretPlain(REPO, 'HIVE_API_KEY', ci.value)
  github.setSecretPlain(ENV, 'HIVE_API_KEY', ci.value)
  return {
    hive,
    github,
    admin,
    ci,
    env: { GITHUB_API_URL: github.url },
    inputs: extra => ({
      'hive-api-key': ci.value,
      'hive-admin-key': admin.value,
      'hive-url': hive.url,
      'github-token': TOKEN,
      destinations: 'repo:octo/app\nenv:octo/app/production',
      ...extra
    }),
    async statusOf(value) {
      const response = await fetch(`${hive.url}/executions-cli/executions`, {
        headers: { 'X-Api-Key': value }
      })
      await response.arrayBuffer()
      return response.status
    },
    async stop() {
      await Promise.all([hive.stop(), github.stop()])
    }
  }
}
