/**
 * The post step (dist/post/index.js) run as the runner runs it (support/runner.ts): a new process
 * with the main step's INPUT_* and its saved state as STATE_* variables.
 *
 * - 'hand-made journals' runs today: a journal written as the main step would save it.
 * - 'after a SIGKILL at …' needs the main step's journal recording (helper R's branch): the main
 *   step is SIGKILLed with one request held in flight, the post step runs, then an immediate
 *   next run must converge without waiting out the in-flight window, or leave no orphan key.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { leaks, runAction, type ActionRun } from '../support/run-action.js'
import { parseState, runPostStep } from '../support/runner.js'
import { startWorld, TOKEN, type World } from '../support/world.js'
import type { HoldingProxy, Hold } from '../support/hold-proxy.js'
import { runUntilHeld } from '../support/held-run.js'
import { nextRunKey } from '../support/inprocess.js'
import {
  activeNonAdmin,
  expectConverged,
  expectEveryDestinationLive
} from '../support/convergence.js'
import { JOURNAL_VERSION, type JournalData } from '../../src/rotation/journal.js'
import { ROTATION, fromNow } from './helpers.js'
import { rsaKeyPair } from '../support/rsa-keys.js'

let world: World
let proxy: HoldingProxy | undefined

beforeEach(async () => {
  world = await startWorld()
})
afterEach(async () => {
  await proxy?.stop()
  proxy = undefined
  await world.stop()
})

const secrets = (extra: string[] = []) => [...world.hive.keys().map(k => k.value), TOKEN, ...extra]

/** A main step that saved only `journal`, as an ActionRun for runPostStep. */
function mainStepWith(journal: Partial<JournalData>): ActionRun {
  const old = world.hive.key(world.ci.id)!
  const data: JournalData = {
    v: JOURNAL_VERSION,
    started: new Date().toISOString(),
    mode: 'rotate',
    oldKey: { id: old.id, prefix: old.prefix, name: old.name, created_at: old.created_at },
    writesSent: [],
    writesConfirmed: [],
    revoked: [],
    todo: { revoke: [], findCreated: false },
    appTokens: [],
    ...journal
  }
  const d = 'ghadelimiter_0e5f'
  const state = `journal<<${d}\n${JSON.stringify({ v: 0 })}\n${d}\njournal<<${d}\n${JSON.stringify(data)}\n${d}\n`
  return {
    code: null,
    signal: 'SIGKILL',
    stdout: '',
    stderr: '',
    outputs: {},
    summary: '',
    everything: '',
    state,
    env: {}
  }
}

function seedNew(ageMs = 60_000) {
  const created = fromNow(-ageMs)
  const { id, value } = world.hive.seedKey({
    name: `${ROTATION} ${created} replaces ${world.ci.id}`,
    permission: 'read-only',
    scope: world.hive.key(world.ci.id)!.scope,
    createdAt: created,
    expiresAt: fromNow(29 * 86_400_000)
  })
  const k = world.hive.key(id)!
  return { id, value, key: { id, prefix: k.prefix, name: k.name, created_at: k.created_at } }
}

async function nextRun(): Promise<ActionRun> {
  const run = await runAction({
    inputs: world.inputs({ 'hive-api-key': nextRunKey(world) }),
    env: world.env,
    timeoutMs: 60_000
  })
  expect(leaks(run, secrets())).toEqual([])
  return run
}

describe('the post step, hand-made journals', () => {
  it('after a kill in the test step: revokes the new key, exits 0, says so in the summary', async () => {
    const fresh = seedNew()
    const post = await runPostStep(mainStepWith({ step: 'test', newKey: fresh.key }), {
      inputs: world.inputs(),
      env: world.env
    })
    expect(post.code).toBe(0)
    expect(world.hive.accepts(fresh.value)).toBe(false)
    expect(world.hive.accepts(world.ci.value)).toBe(true)
    expect(post.summary).toContain('Post step: clean-up after a killed run')
    expect(leaks(post, secrets())).toEqual([])
  }, 60_000)

  it('after a kill once a write landed: marks the key stopped, and the next run converges at once', async () => {
    const fresh = seedNew()
    world.github.setSecretPlain({ owner: 'octo', repo: 'app' }, 'HIVE_API_KEY', fresh.value)
    const post = await runPostStep(
      mainStepWith({
        step: 'store',
        newKey: fresh.key,
        writesSent: ['repo:octo/app'],
        writesConfirmed: ['repo:octo/app']
      }),
      { inputs: world.inputs(), env: world.env }
    )
    expect(post.code).toBe(0)
    expect(world.hive.key(fresh.id)!.name).toContain(' stopped ')
    expectEveryDestinationLive(world)
    const run = await nextRun()
    expect(run.code).toBe(0)
    expect(run.stdout).not.toMatch(/in flight/)
    expectConverged(world, 'after the post step and the next run')
  }, 90_000)

  it('is quiet after a main step that ended', async () => {
    const fresh = seedNew()
    const post = await runPostStep(mainStepWith({ newKey: fresh.key, ended: 'ok' }), {
      inputs: world.inputs(),
      env: world.env
    })
    expect(post.code).toBe(0)
    expect(post.summary).toBe('')
    expect(world.hive.accepts(fresh.value)).toBe(true)
  }, 60_000)

  it('revokes the App installation tokens of the journal; GitHub refuses them afterwards', async () => {
    const { privateKey } = rsaKeyPair('post-app')
    const tokens = ['ghs_post_step_token_one_0123456789ab', 'ghs_post_step_token_two_0123456789ab']
    for (const t of tokens)
      world.github.addToken(t, { label: 'installation 1 (octo)', owners: ['octo'] })
    const inputs = world.inputs()
    delete inputs['github-token']
    const post = await runPostStep(mainStepWith({ ended: 'ok', appTokens: tokens }), {
      inputs: { ...inputs, 'app-id': '424242', 'app-private-key': privateKey },
      env: world.env
    })
    expect(post.code).toBe(0)
    expect(world.github.revokedInstallationTokens().sort()).toEqual([...tokens].sort())
    for (const t of tokens) {
      const r = await fetch(`${world.github.url}/repos/octo/app/actions/secrets/public-key`, {
        headers: { Authorization: `Bearer ${t}` }
      })
      await r.arrayBuffer()
      expect(r.status).toBe(401)
    }
    expect(leaks(post, secrets([...tokens, privateKey]))).toEqual([])
  }, 60_000)
})

