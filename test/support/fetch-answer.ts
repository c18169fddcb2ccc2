/** An HTTP answer read whole, for tests that call an emulator over real HTTP. */
export interface Answer<J> {
  status: number
  headers: Headers
  text: string
  /** The body parsed as JSON, or the caller's `otherwise` when it is not JSON (a 204, a raw body). */
  json: J
}

/** fetch(), reading the body as text and, where it is JSON, as JSON. */
export async function fetchAnswer<J>(
  url: string,
  init: RequestInit,
  otherwise: J
): Promise<Answer<J>> {
  const res = await fetch(url, init)
  const text = await res.text()
  let json = otherwise
  try {
    json = JSON.parse(text) as J
  } catch {
    // not JSON: keep `otherwise`
  }
  return { status: res.status, headers: res.headers, text, json }
}
