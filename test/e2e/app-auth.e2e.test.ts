/**
 * End to end, GitHub App authentication: `app-id` and `app-private-key` instead of
 * `github-token`. The emulator checks every app JWT (RS256 signature with the app's public key,
 * `iss`, lifetime) and mints installation tokens that see one account only, so a token used for
 * the wrong owner would be answered 404 and the run would fail.
 */
import { describe, expect, it } from '@jest/globals'
import { targetOf } from '../emulators/github.js'
import { rsaKeyPair } from '../support/rsa-keys.js'
import type { World } from '../support/world.js'
import {
  SECRET,
  act,
  errorText,
  expectDestinationsHoldLiveKeys,
  expectNoLeaks,
  expectRefusedBeforeAnyChange,
  expectSucceededWithOneNewKey,
  useWorld,
  without
} from './helpers.js'

const world = useWorld()
const APP_ID = '424242'

// GitHub hands out PKCS#1 PEM files ("-----BEGIN RSA PRIVATE KEY-----"): rsaKeyPair's default.
const APP = rsaKeyPair('app-auth-app')

const DESTINATIONS = ['repo:octo/app', 'env:octo/app/production', 'org:acme', 'repo:acme/web']

/** Two owners: octo (a user with octo/app) and acme (an org with acme/web); the app on both. */
function twoOwners(w: World, installOn = ['octo', 'acme']) {
  w.github.addApp(APP_ID, APP.publicKey)
  w.github.addOrg('acme')
  w.github.addRepo('acme/web')
  w.github.setSecretPlain(targetOf('org:acme'), SECRET, w.ci.value, { visibility: 'all' })
  w.github.setSecretPlain(targetOf('repo:acme/web'), SECRET, w.ci.value)
  for (const owner of installOn) w.github.installApp(APP_ID, owner)
}

function appInputs(w: World, privateKey = APP.privateKey) {
  return {
    ...without(w.inputs(), 'github-token'),
    'app-id': APP_ID,
    'app-private-key': privateKey,
    destinations: DESTINATIONS.join('\n')
  }
}

describe('GitHub App authentication', () => {
  it('mints one installation token per owner and uses each only for its owner', async () => {
    const w = world()
    twoOwners(w)
    const outcome = await act(w, appInputs(w), { secrets: [APP.privateKey] })
    const newKey = expectSucceededWithOneNewKey(outcome)
    const targets = DESTINATIONS.map(targetOf)
    expectDestinationsHoldLiveKeys(w, targets)
    for (const t of targets) expect(w.github.secretValue(t, SECRET)).toBe(newKey.value)
    expect(w.github.orgSecretAccess(targetOf('org:acme'), SECRET)).toEqual({ visibility: 'all' })

    // Exactly one token per owner, minted with the app's JWT.
    const mints = w.github.requests.filter(r => r.path.endsWith('/access_tokens'))
    expect(mints.map(r => [r.status, r.token])).toEqual([
      [201, '(app JWT)'],
      [201, '(app JWT)']
    ])
    // Every secrets request went with the owner's own installation token.
    for (const r of w.github.requests.filter(r => r.path.includes('/secrets'))) {
      const owner = /^\/(?:repos|orgs)\/([^/]+)/.exec(r.path)?.[1]
      expect({ path: r.path, token: r.token }).toEqual({
        path: r.path,
        token: expect.stringMatching(new RegExp(`^installation \\d+ \\(${owner}\\)$`))
      })
    }
    // The minted tokens and the private key were masked and never printed.
    const minted = w.github.installationTokens()
    expect(minted).toHaveLength(2)
    const withTokens = { ...outcome, secrets: [...outcome.secrets, ...minted] }
    expectNoLeaks(withTokens)
    for (const token of minted) expect(outcome.run.stdout).toContain(`::add-mask::${token}`)
  }, 60_000)

  it('refuses before any change when the app is not installed on an owner', async () => {
    const w = world()
    twoOwners(w, ['octo'])
    const outcome = await expectRefusedBeforeAnyChange(w, appInputs(w), {
      secrets: [APP.privateKey]
    })
    const text = errorText(outcome.run)
    expect(text).toContain(`GitHub App ${APP_ID}, finding its installation for acme (org:acme)`)
    expect(text).toContain('The App is not installed on acme')
    expect(text).toContain('repo:acme/web: GitHub App')
  }, 30_000)

  it('refuses before any change when the private key is not the app’s', async () => {
    const w = world()
    twoOwners(w)
    const other = rsaKeyPair('app-auth-other-app')
    const outcome = await expectRefusedBeforeAnyChange(w, appInputs(w, other.privateKey), {
      secrets: [other.privateKey]
    })
    expect(errorText(outcome.run)).toContain('GitHub refused the app’s JWT')
    expect(w.github.installationTokens()).toEqual([])
  }, 30_000)

  it('refuses a token and an app together, naming both inputs', async () => {
    const w = world()
    const outcome = await expectRefusedBeforeAnyChange(
      w,
      { ...appInputs(w), 'github-token': w.inputs()['github-token'] },
      { secrets: [APP.privateKey] }
    )
    expect(errorText(outcome.run)).toContain(
      'github-token and app-id/app-private-key are alternatives'
    )
    expect(w.github.requests).toEqual([])
  }, 30_000)
})
