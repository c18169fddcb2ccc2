/**
 * GitHub App installations (auth.ts) against the emulator: what GitHub answers about an
 * installation is checked before it is used, and a minted token that breaks its format is neither
 * masked (a newline in it would end the mask command) nor used.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createGitHubClients } from '../../src/github/auth.js'
import { parseDestination, type Destination } from '../../src/github/destinations.js'
import { DestinationError } from '../../src/rotation/ports.js'
import { GitHubEmulator } from '../emulators/github.js'
import { rejection } from '../support/rejection.js'
import { rsaKeyPair } from '../support/rsa-keys.js'

const APP_ID = '4242'
const APP = rsaKeyPair('auth-app')

let github: GitHubEmulator
let installation = 0
const masked: string[] = []
const isJwt = (value: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value)

beforeEach(async () => {
  github = new GitHubEmulator()
  await github.start()
  github.addRepo('octo/app')
  github.addApp(APP_ID, APP.publicKey)
  installation = github.installApp(APP_ID, 'octo')
  masked.length = 0
})
afterEach(async () => {
  await github.stop()
})

function clients() {
  return createGitHubClients(
    { kind: 'app', appId: APP_ID, privateKey: APP.privateKey },
    {
      baseUrl: github.url,
      warn: () => undefined,
      debug: () => undefined,
      retryAfterBaseValue: 1,
      mask: value => masked.push(value)
    }
  )
}

function repo(): Destination {
  const d = parseDestination('repo:octo/app')
  if ('problem' in d) throw new Error(d.problem)
  return d
}

describe('AppInstallations', () => {
  it('mints a token for the owner, masks it, and reads with it', async () => {
    const client = await clients().forDestination(repo())
    // The App's JWT (three dot-separated parts) is masked as the first request sends it, once
    // each: @octokit/auth-app signs a new one per request, so the lookup and the mint carry two
    // different JWTs when they fall in different seconds (seen in CI under load).
    const jwts = masked.filter(isJwt)
    expect(jwts.length).toBeGreaterThanOrEqual(1)
    expect(new Set(jwts).size).toBe(jwts.length)
    expect(masked.filter(v => !isJwt(v))).toEqual(github.installationTokens())
    const { status } = await client.request(
      'GET /repos/{owner}/{repo}/actions/secrets/public-key',
      {
        owner: 'octo',
        repo: 'app'
      }
    )
    expect(status).toBe(200)
  })

  it.each([
    ['a string', '"12; rm -rf"'],
    ['a fraction', '1.5'],
    ['a negative number', '-3'],
    ['nothing', 'null']
  ])('refuses an installation id that is %s, before minting anything', async (_what, id) => {
    github.addFault({
      method: 'GET',
      path: '/repos/octo/app/installation',
      status: 200,
      body: `{"id": ${id}}`
    })
    const e = await rejection(clients().forDestination(repo()), DestinationError)
    expect(e.definite).toBe(true)
    expect(e.message).toContain(
      `GitHub App ${APP_ID}, finding its installation for octo/app (repo:octo/app): GitHub's ` +
        'answer is not what GitHub sends: the installation id is not a positive integer'
    )
    expect(github.requests.filter(r => r.method === 'POST')).toEqual([])
    expect(masked.filter(v => !isJwt(v))).toEqual([])
  })

  it.each([
    ['a newline and a command', 'ghs_abcdefghijklmnop\n::stop-commands::x'],
    ['a space', 'ghs_abcdefgh ijklmnop'],
    ['too short a value', 'ghs_x']
  ])('neither masks nor uses a minted token with %s', async (_what, token) => {
    github.addFault({
      method: 'POST',
      path: `/app/installations/${installation}/access_tokens`,
      status: 201,
      body: JSON.stringify({ token, expires_at: '2030-01-01T00:00:00Z' })
    })
    const e = await rejection(clients().forDestination(repo()), DestinationError)
    expect(e.message).toContain(
      `minting a token for installation ${installation} for octo/app (repo:octo/app): GitHub's ` +
        'answer is not what GitHub sends: the installation token is not 16-1024 letters'
    )
    expect(e.message).not.toContain('stop-commands')
    expect(masked.filter(v => !isJwt(v))).toEqual([])
  })
})
