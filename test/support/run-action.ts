/**
 * Runs the bundled action (dist/index.js) exactly as the GitHub Actions runner does: a node
 * process whose inputs arrive as INPUT_* variables (action.yml's defaults filled in, as the
 * runner fills them), with GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files and GITHUB_API_URL.
 * Used by the end-to-end tests and by the demo.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readYaml } from './json-cache.js'

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
export const DIST = join(ROOT, 'dist/index.js')
/**
 * The node that runs the action. The runner uses node24 (action.yml); this machine's node is 20.
 * .ci/run sets ACTION_NODE to a Node 24 binary to run the end-to-end tests on both.
 */
export const ACTION_NODE = process.env.ACTION_NODE || process.execPath

export interface ActionRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** Every byte the run left anywhere: log, outputs file, summary file, env file. */
  everything: string
  /** The GITHUB_STATE file's text (core.saveState), for the post step (support/runner.ts). */
  state: string
  /** The environment the step ran with (INPUT_* included), for the post step. */
  env: Record<string, string>
}

export interface RunOptions {
  inputs: Record<string, string>
  /** The script to run; default dist/index.js (support/runner.ts runs dist/post/index.js). */
  script?: string
  env?: Record<string, string>
  /** Node options before the script, e.g. `--import` of a recorder (wasm-flags.e2e). */
  nodeArgs?: string[]
  /** Called once the process has started, e.g. to kill it at a chosen moment. */
  onStart?: (child: ReturnType<typeof spawn>) => void
  timeoutMs?: number
}

let defaults: Record<string, string> | undefined

/** action.yml's defaults, read once per module instance. */
function actionDefaults(): Record<string, string> {
  if (defaults === undefined) {
    const action = readYaml(join(ROOT, 'action.yml')) as {
      inputs: Record<string, { default?: string }>
    }
    defaults = {}
    for (const [name, spec] of Object.entries(action.inputs)) {
      if (spec.default !== undefined) defaults[name] = String(spec.default)
    }
  }
  return defaults
}

/** The runner's own name for an input's variable. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

export async function runAction(options: RunOptions): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'rotate-key-run-'))
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_STATE: join(dir, 'state')
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'octo/app',
    GITHUB_WORKFLOW: 'Rotate Hive key',
    RUNNER_TEMP: dir,
    // The action's test hook (octokit.ts): no one-second spacing of writes against the loopback
    // GitHub emulator. A test of the spacing itself overrides it (an empty value is ignored).
    HIVE_ROTATE_KEY_WRITE_SPACING_MS: '0',
    // And the canary polls a dispatched run every 100 ms instead of every 5 s (main.ts).
    HIVE_ROTATE_KEY_CANARY_POLL_MS: '100',
    ...files,
    ...options.env
  }
  for (const [name, value] of Object.entries({ ...actionDefaults(), ...options.inputs })) {
    env[inputVariable(name)] = value
  }
  const child = spawn(ACTION_NODE, [...(options.nodeArgs ?? []), options.script ?? DIST], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => (stdout += chunk))
  child.stderr.on('data', chunk => (stderr += chunk))
  options.onStart?.(child)
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(done =>
    child.on('close', (c, s) => done([c, s]))
  )
  clearTimeout(timer)
  const read = (file: string) => readFileSync(file, 'utf8')
  const outputText = read(files.GITHUB_OUTPUT)
  const summary = read(files.GITHUB_STEP_SUMMARY)
  const state = read(files.GITHUB_STATE)
  const everything = [stdout, stderr, outputText, summary, read(files.GITHUB_ENV)].join('\n')
  rmSync(dir, { recursive: true, force: true })
  return {
    code,
    signal,
    stdout,
    stderr,
    outputs: parseOutputs(outputText),
    summary,
    everything,
    state,
    env
  }
}

/** Reads the runner's file-command format: `name<<DELIMITER\nvalue\nDELIMITER`. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (!match) continue
    const [, name, delimiter] = match
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i])
    outputs[name] = value.join('\n')
  }
  return outputs
}

/**
 * Where a secret value appears in a run's log, outputs, summary or env file, other than on the
 * runner's `::add-mask::` line. Empty means invariant 3 held.
 */
export function leaks(run: ActionRun, values: string[]): string[] {
  const found: string[] = []
  for (const value of values) {
    for (const line of run.everything.split('\n')) {
      if (line.includes(value) && line !== `::add-mask::${value}`) found.push(line)
    }
  }
  return found
}
