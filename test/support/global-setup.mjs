/**
 * jest's global set-up, in the main process before any worker starts: the per-machine work of
 * json-cache.ts is made here, once. Without it, on a fresh clone (CI: `npm ci` empties
 * node_modules/.cache) the six workers all start on a cold cache at the same moment, and each
 * parses GitHub's 73 MB REST description and the YAML files, and compiles the schemas, itself.
 * On a warm cache each of these is a file read.
 *
 * Plain JavaScript, loading the TypeScript modules through tsx: jest loads a global set-up
 * outside its module system, where the tests' `.js` → `.ts` mapping does not apply.
 */
import { fileURLToPath } from 'node:url'
import { tsImport } from 'tsx/esm/api'

export default async function globalSetup() {
  const { putSecretValidators } = await tsImport('../emulators/github-schemas.ts', import.meta.url)
  const { HiveContract } = await tsImport('../emulators/hive-contract.ts', import.meta.url)
  const { readYaml } = await tsImport('./json-cache.ts', import.meta.url)
  const file = path => fileURLToPath(new URL(`../../${path}`, import.meta.url))
  putSecretValidators() // and the schemas it is made from
  HiveContract.load() // and docs/hive-api.openapi.yaml as JSON
  readYaml(file('action.yml'))
}
