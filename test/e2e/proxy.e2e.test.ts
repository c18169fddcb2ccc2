/**
 * End to end through a real forwarding proxy (support/forward-proxy.ts), as on a self-hosted
 * runner that reaches the internet only through one: the bundled action is given HTTPS_PROXY and
 * HTTP_PROXY, and hive-url and GITHUB_API_URL name hosts under `.invalid`, which never resolve, so
 * a request that skips the proxy fails, and only the proxy knows where they are.
 *
 * Both emulators serve https with a certificate from a CA made here with openssl, which the action
 * trusts through NODE_EXTRA_CA_CERTS, as a runner behind a TLS-inspecting proxy would.
 *
 * Each emulator records the client port of every connection it accepted, and the proxy the local
 * port of every connection it opened upstream: a request that went direct shows up as a port the
 * proxy never opened.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { DIST } from '../support/run-action.js'
import { ForwardProxy } from '../support/forward-proxy.js'
import { startWorld, type World } from '../support/world.js'
import type { LoopbackTls } from '../emulators/loopback.js'
import {
  act,
  errorText,
  expectCleanFailure,
  expectEveryDestinationHolds,
  expectNoLeaks,
  expectNothingChanged,
  expectSucceededWithOneNewKey,
  snapshot
} from './helpers.js'

const HIVE_HOST = 'hive.invalid'
const PROXY_PASSWORD = 'proxy-pa55word-0123456789'
const GITHUB_HOST = 'api.github.invalid'

let dir: string
let tls: LoopbackTls
let caFile: string

/** A CA, and a leaf it signs for both names and 127.0.0.1, in a temporary directory. */
function makeCertificates(): void {
  dir = mkdtempSync(join(tmpdir(), 'rotate-key-proxy-'))
  const at = (name: string) => join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=hive-rotate-key test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign'
  )
  openssl(
    'req',
    ...ec,
    '-keyout',
    at('leaf.key'),
    '-out',
    at('leaf.csr'),
    '-subj',
    `/CN=${HIVE_HOST}`
  )
  writeFileSync(
    at('leaf.ext'),
    `subjectAltName=DNS:${HIVE_HOST},DNS:${GITHUB_HOST},IP:127.0.0.1\n` +
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' +
      'extendedKeyUsage=serverAuth\n'
  )
  openssl(
    'x509',
    '-req',
    '-in',
    at('leaf.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-out',
    at('leaf.pem'),
    '-days',
    '2',
    '-extfile',
    at('leaf.ext')
  )
  tls = { key: readFileSync(at('leaf.key'), 'utf8'), cert: readFileSync(at('leaf.pem'), 'utf8') }
  caFile = at('ca.pem')
}

let world: World | undefined
let proxy: ForwardProxy | undefined

