/**
 * npm run demo: rotate a key end to end against the two emulators, with the bundled action run
 * exactly as the Actions runner runs it, then prove the outcome from the emulators' state.
 */
import { execFileSync } from 'node:child_process'
import { ACTION_NODE, runAction, leaks } from '../test/support/run-action.js'
import { ENV, REPO, startWorld } from '../test/support/world.js'

const bold = (s: string) => `\x1b[1m${s}\x1b[0m`
const world = await startWorld({ propagationCalls: 1 })
let failed: boolean
try {
  console.log(bold('\n== The world before the rotation'))
  console.log(`Hive emulator   ${world.hive.url}`)
  console.log(`GitHub emulator ${world.github.url}`)
  for (const k of world.hive.activeKeys()) {
    console.log(`  Hive key ${k.id} ${k.prefix}… ${k.permission.padEnd(10)} "${k.name}"`)
  }
  console.log(`  octo/app HIVE_API_KEY and environment production hold the CI key ${world.ci.id}`)
  console.log(
    '  (Hive will refuse the new key’s first request with 401, as a key not yet propagated: ' +
      'Hive’s answers to it are shown after the run)'
  )
  // The canary: a consumer workflow in octo/app that reads HIVE_API_KEY in its job and calls
  // Hive with it (the GitHub emulator runs it), dispatched after the store.
  world.github.hiveUrl = world.hive.url
  world.github.keyIdOf = value => world.hive.keys().find(k => k.value === value)?.id
  world.github.addWorkflow('octo/app', 'hive-smoke.yml', { runDelayMs: 100 })
  console.log('  octo/app has a consumer workflow hive-smoke.yml: the canary')

  const inputs = world.inputs({ 'canary-workflows': 'octo/app/hive-smoke.yml' })
  const version = execFileSync(ACTION_NODE, ['--version'], { encoding: 'utf8' }).trim()
  console.log(
    bold(`\n== Running dist/index.js on Node ${version} as the runner does, with these inputs`)
  )
  for (const [name, value] of Object.entries(inputs)) {
    const shown = /key|token/.test(name) ? '*** (secret)' : value.replace(/\n/g, ', ')
    console.log(`  INPUT_${name.toUpperCase()} = ${shown}`)
  }

  const run = await runAction({
    inputs,
    env: { ...world.env, GITHUB_SERVER_URL: 'https://github.com' }
  })
  console.log(bold(`\n== The log (exit code ${run.code}), masked as the runner masks it`))
  console.log(runnerMask(run.stdout + run.stderr))
  console.log(bold('== Outputs'))
  for (const [name, value] of Object.entries(run.outputs)) console.log(`  ${name} = ${value}`)
  console.log(bold('\n== Job summary (rendered as text)'))
  console.log(htmlToText(run.summary))

  // "The new key" is only ever a key this run created: never the old key, nor the admin key,
  // whatever the outputs say (after a refusal, key-id names the key the destinations still hold).
  const seeded = new Set([world.ci.id, world.admin.id])
  const created = world.hive.keys().filter(k => !seeded.has(k.id))
  const claimed = world.hive.key(run.outputs['key-id'] ?? '')
  const newKey = claimed && !seeded.has(claimed.id) ? claimed : undefined
  const nothingChanged =
    created.length === 0 &&
    world.hive.keys().every(k => k.revoked_at === null) &&
    world.github.secretWrites() === 0

  if (newKey) {
    console.log(bold(`\n== Hive's answers to the new key ${newKey.id}, from its request log`))
    for (const r of world.hive.requests.filter(q => q.presentedKeyId === newKey.id)) {
      console.log(`  ${r.method} ${r.path} ${r.status}`)
    }
  }

  console.log(
    bold(
      nothingChanged && run.code !== 0
        ? '\n== The action refused, nothing changed. Proof, from the emulators'
        : '\n== Proof, from the emulators'
    )
  )
  const checks: [string, boolean][] = []
  checks.push(['the action exited 0', run.code === 0])
  checks.push(['Hive holds a new key, named by the rotation', newKey !== undefined])
  if (nothingChanged) {
    checks.push([
      `nothing changed: both destinations still hold the old key ${world.ci.id}, Hive made no ` +
        'key and revoked none',
      world.github.secretValue(REPO, 'HIVE_API_KEY') === world.ci.value &&
        world.github.secretValue(ENV, 'HIVE_API_KEY') === world.ci.value
    ])
  }
  if (newKey) {
    const answers = world.hive.requests
      .filter(r => r.presentedKeyId === newKey.id)
      .map(r => r.status)
    checks.push([
      'Hive refused the new key’s first request with 401 (not yet propagated), then accepted it',
      answers[0] === 401 && answers.includes(200)
    ])
    checks.push([
      `repository secret octo/app HIVE_API_KEY opens to the new key ${newKey.id}`,
      world.github.secretValue(REPO, 'HIVE_API_KEY') === newKey.value
    ])
    checks.push([
      `environment secret octo/app/production HIVE_API_KEY opens to the new key`,
      world.github.secretValue(ENV, 'HIVE_API_KEY') === newKey.value
    ])
    checks.push([
      `the new key answers 200 on GET /executions-cli/executions`,
      (await world.statusOf(newKey.value)) === 200
    ])
  }
  const canary = world.github.runs('octo/app')[0]
  checks.push([
    `the canary run ${canary?.id} of hive-smoke.yml succeeded, reading the new key`,
    canary?.conclusion === 'success' && !!newKey && canary.usedKeyId === newKey.id
  ])
  checks.push([
    `the old key ${world.ci.id} answers 401`,
    (await world.statusOf(world.ci.value)) === 401
  ])
  const secretValues = [world.ci.value, world.admin.value, ...created.map(k => k.value)]
  checks.push([
    'no key value appears in the log, outputs or summary beyond ::add-mask::',
    leaks(run, secretValues.filter(Boolean)).length === 0
  ])
  for (const [what, ok] of checks) console.log(`  ${ok ? '✔' : '✘'} ${what}`)
  failed = checks.some(([, ok]) => !ok)
  console.log(
    failed ? bold('\nThe demo FAILED.') : bold('\nThe demo passed: rotated with no dead moment.')
  )
} finally {
  await world.stop()
}
process.exit(failed ? 1 : 0)

/** The runner replaces every value registered with ::add-mask:: by *** in what it shows. */
function runnerMask(log: string): string {
  const values = [...log.matchAll(/^::add-mask::(.+)$/gm)].map(m => m[1])
  let shown = log
  for (const v of values) shown = shown.split(v).join('***')
  return shown
}

function htmlToText(html: string): string {
  return html
    .replace(/<\/t[hd]>/g, ' | ')
    .replace(/<tr>/g, '  | ')
    .replace(/<\/tr>/g, '\n')
    .replace(/<h\d>(.*?)<\/h\d>/g, '\n$1\n')
    .replace(/<li>/g, '  - ')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
}
