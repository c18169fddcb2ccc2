/**
 * Reading a response body with a size cap, shared by the two HTTP wrappers (hive/http.ts and
 * github/octokit.ts): invariant 8, every response body has a size limit. The body is read as a
 * stream, so a huge one is never buffered whole, and the read stops at `signal` too, whatever the
 * underlying fetch does with it.
 */

/**
 * The whole body (empty when there is none), or undefined as soon as it passes `limit` bytes:
 * then the rest is left unread and the stream cancelled. A declared Content-Length past the limit
 * stops it before a byte is read. Rejects with the signal's reason once `signal` aborts.
 */
export async function readCapped(
  response: Response,
  limit: number,
  signal?: AbortSignal
): Promise<Uint8Array | undefined> {
  if (response.body === null) return new Uint8Array(0)
  const declared = Number(response.headers.get('content-length') ?? '')
  if (Number.isFinite(declared) && declared > limit) {
    await response.body.cancel().catch(() => undefined)
    return undefined
  }
  const reader = response.body.getReader()
  const aborted = new Promise<never>((_, reject) => {
    if (signal === undefined) return
    const stop = () => reject(signal.reason as Error)
    if (signal.aborted) stop()
    signal.addEventListener('abort', stop, { once: true })
  })
  aborted.catch(() => undefined) // raced below; never unhandled
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let next: Awaited<ReturnType<typeof reader.read>>
    try {
      next = await Promise.race([reader.read(), aborted])
    } catch (error) {
      await reader.cancel().catch(() => undefined)
      throw error
    }
    if (next.done) break
    size += next.value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(next.value)
  }
  const all = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    all.set(chunk, at)
    at += chunk.byteLength
  }
  return all
}
