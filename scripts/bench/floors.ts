/**
 * npm run bench:floors: what the libraries we keep cost before any code of ours runs, measured
 * the way `npm run bench` measures the action (the same timed subprocess, interleaved, medians of
 * 7, ratios to `node -e 0`). Two stand-ins are bundled with ncc, as dist/ is, into .tmp/floors:
 *
 *   core:      `@actions/core` alone, failing on a missing input (what a cold start must load
 *              at least: core's entry point brings its OIDC client, @actions/http-client and
 *              undici, whatever is used of it);
 *   libraries: core, @actions/github, the retry and throttling plugins and libsodium (ready, one
 *              value sealed): what a rotation must load at least, with no request sent.
 *
 * Each is printed beside dist/index.js's own cold start: the aims of issue 11 below these floors
 * can't be met by our code alone.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../../test/support/run-action.js'
import { DIST_ARGS, median, timed } from './measure.js'

const REPS = 7
const OUT = join(ROOT, '.tmp', 'floors')

const STAND_INS = {
  core: `import * as core from '@actions/core'
core.setFailed('Input required and not supplied: ' + (core.getInput('hive-url') || 'hive-url'))
`,
  libraries: `import * as core from '@actions/core'
const [github, retry, throttling, sodium] = await Promise.all([
  import('@actions/github'),
  import('@octokit/plugin-retry'),
  import('@octokit/plugin-throttling'),
  import('libsodium-wrappers')
])
await sodium.default.ready
const { publicKey } = sodium.default.crypto_box_keypair()
const sealed = sodium.default.crypto_box_seal('value', publicKey) // 48 + 5 bytes
core.info([sealed.length, typeof github.getOctokit, typeof retry.retry, typeof throttling.throttling].join(' '))
`
}

function build(name: keyof typeof STAND_INS): string {
  const dir = join(OUT, name)
  mkdirSync(dir, { recursive: true })
  // ncc resolves packages from the file's directory upwards: .tmp/ is inside the project.
  const source = join(dir, 'stand-in.ts')
  writeFileSync(source, STAND_INS[name])
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'ncc'),
    ['build', source, '-o', join(dir, 'out'), '-q'],
    { stdio: 'inherit' }
  )
  return join(dir, 'out', 'index.js')
}

/** Each command, and what it must have done to count: exit code and a line of its stdout. */
const commands: { name: string; args: string[]; code: number; said: RegExp }[] = [
  { name: 'node -e 0', args: ['-e', '0'], code: 0, said: /^$/ },
  { name: 'dist/index.js, no inputs', args: DIST_ARGS, code: 1, said: /::error::/ },
  { name: '@actions/core alone', args: [build('core')], code: 1, said: /::error::Input required/ },
  {
    name: 'the libraries, no request',
    args: [build('libraries')],
    code: 0,
    said: /^53 function function function$/m
  }
]
const ms = commands.map(() => [] as number[])
const rss = commands.map(() => [] as number[])
for (const { args } of commands) await timed(args) // warm-up: the page cache
for (let i = 0; i < REPS; i++) {
  for (const [j, { name, args, code, said }] of commands.entries()) {
    const run = await timed(args)
    // A stand-in that crashed (a missing file exits 1 too) must not pass as a fast one.
    if (run.code !== code || !said.test(run.stdout)) {
      throw new Error(`${name} exited ${run.code}\n${run.stdout}${run.stderr}`)
    }
    ms[j].push(run.ms)
    rss[j].push(run.rssMiB)
  }
}
const base = median(ms[0])
process.stdout.write(`Node ${process.version}; medians of ${REPS} interleaved runs\n`)
process.stdout.write('command | ms | / node -e 0 | peak RSS MiB\n---|---|---|---\n')
for (const [j, { name }] of commands.entries()) {
  const t = median(ms[j])
  process.stdout.write(
    `${name} | ${t.toFixed(1)} | ${(t / base).toFixed(2)}x | ${median(rss[j]).toFixed(1)}\n`
  )
}
