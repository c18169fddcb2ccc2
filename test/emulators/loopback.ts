/**
 * The server lifecycle both emulators (hive.ts, github.ts) share: listen on a free port of
 * 127.0.0.1, and close again without waiting for idle keep-alive connections or for answers an
 * emulator is still holding back (latency, slow faults). With `tls` (a key and certificate, as
 * the proxy e2e test makes with openssl) it serves https instead of http. Everything else about a request,
 * including what becomes of a held answer when the server stops, stays with each emulator.
 */

import { createServer } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { RequestListener, Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A PEM key and certificate: the server answers over TLS with them. */
export interface LoopbackTls {
  key: string
  cert: string
}

/** One HTTP server on 127.0.0.1, listening between `listen()` and `close()`. */
export class LoopbackServer {
  private server: Server | undefined
  private baseUrl: string | undefined
  /**
   * The client-side port of every connection accepted, in order: the proxy e2e test matches them
   * with the ports its forwarding proxy connected from, to tell a proxied request from a direct one.
   */
  readonly peerPorts: number[] = []

  /** The base URL (`http://127.0.0.1:PORT`, https with `tls`) while listening; else undefined. */
  get url(): string | undefined {
    return this.baseUrl
  }

  /** Listens on `port` (0: a free one) with `handler`; resolves to the base URL. */
  async listen(handler: RequestListener, port = 0, tls?: LoopbackTls): Promise<string> {
    if (this.server !== undefined) throw new Error('LoopbackServer: already listening')
    const server: Server = tls ? createTlsServer(tls, handler) : createServer(handler)
    server.on('connection', socket => this.peerPorts.push(socket.remotePort ?? 0))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    const address = server.address() as AddressInfo
    this.server = server
    this.baseUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${String(address.port)}`
    return this.baseUrl
  }

  /** Closes the server and every open connection, keep-alive ones and held answers included. */
  async close(): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    this.baseUrl = undefined
    const closed = new Promise<void>(resolve => server.close(() => resolve()))
    server.closeAllConnections()
    await closed
  }
}
