/**
 * http/agent.ts, the process's one dispatcher: plain http to a loopback host goes direct whatever
 * HTTP_PROXY says (invariant 6), plain http elsewhere is refused before a byte leaves, and https
 * keeps following the proxy variables. A real forwarding proxy (support/forward-proxy.ts) and a
 * real server on 127.0.0.1 record what each saw.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { ForwardProxy } from '../support/forward-proxy.js'
import { LoopbackServer } from '../emulators/loopback.js'
import { fetch, routeFor } from '../../src/http/agent.js'
import { rejection } from '../support/rejection.js'

describe('routeFor', () => {
  it.each([
    ['http://127.0.0.1:8080', 'direct'],
    ['http://127.8.9.10', 'direct'],
    ['http://localhost:3000', 'direct'],
    ['http://[::1]:3000', 'direct'],
    ['https://127.0.0.1:8443', 'environment'],
    ['https://api.hive.darksidesecurity.io', 'environment'],
    ['https://localhost', 'environment'],
    ['http://hive.example', 'refused'],
    ['http://localhost.evil.example', 'refused'],
    ['http://10.0.0.1', 'refused'],
    ['not a url', 'refused']
  ])('%s: %s', (origin, route) => {
    expect(routeFor(origin)).toBe(route)
  })
})

describe('the process dispatcher, with HTTP_PROXY and HTTPS_PROXY set and NO_PROXY unset', () => {
  // The proxy resolves localhost itself, as one on another machine would: a request sent
  // through it would still be answered, and only what it saw tells the difference.
  const proxy = new ForwardProxy({ localhost: '127.0.0.1' })
  const server = new LoopbackServer()
  const seen: string[] = []
  let port = ''
  const saved = { ...process.env }

  beforeAll(async () => {
    const url = await proxy.start()
    const base = await server.listen((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-api-key'] ?? ''}`)
      res.end('ok')
    })
    port = new URL(base).port
    // Read when the dispatcher is made, on the first request of this file.
    for (const name of ['no_proxy', 'NO_PROXY', 'http_proxy', 'https_proxy']) {
      delete process.env[name]
    }
    process.env.HTTP_PROXY = url
    process.env.HTTPS_PROXY = url
  })
  // Each test looks at what the proxy saw during it alone.
  beforeEach(() => void proxy.requests.splice(0))
  afterAll(async () => {
    process.env = saved
    await Promise.all([proxy.stop(), server.close()])
  })

  it.each(['127.0.0.1', 'localhost'])('sends plain http to %s direct', async host => {
    const response = await fetch(`http://${host}:${port}/x`, { headers: { 'X-Api-Key': 'k1' } })
    expect(await response.text()).toBe('ok')
    expect(seen.at(-1)).toBe('GET /x k1')
    expect(proxy.requests).toEqual([])
    expect(server.peerPorts.some(p => proxy.upstreamPorts.has(p))).toBe(false)
  })

  it('refuses plain http to any other host, sending nothing to it or the proxy', async () => {
    const before = seen.length
    const error = await rejection(
      fetch('http://hive.example/x', { headers: { 'X-Api-Key': 'k2' } }),
      TypeError
    )
    expect(String((error as { cause?: unknown }).cause)).toMatch(
      /refused to send a plain-http request to a host that is not loopback/
    )
    expect(proxy.requests).toEqual([])
    expect(seen.length).toBe(before)
  })

  it('sends https through HTTPS_PROXY, as before', async () => {
    // The proxy cannot resolve the name and answers 502: the request fails, having reached it.
    await rejection(fetch('https://hive.invalid:8443/x'), TypeError)
    expect(proxy.requests).toEqual([{ kind: 'connect', target: 'hive.invalid:8443', ok: false }])
  })
})
