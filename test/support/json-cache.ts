/**
 * Work the tests repeat in every file, done once per machine: jest gives every test file its own
 * module instances, so whatever a module computes "once" it computes again per file. Measured
 * over the whole suite: parsing action.yml and docs/hive-api.openapi.yaml cost about 15 s of CPU,
 * taking the PUT schemas from GitHub's 73 MB REST description 0.6 s and as much in GC per file.
 *
 * A result is kept as JSON in `node_modules/.cache/rotate-key/` under a name that says what it was
 * made from (a file's SHA-256, a package's version), so an edit or an upgrade makes it again;
 * `npm ci` starts over. It is written to a temporary file and renamed, so that a reader (another
 * jest worker) never meets half of it. Only plain data survives JSON, which is all these are.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CACHE = fileURLToPath(new URL('../../node_modules/.cache/rotate-key/', import.meta.url))

/** The value kept under `name`, if there is one and `usable` takes it; else `make()`'s, kept. */
export function cachedJson<T>(name: string, make: () => T, usable: (value: T) => boolean): T {
  const file = join(CACHE, name)
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as T
    if (usable(cached)) return cached
  } catch {
    // not kept yet, or unreadable: make it
  }
  const value = make()
  keep(file, JSON.stringify(value))
  return value
}

/** Writes `text` to a temporary file and renames it: another worker never reads half of it. */
function keep(file: string, text: string): void {
  mkdirSync(CACHE, { recursive: true })
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(partial, text)
  renameSync(partial, file)
}

/** A YAML file of this repository as a JSON value, parsed once per machine and content. */
export function readYaml(file: string): unknown {
  const text = readFileSync(file, 'utf8')
  const digest = createHash('sha256').update(text).digest('hex')
  return cachedJson<unknown>(
    `yaml-${digest}.json`,
    () => {
      const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml')
      return parse(text) as unknown
    },
    () => true
  )
}

/**
 * A CommonJS module generated once per machine and `name` (which must say what it was made from,
 * as for cachedJson), then loaded: the emulators' schema validators, compiled by Ajv into
 * standalone code. Loaded through `createRequire`, so under jest it is one more module of the
 * test file's registry: compiling that costs a test file a few milliseconds, against about 0.2 s
 * for loading Ajv and compiling the schemas again, in each of the suite's test files.
 */
export function cachedModule<T>(name: string, makeSource: () => string): T {
  const file = join(CACHE, name)
  const load = createRequire(import.meta.url)
  if (existsSync(file)) return load(file) as T
  keep(file, makeSource())
  return load(file) as T
}

/** The versions of Ajv and ajv-formats, which make cachedModule's validators: part of a name. */
export function ajvVersions(): string {
  const load = createRequire(import.meta.url)
  const version = (name: string) => (load(`${name}/package.json`) as { version: string }).version
  return `ajv ${version('ajv')}, ajv-formats ${version('ajv-formats')}`
}

/** SHA-256 of the parts, each length-prefixed so that no two lists give one digest. */
export function digestOf(...parts: string[]): string {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(`${part.length}:`).update(part)
  return hash.digest('hex')
}