/** SIGKILLs the main step the moment `hold` is held; needs the main step's journal (merge). */
async function killAt(which: 'hive' | 'github', hold: Hold): Promise<ActionRun> {
  const held = await runUntilHeld(world, which, hold)
  proxy = held.proxy
  held.child.kill('SIGKILL')
  const run = await held.running
  expect(run.signal).toBe('SIGKILL')
  return run
}

const BOUNDARIES: [string, 'hive' | 'github', Hold][] = [
  [
    'preflight (GET /api-keys/current held)',
    'hive',
    { method: 'GET', path: '/api-keys/current', phase: 'request' }
  ],
  [
    'create in flight, Hive made the key',
    'hive',
    { method: 'POST', path: '/api-keys', phase: 'response' }
  ],
  [
    'test (probe of the new key held)',
    'hive',
    { method: 'GET', path: '/executions-cli/executions', nth: 2, phase: 'request' }
  ],
  [
    'store, before the first write',
    'github',
    { method: 'PUT', path: /\/secrets\/HIVE_API_KEY$/, phase: 'request' }
  ],
  [
    'store, first write landed',
    'github',
    { method: 'PUT', path: /\/secrets\/HIVE_API_KEY$/, phase: 'response' }
  ],
  [
    'retire (old key DELETE landed)',
    'hive',
    { method: 'DELETE', path: /^\/api-keys\//, phase: 'response' }
  ]
]

for (const [name, which, hold] of BOUNDARIES) {
  describe(`after a SIGKILL at ${name} `, () => {
    it('the post step, then an immediate next run, converge; no orphan key is left', async () => {
      const main = await killAt(which, hold)
      await proxy?.stop()
      proxy = undefined
      const post = await runPostStep(main, { inputs: world.inputs(), env: world.env })
      expect(post.code).toBe(0)
      expect(leaks(post, secrets())).toEqual([])
      expectEveryDestinationLive(world, 'after the post step')
      const run = await nextRun()
      expect(run.code).toBe(0)
      expect(run.stdout).not.toMatch(/another rotation seems to be in flight/i)
      expectConverged(world, 'after the next run')
      expect(activeNonAdmin(world)).toHaveLength(1)
    }, 120_000)
  })
}

describe('a hostile create answer, then a kill', () => {
  it('the create answered with the old key: the post step revokes only what this run made', async () => {
    // Hive answers the create with the key being rotated (its object and value); the run refuses
    // the answer and lists the keys to find what it really made: killed right there.
    world.hive.tamper({
      method: 'POST',
      path: '/api-keys',
      answerKey: { id: world.ci.id, withValue: true }
    })
    const main = await killAt('hive', {
      method: 'GET',
      path: '/api-keys',
      nth: 2,
      phase: 'request'
    })
    const journal = JSON.parse(parseState(main.state).journal ?? '{}') as {
      newKey?: unknown
      createSent?: unknown
    }
    expect(journal.createSent).toBeDefined()
    expect(journal.newKey).toBeUndefined() // the answer failed its checks: never journaled
    await proxy?.stop()
    proxy = undefined
    const made = world.hive.activeKeys().filter(k => ![world.ci.id, world.admin.id].includes(k.id))
    expect(made).toHaveLength(1) // Hive made one key, whatever it answered
    const post = await runPostStep(main, { inputs: world.inputs(), env: world.env })
    expect(post.code).toBe(0)
    expect(leaks(post, secrets())).toEqual([])
    // The old key stays: the destinations hold it. Only the key Hive really made is revoked.
    expect(world.hive.accepts(world.ci.value)).toBe(true)
    expect(world.hive.key(made[0].id)?.revoked_at).not.toBeNull()
    expectEveryDestinationLive(world, 'after the post step')
    expect(activeNonAdmin(world)).toEqual([world.ci.id])
  }, 90_000)
})

describe('App tokens after a real app-id run', () => {
  it('the post step revokes every installation token the main step minted', async () => {
    const { privateKey, publicKey } = rsaKeyPair('post-app-run')
    world.github.addApp('424242', publicKey)
    world.github.installApp('424242', 'octo')
    const inputs: Record<string, string> = {
      ...world.inputs(),
      'app-id': '424242',
      'app-private-key': privateKey
    }
    delete inputs['github-token']
    const main = await runAction({ inputs, env: world.env, timeoutMs: 60_000 })
    expect(main.code).toBe(0)
    const minted = world.github.installationTokens()
    expect(minted.length).toBeGreaterThan(0)
    const post = await runPostStep(main, { inputs, env: world.env })
    expect(post.code).toBe(0)
    expect(world.github.revokedInstallationTokens().sort()).toEqual([...minted].sort())
    expect(leaks(post, secrets([...minted, privateKey]))).toEqual([])
  }, 90_000)
})
