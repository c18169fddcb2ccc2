// Writes the licenses of every production dependency (package-lock.json, dev ones left out) to
// the files named on the command line, in ncc's own format: name, license, text. ncc's --license
// can't be used once the bundle has chunks: each chunk writes its own list to the same file, and
// the last one wins, dropping the packages of the others.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'))
const seen = new Map()
for (const [path, entry] of Object.entries(lock.packages)) {
  if (path === '' || entry.dev || entry.devOptional || entry.link) continue
  const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)
  const file = readdirSync(path).find(f => /^(licen[cs]e|copying)(\.|$)/i.test(f))
  const text = file ? readFileSync(join(path, file), 'utf8').trim() : ''
  const license =
    entry.license ??
    JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')).license ??
    'UNKNOWN'
  seen.set(`${name}@${entry.version}`, `${name}\n${license}\n${text}\n`)
}
const blocks = [
  ...new Set([...seen.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, b]) => b))
]
const out = blocks.join('\n')
for (const target of process.argv.slice(2)) writeFileSync(target, out)
