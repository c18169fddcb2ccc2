/**
 * Issue 19, end to end against dist/index.js: test the applications before the old key goes.
 *
 * A consumer workflow in the GitHub emulator does what a real job does with secrets: it reads the
 * secret it would see (its environment's own before the repository's), opens it, and calls Hive
 * with it, checking that /api-keys/current answers the hive-key-id it was given. The tests assert
 * what the emulators hold afterwards: which key every destination holds, which keys Hive accepts.
 *
 * Against the loopback emulator the canary polls every 100 ms (the test hook
 * HIVE_ROTATE_KEY_CANARY_POLL_MS that run-action.ts sets; a real GitHub is polled every 5 s).
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import type { ChildProcess } from 'node:child_process'
import { runAction, leaks, type ActionRun } from '../support/run-action.js'
import { cancelLikeRunner, runPostStep, SIGTERM_AFTER_MS } from '../support/runner.js'
import { nextRunKey } from '../support/inprocess.js'
import { expectConverged } from '../support/convergence.js'
import { startWorld, type World } from '../support/world.js'
import {
  act,
  errorText,
  expectCleanFailure,
  expectNoLeaks,
  expectRefusedBeforeAnyChange,
  heldBy,
  useWorld
} from './helpers.js'

const world = useWorld()
const SMOKE = 'octo/app/hive-smoke.yml'
const ENV = { GITHUB_SERVER_URL: 'https://github.com' }

/** The world's consumer: a workflow in octo/app that reads HIVE_API_KEY and calls Hive with it. */
function withConsumer(w: World, opts: Parameters<World['github']['addWorkflow']>[2] = {}) {
  w.github.hiveUrl = w.hive.url
  w.github.keyIdOf = value => w.hive.keys().find(k => k.value === value)?.id
  w.github.addWorkflow('octo/app', 'hive-smoke.yml', { runDelayMs: 100, ...opts })
}

function canaryOutput(run: ActionRun) {
  return JSON.parse(run.outputs.canary ?? '[]') as {
    workflow: string
    url: string
    conclusion: string
    'used-new-key': boolean | 'unknown'
  }[]
}

/** Every destination holds the key `id` (both destinations of the world). */
function expectAllHold(w: World, id: string) {
  expect(heldBy(w)).toEqual({ repo: id, 'env:production': id })
  expect(w.hive.activeKeys().map(k => k.id)).toContain(id)
}

describe('a canary that succeeds', () => {
  it('lets the rotation finish: the consumer ran with the new key, and Hive saw it used', async () => {
    const w = world()
    withConsumer(w)
    const outcome = await act(w, w.inputs({ 'canary-workflows': SMOKE }), { env: ENV })
    expectNoLeaks(outcome)
    expect(outcome.run.code).toBe(0)
    const [fresh] = outcome.created
    expectAllHold(w, fresh.id)
    expect(w.hive.accepts(w.ci.value)).toBe(false)
    const [run] = w.github.runs('octo/app')
    expect(run).toMatchObject({
      conclusion: 'success',
      usedKeyId: fresh.id,
      inputs: { 'hive-key-id': fresh.id }
    })
    // The key's value is never an input.
    expect(JSON.stringify(w.github.dispatches())).not.toContain(fresh.value)
    expect(canaryOutput(outcome.run)).toEqual([
      {
        workflow: SMOKE,
        url: `https://github.com/octo/app/actions/runs/${run.id}`,
        conclusion: 'success',
        'used-new-key': true
      }
    ])
    expect(outcome.run.summary).toContain('Canary runs')
  }, 60_000)

  it('falls back on a server without return_run_details (GHES 3.20): the run is found by its title', async () => {
    const w = await startWorld({}, { ghesVersion: '3.20' })
    try {
      withConsumer(w)
      const outcome = await act(w, w.inputs({ 'canary-workflows': SMOKE }), { env: ENV })
      expect(outcome.run.code).toBe(0)
      const dispatches = w.github.dispatches()
      expect(dispatches.map(d => d.status)).toEqual([400, 204])
      expect(w.github.runs('octo/app')[0].conclusion).toBe('success')
      expectAllHold(w, outcome.created[0].id)
    } finally {
      await w.stop()
    }
  }, 60_000)
})

