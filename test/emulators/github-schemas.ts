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
import { cachedJson } from '../support/json-cache.js'

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
