/**
 * The JSON schema of every secret PUT's request body (`…/secrets/{secret_name}`), as GitHub's
 * REST description (`@octokit/openapi`, dereferenced) states it: what the GitHub emulator checks
 * each write against. The description is 73 MB; the schemas are taken from it once per machine
 * (support/json-cache.ts), under the package's version and the file's size. Kept apart from the
 * emulator so that jest's global set-up (support/global-setup.ts) can make them before the
 * workers start, without loading the emulator.
 */
import { readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Options, ValidateFunction } from 'ajv'
import type addFormatsModule from 'ajv-formats'
import { ajvVersions, cachedJson, cachedModule, digestOf } from '../support/json-cache.js'

type Description = {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } }>>
}

/** Every `…/secrets/{secret_name}` path of the description with a PUT body schema: its schema. */
export function putSecretSchemas(): Record<string, object> {
  const require = createRequire(import.meta.url)
  const file = require.resolve('@octokit/openapi/generated/api.github.com.deref.json')
  const { version } = require('@octokit/openapi/package.json') as { version: string }
  return cachedJson(
    `github-put-secret-schemas-${version}-${statSync(file).size}.json`,
    () => {
      const description = JSON.parse(readFileSync(file, 'utf8')) as Description
      const schemas: Record<string, object> = {}
      for (const [path, item] of Object.entries(description.paths)) {
        if (!path.endsWith('/secrets/{secret_name}')) continue
        const media = item.put?.requestBody?.content?.['application/json'] as
          { schema?: object } | undefined
        if (media?.schema !== undefined) schemas[path] = media.schema
      }
      return schemas
    },
    kept => typeof kept === 'object' && kept !== null && Object.keys(kept).length > 0
  )
}

// strict: false because the description carries OpenAPI-only keywords (`example`, ...).
// validateSchema: false: GitHub's schemas are GitHub's to get right. code.source: for the
// standalone code below.
const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: false,
  validateSchema: false,
  code: { source: true }
}

/**
 * A validator for each schema of putSecretSchemas, under the same path. Compiled by Ajv once per
 * machine into standalone code and loaded from there (support/json-cache.ts cachedModule): jest
 * gives every test file its own modules, and loading Ajv and compiling again in each file that
 * writes a secret was part of about 13 s of CPU over the suite. Named by the digest of the
 * schemas, Ajv's options and versions.
 */
export function putSecretValidators(): Record<string, ValidateFunction> {
  const require = createRequire(import.meta.url)
  const schemas = putSecretSchemas()
  const name = digestOf(JSON.stringify(schemas), JSON.stringify(AJV_OPTIONS), ajvVersions())
  return cachedModule(`github-put-secret-validators-${name}.cjs`, () => {
    const { Ajv } = require('ajv') as typeof import('ajv')
    const addFormats = require('ajv-formats') as typeof addFormatsModule
    const { default: standaloneCode } =
      require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js')
    const ajv = new Ajv(AJV_OPTIONS)
    addFormats.default(ajv)
    for (const [path, schema] of Object.entries(schemas)) ajv.addSchema(schema, path)
    return standaloneCode(ajv, Object.fromEntries(Object.keys(schemas).map(p => [p, p])))
  })
}