describe('a canary that fails rolls every destination back to the old key', () => {
  it('a failing consumer: the old key back everywhere, the new key revoked, the failed step named', async () => {
    const w = world()
    withConsumer(w, { behaviour: 'fail' })
    const outcome = await act(w, w.inputs({ 'canary-workflows': SMOKE }), { env: ENV })
    expectCleanFailure(outcome.run)
    expectNoLeaks(outcome)
    const [fresh] = outcome.created
    expectAllHold(w, w.ci.id)
    expect(w.hive.accepts(fresh.value)).toBe(false)
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expect(errorText(outcome.run)).toMatch(/canary failed.*failure.*Run the tests/s)
    expect(errorText(outcome.run)).toMatch(/Rolled back: every destination holds the old key/)
    expect(canaryOutput(outcome.run)[0].conclusion).toBe('failure')
    expect(outcome.run.outputs.rotated).toBe('false')
  }, 60_000)

  it('an environment secret that shadows the repository secret: every write succeeded, the canary fails, and it rolls back', async () => {
    const w = world()
    // The consumer's job runs in the environment production, whose own HIVE_API_KEY (the old
    // key) shadows the repository secret the rotation writes.
    withConsumer(w, { environment: 'production' })
    const outcome = await act(
      w,
      w.inputs({ destinations: 'repo:octo/app', 'canary-workflows': SMOKE }),
      { env: ENV }
    )
    expectCleanFailure(outcome.run)
    const [fresh] = outcome.created
    const [run] = w.github.runs('octo/app')
    expect(run).toMatchObject({ secretFrom: 'environment', usedKeyId: w.ci.id })
    expect(heldBy(w)).toEqual({ repo: w.ci.id, 'env:production': w.ci.id })
    expect(w.hive.accepts(fresh.value)).toBe(false)
    expect(w.hive.accepts(w.ci.value)).toBe(true)
  }, 60_000)

  it('a consumer that does not declare the inputs: a canary failure that names them, rolled back', async () => {
    const w = world()
    withConsumer(w, { inputs: ['hive-key-id'] })
    const outcome = await act(w, w.inputs({ 'canary-workflows': SMOKE }), { env: ENV })
    expectCleanFailure(outcome.run)
    expect(errorText(outcome.run)).toMatch(
      /must declare the workflow_dispatch inputs hive-key-id and canary-id/
    )
    expectAllHold(w, w.ci.id)
    expect(w.hive.accepts(outcome.created[0].value)).toBe(false)
  }, 60_000)

  it('a rollback write that fails revokes nothing: both keys stay live', async () => {
    const w = world()
    withConsumer(w, { behaviour: 'fail' })
    // The store's two writes pass; the rollback's first write is refused.
    w.github.addFault({ method: 'PUT', path: /secrets\/HIVE_API_KEY$/, nth: 3, status: 403 })
    const outcome = await act(w, w.inputs({ 'canary-workflows': SMOKE }), { env: ENV })
    expectCleanFailure(outcome.run)
    const [fresh] = outcome.created
    expect(w.hive.accepts(fresh.value)).toBe(true)
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expect(errorText(outcome.run)).toMatch(/nothing was revoked and both keys stay active/)
  }, 60_000)
})

