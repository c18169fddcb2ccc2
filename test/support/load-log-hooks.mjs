// The hooks of load-log.mjs (they run off the main thread): every load is logged, then done as usual.
import { appendFileSync } from 'node:fs'

export async function load(url, context, nextLoad) {
  const file = process.env.ROTATE_KEY_LOAD_LOG
  if (file) appendFileSync(file, `${url}\n`)
  return nextLoad(url, context)
}
