/**
 * A forwarding HTTP proxy on 127.0.0.1, the kind a self-hosted runner is given in HTTPS_PROXY /
 * HTTP_PROXY: `CONNECT host:port` opens a tunnel (what a client does for an https URL), and a
 * request in absolute form (`GET http://host:port/path`) is forwarded (plain http).
 *
 * It resolves names from the map it is given, and only those (plus loopback addresses): the
 * proxy e2e test points hive-url and GITHUB_API_URL at names under `.invalid`, which never
 * resolve, so a request that skips the proxy fails, and one that reaches it lands on an emulator.
 *
 * It records each target it was asked for (with the Proxy-Authorization sent, if any), and the
 * local port of every connection it opened upstream: an emulator's `peerPorts` that are all among them saw nothing but proxied requests.
 */
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'

export interface ProxiedRequest {
  /** 'connect' for a tunnel, 'forward' for a plain-http request in absolute form. */
  kind: 'connect' | 'forward'
  /** host:port as the client asked for it, e.g. `hive.invalid:43121`. */
  target: string
  /** For 'forward': the method and path (without the query string). */
  method?: string
  path?: string
  /** False when the proxy refused it (a name it can't resolve) or could not reach the target. */
  ok: boolean
  /** The Proxy-Authorization header the client sent, when it sent one. */
  authorization?: string
}

export class ForwardProxy {
  /** Every request the proxy was asked to carry, in order of arrival. */
  readonly requests: ProxiedRequest[] = []
  /** The local port of each upstream connection the proxy opened. */
  readonly upstreamPorts = new Set<number>()
  private server: http.Server | undefined
  private readonly sockets = new Set<net.Socket>()

  /** `names`: hostname -> address to connect to, e.g. { 'hive.invalid': '127.0.0.1' }. */
  constructor(private readonly names: Record<string, string>) {}

  /** The proxy's URL, for HTTPS_PROXY / HTTP_PROXY: `http://127.0.0.1:PORT`. */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => this.forward(req, res))
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
      this.tunnel(req, socket, head)
    )
    server.on('connection', socket => this.track(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    this.server = server
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    const closed = new Promise<void>(resolve => server.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    await closed
  }

  /** Targets asked for, each once, in order of first appearance. */
  targets(): string[] {
    return [...new Set(this.requests.map(r => r.target))]
  }

  private track(socket: net.Socket) {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }

  /** The address for a hostname: from the map, a loopback literal as it is, else undefined. */
  private resolve(hostname: string): string | undefined {
    const bare = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
    if (Object.hasOwn(this.names, bare)) return this.names[bare]
    if (/^127\.\d+\.\d+\.\d+$/.test(bare) || bare === '::1') return bare
    return undefined
  }

  /** Opens a TCP connection upstream and records its local port once connected. */
  private connect(address: string, port: number, onConnect: (upstream: net.Socket) => void) {
    const upstream = net.connect({ host: address, port })
    this.track(upstream)
    upstream.once('connect', () => {
      if (upstream.localPort !== undefined) this.upstreamPorts.add(upstream.localPort)
      onConnect(upstream)
    })
    return upstream
  }

  private tunnel(req: http.IncomingMessage, client: net.Socket, head: Buffer) {
    this.track(client)
    const target = req.url ?? ''
    const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target)
    const address = match ? this.resolve(match[1]) : undefined
    const record: ProxiedRequest = {
      kind: 'connect',
      target,
      ok: address !== undefined,
      ...authorization(req)
    }
    this.requests.push(record)
    if (match === null || address === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n')
      return
    }
    const upstream = this.connect(address, Number(match[2]), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.once('error', () => {
      record.ok = false
      if (client.writable) client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n')
    })
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse) {
    let url: URL | undefined
    try {
      url = new URL(req.url ?? '')
    } catch {
      url = undefined
    }
    if (url === undefined || url.protocol !== 'http:') {
      // Origin form (`GET /path`): a client that took the proxy for the server itself.
      res.writeHead(400, { Connection: 'close' }).end('not a proxy request\n')
      return
    }
    const port = Number(url.port || 80)
    const target = `${url.hostname}:${port}`
    const address = this.resolve(url.hostname)
    const record: ProxiedRequest = {
      kind: 'forward',
      target,
      method: req.method,
      path: url.pathname,
      ok: address !== undefined,
      ...authorization(req)
    }
    this.requests.push(record)
    if (address === undefined) {
      res.writeHead(502, { Connection: 'close' }).end('unknown host\n')
      return
    }
    const headers = { ...req.headers }
    delete headers['proxy-connection']
    delete headers['proxy-authorization']
    const upstreamRequest = http.request({
      method: req.method,
      path: url.pathname + url.search,
      headers,
      createConnection: (_options, done) =>
        this.connect(address, port, upstream => done(null, upstream))
    })
    upstreamRequest.on('response', answer => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstreamRequest.on('error', () => {
      record.ok = false
      if (!res.headersSent) res.writeHead(502, { Connection: 'close' }).end('upstream failed\n')
      else res.destroy()
    })
    req.pipe(upstreamRequest)
  }
}

function authorization(req: http.IncomingMessage): { authorization?: string } {
  const value = req.headers['proxy-authorization']
  return value === undefined ? {} : { authorization: value }
}