describe('before anything changes', () => {
  it('a missing or disabled canary workflow is refused in the preflight', async () => {
    const w = world()
    withConsumer(w, { state: 'disabled_manually' })
    const outcome = await expectRefusedBeforeAnyChange(
      w,
      w.inputs({ 'canary-workflows': `${SMOKE}\nocto/app/missing.yml` })
    )
    const text = errorText(outcome.run)
    expect(text).toMatch(/octo\/app\/hive-smoke\.yml: .*not active/)
    expect(text).toMatch(/octo\/app\/missing\.yml: GitHub answered 404/)
  }, 30_000)

  it('a malformed canary-workflows line is an input problem', async () => {
    const w = world()
    const outcome = await expectRefusedBeforeAnyChange(
      w,
      w.inputs({ 'canary-workflows': 'octo/app\nocto/app/x.txt', 'canary-timeout-minutes': '0' })
    )
    const text = errorText(outcome.run)
    expect(text).toMatch(/canary-workflows: "octo\/app" is not OWNER\/REPO\/WORKFLOW_FILE/)
    expect(text).toMatch(/canary-workflows: "octo\/app\/x.txt"/)
    expect(text).toMatch(/canary-timeout-minutes must be a whole number from 1 to 360/)
  }, 30_000)

  it('dry-run lists the runs it would dispatch', async () => {
    const w = world()
    withConsumer(w)
    const outcome = await act(w, w.inputs({ 'canary-workflows': SMOKE, 'dry-run': 'true' }), {
      env: ENV
    })
    expect(outcome.run.code).toBe(0)
    expect(outcome.run.stdout).toMatch(/Dispatch octo\/app\/hive-smoke\.yml with the new key/)
    expect(w.github.dispatches()).toEqual([])
  }, 30_000)
})

describe('stopped during the canary', () => {
  async function startHanging(w: World) {
    withConsumer(w, { behaviour: 'hang' })
    let child: ChildProcess | undefined
    const running = runAction({
      inputs: w.inputs({ 'canary-workflows': SMOKE }),
      env: { ...w.env, ...ENV },
      onStart: c => (child = c),
      timeoutMs: 60_000
    })
    while (w.github.runs('octo/app').length === 0) {
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return { child: () => child!, running }
  }

  afterEach(() => undefined)

  it('SIGINT: the dispatched run is cancelled, both keys kept; the post step and a re-run converge', async () => {
    const w = world()
    const { child, running } = await startHanging(w)
    const [cancel, main] = await Promise.all([cancelLikeRunner(child()), running])
    expect(cancel.exitMs).toBeLessThan(SIGTERM_AFTER_MS)
    expect(main.code).toBe(1)
    expect(w.github.runs('octo/app')[0].cancelRequested).toBe(true)
    const fresh = w.hive.keys().at(-1)!
    expectAllHold(w, fresh.id)
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    await runPostStep(main, { inputs: w.inputs({ 'canary-workflows': SMOKE }), env: w.env })
    w.github.workflow('octo/app', 'hive-smoke.yml').behaviour = 'consumer'
    const again = await runAction({
      inputs: w.inputs({ 'hive-api-key': nextRunKey(w), 'canary-workflows': SMOKE }),
      env: { ...w.env, ...ENV },
      timeoutMs: 60_000
    })
    expect(again.code).toBe(0)
    expect(
      leaks(
        again,
        w.hive.keys().map(k => k.value)
      )
    ).toEqual([])
    expectConverged(w, 'after a cancel during the canary and one re-run')
  }, 90_000)

  it('a kill: both keys live; the post step and a re-run converge', async () => {
    const w = world()
    const { child, running } = await startHanging(w)
    child().kill('SIGKILL')
    const main = await running
    const fresh = w.hive.keys().at(-1)!
    expectAllHold(w, fresh.id)
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    await runPostStep(main, { inputs: w.inputs({ 'canary-workflows': SMOKE }), env: w.env })
    expect(w.hive.key(fresh.id)!.name).toContain(' stopped ')
    w.github.workflow('octo/app', 'hive-smoke.yml').behaviour = 'consumer'
    const again = await runAction({
      inputs: w.inputs({ 'hive-api-key': nextRunKey(w), 'canary-workflows': SMOKE }),
      env: { ...w.env, ...ENV },
      timeoutMs: 60_000
    })
    expect(again.code).toBe(0)
    expect(again.stdout).not.toMatch(/in flight/)
    expectConverged(w, 'after a kill during the canary and one re-run')
  }, 90_000)
})
