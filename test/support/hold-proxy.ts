/**
 * A pass-through HTTP proxy on 127.0.0.1 that can hold one chosen request in flight, so that a
 * test can kill the action at exactly that moment.
 *
 * It stands in front of either emulator (hive-url or GITHUB_API_URL points at it) and forwards
 * every request unchanged. A hold picks the Nth request of a method and path and stops it either
 * before it reaches the emulator (phase 'request': the emulator never sees it) or after the
 * emulator answered (phase 'response': the request took effect, the client never hears of it).
 * `hold()` resolves when the request is held; the test then kills the client. Held requests are
 * never answered; `stop()` drops them.
 *
 * It is a wrapper rather than an emulator option so that neither emulator needs to change, and so
 * that "took effect, answer lost" can be provoked on any call, which emulator faults (answered
 * before the request takes effect) cannot.
 */
import http from 'node:http'
import { LoopbackServer } from '../emulators/loopback.js'

export interface Hold {
  method: string
  /** The path without the query string: equal to a string, or matching a RegExp. */
  path: string | RegExp
  /** 1-based count among the requests this hold matches; default 1. */
  nth?: number
  phase: 'request' | 'response'
}

interface ActiveHold extends Hold {
  seen: number
  signal: () => void
}

export class HoldingProxy {
  private readonly server = new LoopbackServer()
  private readonly holds: ActiveHold[] = []
  private readonly agent = new http.Agent({ keepAlive: false })

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    return this.server.listen((req, res) => {
      this.forward(req, res).catch(() => res.destroy())
    })
  }

  get url(): string {
    const url = this.server.url
    if (url === undefined) throw new Error('HoldingProxy: not started')
    return url
  }

  /** Resolves once a request matching `hold` is held. */
  hold(hold: Hold): Promise<void> {
    return new Promise(resolve => this.holds.push({ ...hold, seen: 0, signal: resolve }))
  }

  async stop(): Promise<void> {
    this.agent.destroy()
    await this.server.close()
  }

  private take(method: string, path: string): ActiveHold | undefined {
    let fired: ActiveHold | undefined
    for (const h of this.holds) {
      if (h.method.toUpperCase() !== method) continue
      if (typeof h.path === 'string' ? h.path !== path : !h.path.test(path)) continue
      h.seen += 1
      if (fired === undefined && h.seen === (h.nth ?? 1)) fired = h
    }
    return fired
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    const rawUrl = req.url ?? '/'
    const path = rawUrl.split('?')[0]
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const hold = this.take(method, path)
    if (hold?.phase === 'request') return hold.signal() // never forwarded, never answered

    const upstream = new URL(rawUrl, this.target)
    const answer = await new Promise<{
      status: number
      headers: http.IncomingHttpHeaders
      body: Buffer
    }>((resolve, reject) => {
      const out = http.request(
        upstream,
        { method, headers: { ...req.headers, host: upstream.host }, agent: this.agent },
        r => {
          const body: Buffer[] = []
          r.on('data', (c: Buffer) => body.push(c))
          r.on('end', () =>
            resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(body) })
          )
          r.on('error', reject)
        }
      )
      out.on('error', reject)
      out.end(Buffer.concat(chunks))
    })
    if (hold?.phase === 'response') return hold.signal() // done upstream, never answered
    const headers = { ...answer.headers }
    delete headers['transfer-encoding']
    delete headers.connection
    headers['content-length'] = String(answer.body.length)
    res.writeHead(answer.status, headers)
    res.end(answer.body)
  }
}
