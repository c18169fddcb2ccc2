/**
 * A YAML file of this repository (action.yml, docs/hive-api.openapi.yaml) as a JSON value, parsed
 * once per machine. jest gives every test file its own module instances, so the yaml library is
 * loaded and warmed up again in each: measured over the whole suite, about 15 s of CPU went to
 * parsing these two files over and over. The value is kept in
 * `node_modules/.cache/rotate-key/` under the SHA-256 of the file's text, so an edited file is
 * parsed again; written to a temporary file and renamed, so that a reader never meets half of it.
 * Only plain data survives JSON, which is all these files hold (no dates, no anchors to keep).
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CACHE = fileURLToPath(new URL('../../node_modules/.cache/rotate-key/', import.meta.url))

export function readYaml(file: string): unknown {
  const text = readFileSync(file, 'utf8')
  const digest = createHash('sha256').update(text).digest('hex')
  const cached = join(CACHE, `yaml-${digest}.json`)
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as unknown
  } catch {
    // not cached yet
  }
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml')
  const value = parse(text) as unknown
  mkdirSync(CACHE, { recursive: true })
  const partial = `${cached}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(partial, JSON.stringify(value))
  renameSync(partial, cached)
  return value
}