beforeAll(() => {
  expect(readFileSync(DIST).length).toBeGreaterThan(0)
  makeCertificates()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(async () => {
  await Promise.all([world?.stop(), proxy?.stop()])
  world = proxy = undefined
})

function ports(w: World) {
  return {
    hive: new URL(w.hive.url).port,
    github: new URL(w.github.url).port
  }
}

/** The world's inputs with hive-url at the name only the proxy resolves. */
function inputsViaName(w: World) {
  return w.inputs({ 'hive-url': `https://${HIVE_HOST}:${ports(w).hive}` })
}

/** The rotation's outcome as the emulators hold it: the new key everywhere, the old one revoked. */
function expectRotated(w: World, outcome: Awaited<ReturnType<typeof act>>) {
  const newKey = expectSucceededWithOneNewKey(outcome)
  expectEveryDestinationHolds(w, newKey)
  expect(w.hive.accepts(newKey.value)).toBe(true)
  expect(w.hive.accepts(w.ci.value)).toBe(false)
  expect(w.hive.key(w.ci.id)?.revoked_at).not.toBeNull()
}

/** How many of an emulator's connections came from the proxy, and how many did not. */
function connections(peerPorts: readonly number[], p: ForwardProxy) {
  return {
    proxied: peerPorts.filter(port => p.upstreamPorts.has(port)).length,
    direct: peerPorts.filter(port => !p.upstreamPorts.has(port)).length
  }
}

describe('behind a forwarding proxy', () => {
  beforeEach(async () => {
    world = await startWorld({ tls }, { tls })
    proxy = new ForwardProxy({ [HIVE_HOST]: '127.0.0.1', [GITHUB_HOST]: '127.0.0.1' })
  })

  it('sends every Hive and GitHub request of a rotation through HTTPS_PROXY', async () => {
    const w = world!
    const p = proxy!
    const url = await p.start()
    const { hive, github } = ports(w)
    const outcome = await act(w, inputsViaName(w), {
      env: {
        GITHUB_API_URL: `https://${GITHUB_HOST}:${github}`,
        HTTPS_PROXY: url,
        HTTP_PROXY: url,
        NODE_EXTRA_CA_CERTS: caFile
      }
    })
    expectRotated(w, outcome)

    // The proxy carried tunnels to the two names and nothing else, each one answered.
    expect(p.targets().sort()).toEqual([`${GITHUB_HOST}:${github}`, `${HIVE_HOST}:${hive}`])
    expect(p.requests.every(r => r.kind === 'connect' && r.ok)).toBe(true)
    // Every connection either emulator accepted is one the proxy opened, one per tunnel.
    const tunnels = (target: string) => p.requests.filter(r => r.target === target).length
    expect(w.hive.requests.length).toBeGreaterThan(0)
    expect(w.github.requests.length).toBeGreaterThan(0)
    expect(connections(w.hive.peerPorts, p)).toEqual({
      proxied: tunnels(`${HIVE_HOST}:${hive}`),
      direct: 0
    })
    expect(connections(w.github.peerPorts, p)).toEqual({
      proxied: tunnels(`${GITHUB_HOST}:${github}`),
      direct: 0
    })
  }, 60_000)

  it('goes direct to a host NO_PROXY names, and through the proxy to the others', async () => {
    const w = world!
    const p = proxy!
    const url = await p.start()
    const { hive } = ports(w)
    // GITHUB_API_URL is the emulator's own https://127.0.0.1:PORT (world.env).
    const outcome = await act(w, inputsViaName(w), {
      env: { HTTPS_PROXY: url, HTTP_PROXY: url, NO_PROXY: '127.0.0.1', NODE_EXTRA_CA_CERTS: caFile }
    })
    expectRotated(w, outcome)

    // The proxy saw Hive only; GitHub saw the rotation's requests, none of them from the proxy.
    expect(p.targets()).toEqual([`${HIVE_HOST}:${hive}`])
    expect(w.github.requests.length).toBeGreaterThan(0)
    expect(connections(w.github.peerPorts, p).proxied).toBe(0)
    expect(connections(w.hive.peerPorts, p).direct).toBe(0)
  }, 60_000)

  it('authenticates to the proxy with the user and password of its URL, and prints neither', async () => {
    const w = world!
    const p = proxy!
    const url = await p.start()
    const { github } = ports(w)
    const outcome = await act(w, inputsViaName(w), {
      env: {
        GITHUB_API_URL: `https://${GITHUB_HOST}:${github}`,
        HTTPS_PROXY: url.replace('http://', `http://rotator:${PROXY_PASSWORD}@`),
        NODE_EXTRA_CA_CERTS: caFile
      }
    })
    expectRotated(w, outcome)
    // Every tunnel carried the credentials: they were used, not dropped.
    const basic = Buffer.from(`rotator:${PROXY_PASSWORD}`).toString('base64')
    expect(p.requests.length).toBeGreaterThan(0)
    expect(p.requests.filter(r => r.authorization !== `Basic ${basic}`)).toEqual([])
    for (const secret of [PROXY_PASSWORD, basic]) {
      expect(outcome.run.everything).not.toContain(secret)
    }
  }, 60_000)

  it('prints no proxy password when the proxy cannot be reached', async () => {
    const w = world!
    const before = snapshot(w)
    // A proxy name that never resolves: Hive's request fails at once (ENOTFOUND is not asked
    // again); GitHub (https://127.0.0.1) goes direct, instead of through Octokit's retries.
    const outcome = await act(w, inputsViaName(w), {
      env: {
        HTTPS_PROXY: `http://rotator:${PROXY_PASSWORD}@proxy.invalid:3128`,
        NO_PROXY: '127.0.0.1',
        NODE_EXTRA_CA_CERTS: caFile
      }
    })
    expectCleanFailure(outcome.run)
    expectNoLeaks(outcome)
    expect(errorText(outcome.run)).toContain('ENOTFOUND, the name proxy.invalid does not resolve')
    expect(outcome.run.everything).not.toContain(PROXY_PASSWORD)
    expectNothingChanged(w, outcome, before)
  }, 60_000)

  it('refuses a proxy variable that is not a URL before sending anything, without showing it', async () => {
    const w = world!
    const before = snapshot(w)
    // No scheme: taken as a URL of protocol "user:", which no proxy speaks.
    const value = 'user:proxy-password-0123@proxy.example:3128'
    const outcome = await act(w, w.inputs(), { env: { https_proxy: value } })
    expectCleanFailure(outcome.run)
    expect(errorText(outcome.run)).toContain(
      'https_proxy must be a proxy URL such as http://proxy.example:3128 (value not shown'
    )
    expect(outcome.run.everything).not.toContain('proxy-password-0123')
    expect(w.hive.requests).toEqual([])
    expect(w.github.requests).toEqual([])
    expectNothingChanged(w, outcome, before)
  }, 60_000)

  it('without a proxy, fails on the name that does not resolve, having changed nothing', async () => {
    const w = world!
    const before = snapshot(w)
    const outcome = await act(w, inputsViaName(w), { env: { NODE_EXTRA_CA_CERTS: caFile } })
    expectCleanFailure(outcome.run)
    expectNoLeaks(outcome)
    expect(errorText(outcome.run)).toContain(
      `Could not reach Hive at https://${HIVE_HOST}:${ports(w).hive}`
    )
    expect(errorText(outcome.run)).toContain(
      `ENOTFOUND, the name ${HIVE_HOST} does not resolve. Check hive-url, and HTTPS_PROXY`
    )
    // Failed fast: a name that does not exist is not asked for again.
    expect(outcome.run.stdout).not.toMatch(/retrying in/)
    expect(w.hive.requests).toEqual([])
    expectNothingChanged(w, outcome, before)
  }, 60_000)
})

/**
 * Invariant 6: a plain-http request (only ever to a loopback host: a local emulator) goes direct,
 * whatever HTTP_PROXY says and NO_PROXY leaves out. Through a proxy, the proxy would read the
 * admin key, the old key, the new key's value and the GitHub token, and would resolve `localhost`
 * on its own side: this proxy resolves it to the emulators, so a run that still went through it
 * would succeed, and only what the proxy saw tells the difference.
 */
describe('plain http to a loopback host, with a proxy set and NO_PROXY unset', () => {
  beforeEach(async () => {
    world = await startWorld() // both emulators on http://127.0.0.1:PORT
    proxy = new ForwardProxy({ localhost: '127.0.0.1' })
  })

  it.each([
    ['127.0.0.1', 'HTTP_PROXY'],
    ['localhost', 'http_proxy']
  ])(
    'hive-url and GITHUB_API_URL http://%s:PORT go direct, not through %s',
    async (host, name) => {
      const w = world!
      const p = proxy!
      const url = await p.start()
      const { hive, github } = ports(w)
      const outcome = await act(w, w.inputs({ 'hive-url': `http://${host}:${hive}` }), {
        env: {
          GITHUB_API_URL: `http://${host}:${github}`,
          [name]: url,
          // https would go through it, as it should; nothing here is https.
          [name.startsWith('H') ? 'HTTPS_PROXY' : 'https_proxy']: url
        }
      })
      expectRotated(w, outcome)

      // The proxy was asked for nothing, and opened nothing.
      expect(p.requests).toEqual([])
      expect(p.upstreamPorts.size).toBe(0)
      // Every connection either emulator accepted came straight from the action.
      expect(w.hive.requests.length).toBeGreaterThan(0)
      expect(w.github.requests.length).toBeGreaterThan(0)
      expect(connections(w.hive.peerPorts, p)).toEqual({
        proxied: 0,
        direct: w.hive.peerPorts.length
      })
      expect(connections(w.github.peerPorts, p)).toEqual({
        proxied: 0,
        direct: w.github.peerPorts.length
      })
    },
    60_000
  )
})
