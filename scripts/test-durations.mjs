#!/usr/bin/env node
/**
 * Writes test/support/durations.json from a jest JSON result (`npm test -- --json
 * --outputFile=.tmp/jest.json`, as .ci/run writes it): how many seconds each test file took, for
 * test/support/sequencer.mjs to start the longest first on a machine where jest has no timings of
 * its own. Run it after adding a test file, or when the order seems off:
 *
 *   node scripts/test-durations.mjs .tmp/jest.json
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const input = process.argv[2]
if (!input) {
  console.error('usage: node scripts/test-durations.mjs JEST_JSON')
  process.exit(2)
}
const result = JSON.parse(readFileSync(input, 'utf8'))
const durations = {}
for (const file of result.testResults) {
  const path = relative(root, file.name)
  // Run from another clone (CI's): the path from its test/ folder on.
  const key = path.startsWith('..') ? file.name.slice(file.name.indexOf('/test/') + 1) : path
  durations[key] = Math.round((file.endTime - file.startTime) / 100) / 10
}
const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => a.localeCompare(b)))
const out = resolve(root, 'test/support/durations.json')
writeFileSync(out, JSON.stringify(sorted, null, 2) + '\n')
console.log(`${Object.keys(sorted).length} test files: ${relative(root, out)}`)
