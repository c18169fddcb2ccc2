/**
 * End to end, redirects from the Hive API (invariant 6): `X-Api-Key` never follows one. A fault
 * answers 3xx with a Location on a second server that records whatever reaches it; the run must
 * fail, that server must see nothing, and Hive and GitHub must be as they were (or, when the
 * redirect meets the new key's test, the new key revoked and nothing else changed).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  act,
  creations,
  errorText,
  expectCleanFailure,
  expectDestinationsHoldLiveKeys,
  expectNoLeaks,
  heldBy,
  puts,
  snapshot,
  useWorld
} from './helpers.js'

const world = useWorld()

interface Trap {
  url: string
  requests: { method: string; url: string; headers: IncomingHttpHeaders }[]
  close(): Promise<void>
}

/** A plain server on 127.0.0.1 that records whatever reaches it: where a redirect points. */
async function startTrap(): Promise<Trap> {
  const requests: Trap['requests'] = []
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    req.resume()
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end('{}')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

describe('a redirect from the Hive API is never followed', () => {
  let trap: Trap
  beforeEach(async () => {
    trap = await startTrap()
  })
  afterEach(async () => {
    await trap.close()
  })

  it('a 302 on GET /api-keys/current stops the run before anything changes', async () => {
    const w = world()
    w.hive.addFault({
      method: 'GET',
      path: '/api-keys/current',
      times: 10,
      status: 302,
      headers: { Location: `${trap.url}/api-keys/current` }
    })
    const before = snapshot(w)
    const outcome = await act(w, w.inputs())
    const { run, created } = outcome

    expectCleanFailure(run)
    expectNoLeaks(outcome)
    expect(trap.requests).toEqual([])
    // Not followed, and not retried either.
    expect(w.hive.requests.map(r => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api-keys/current 302'
    ])
    expect(created).toEqual([])
    expect(w.github.requests).toEqual([])
    expect(snapshot(w)).toEqual(before)
    expectDestinationsHoldLiveKeys(w)
    expect(errorText(run)).toMatch(/redirect \(302\)/)
    expect(errorText(run)).toContain(trap.url)
  }, 30_000)

  it('a 307 on POST /api-keys stops the run; nothing is created or written', async () => {
    const w = world()
    w.hive.addFault({
      method: 'POST',
      path: '/api-keys',
      times: 10,
      status: 307,
      headers: { Location: `${trap.url}/api-keys` }
    })
    const before = snapshot(w)
    const outcome = await act(w, w.inputs())
    const { run, created } = outcome

    expectCleanFailure(run)
    expectNoLeaks(outcome)
    expect(trap.requests).toEqual([])
    expect(creations(w).map(r => r.status)).toEqual([307])
    expect(created).toEqual([])
    expect(puts(w)).toEqual([])
    expect(w.hive.requests.some(r => r.method === 'DELETE')).toBe(false)
    expect(snapshot(w)).toEqual(before)
    expectDestinationsHoldLiveKeys(w)
    expect(await w.statusOf(w.ci.value)).toBe(200)
    expect(errorText(run)).toMatch(/redirect \(307\)/)
    expect(errorText(run)).toMatch(/creating the new key/)
  }, 30_000)

  it('a redirect while testing the new key: the key is not sent there, and is revoked', async () => {
    const w = world()
    w.hive.addFault({
      method: 'GET',
      path: '/executions-cli/executions',
      times: 10,
      status: 308,
      headers: { Location: `${trap.url}/executions-cli/executions` }
    })
    const outcome = await act(w, w.inputs())
    const { run, created } = outcome

    expectCleanFailure(run)
    expectNoLeaks(outcome)
    expect(trap.requests).toEqual([])
    expect(created).toHaveLength(1)
    const [newKey] = created
    expect(w.hive.key(newKey.id)?.revoked_at).not.toBeNull()
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expect(heldBy(w)).toEqual({ repo: w.ci.id, 'env:production': w.ci.id })
    expect(puts(w)).toEqual([])
    expectDestinationsHoldLiveKeys(w)
    expect(errorText(run)).toMatch(/redirect \(308\)/)
    expect(run.outputs.rotated).toBe('false')
  }, 30_000)
})
