/**
 * A second origin on 127.0.0.1 that records whatever reaches it: where a hostile redirect or
 * `Link` header points. A test asserts that it received nothing (invariant 6: neither `X-Api-Key`
 * nor the GitHub token leaves its origin). It answers every request 200 with `body`.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Trap {
  url: string
  requests: { method: string; url: string; headers: IncomingHttpHeaders }[]
  close(): Promise<void>
}

export async function startTrap(body = '{}'): Promise<Trap> {
  const requests: Trap['requests'] = []
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    req.resume()
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(body)
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
