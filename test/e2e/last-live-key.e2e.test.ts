/**
 * Issue 17, end to end against dist/index.js and dist/post/index.js: the run never revokes the
 * last live key, nor a key it can't prove it made.
 *
 * - A Hive whose create revokes the old key (Hive's own Generate button does): on every path that
 *   used to discard the new key, the new key is kept and every destination that can be written
 *   ends holding it.
 * - Two overlapping runs that create in the same second, one create answered 16 s late: neither
 *   revokes the other's key.
 * - The post step never revokes the admin key, even listed under the run's own name.
 * - A Hive that cuts names at 100 characters still converges after a kill.
 * - Orphans after a cancel: a clean-up DELETE that fails, a create answered after the cancel, a
 *   killed emergency run: the post step and one re-run at once leave no live key unheld.
 * - A deployment without the key API is said to be one.
 *
 * Each test asserts what the emulators hold afterwards.
 */
import type { ChildProcess } from 'node:child_process'
import { describe, expect, it } from '@jest/globals'
import { runAction, leaks, type ActionRun } from '../support/run-action.js'
import {
  cancelLikeRunner,
  runPostStep,
  SIGTERM_AFTER_MS,
  type CancelOutcome
} from '../support/runner.js'
import { runUntilHeld } from '../support/held-run.js'
import type { Hold } from '../support/hold-proxy.js'
import { nextRunKey } from '../support/inprocess.js'
import { expectConverged } from '../support/convergence.js'
import type { World } from '../support/world.js'
import {
  act,
  activeIds,
  errorText,
  expectCleanFailure,
  expectNoLeaks,
  heldBy,
  puts,
  ROTATION,
  SECRET,
  useWorld,
  warnings
} from './helpers.js'
import { REPO } from '../support/world.js'

const world = useWorld()

/** The recovery inputs: what a run needs once hive-api-key is dead. */
const RECOVERY = {
  permission: 'read-only',
  scope: 'engagements:eng_12,eng_40'
}

/** Hive's Generate button: every create revokes the key being rotated (the CI key). */
function createRevokesOldKey(w: World) {
  w.hive.options.createRevokes = () => w.ci.id
}

/** The keys Hive accepts that no destination holds (the admin key aside). */
function unheldLiveKeys(w: World): string[] {
  const held = new Set(Object.values(heldBy(w)))
  return activeIds(w).filter(id => id !== w.admin.id && !held.has(id))
}

/** Every destination holds `id`, and Hive accepts it. */
function expectAllHold(w: World, id: string) {
  expect(heldBy(w)).toEqual({ repo: id, 'env:production': id })
  expect(activeIds(w)).toContain(id)
}

function allSecrets(w: World, extra: string[] = []) {
  return [...w.hive.keys().map(k => k.value), ...extra]
}

async function runAgain(w: World, inputs: Record<string, string> = {}): Promise<ActionRun> {
  const run = await runAction({
    inputs: w.inputs({ 'hive-api-key': nextRunKey(w), ...inputs }),
    env: w.env,
    timeoutMs: 60_000
  })
  expect(leaks(run, allSecrets(w))).toEqual([])
  return run
}

/** The verify path's first request: the new key's first probe, in the test step. */
const FIRST_PROBE: Hold = { method: 'GET', path: '/executions-cli/executions', phase: 'request' }

/**
 * Runs the action until `hold` is held, then stops it: SIGKILL, or the runner's cancel sequence
 * ('cancel'). Resolves with the main step's run (for the post step) and the cancel outcome.
 */
async function stopWhenHeld(
  w: World,
  which: 'hive' | 'github',
  hold: Hold,
  how: 'kill' | 'cancel',
  inputs: Record<string, string> = {}
): Promise<{ main: ActionRun; cancel?: CancelOutcome }> {
  const held = await runUntilHeld(w, which, hold, inputs)
  try {
    if (how === 'kill') {
      held.child.kill('SIGKILL')
      return { main: await held.running }
    }
    const [cancel, main] = await Promise.all([cancelLikeRunner(held.child), held.running])
    return { main, cancel }
  } finally {
    await held.proxy.stop()
  }
}

describe('a Hive whose create revokes the old key', () => {
  it('a rotation notices, stores at once, and ends with every destination on the new key', async () => {
    const w = world()
    createRevokesOldKey(w)
    const outcome = await act(w, w.inputs())
    expectNoLeaks(outcome)
    expect(outcome.run.code).toBe(0)
    const [fresh] = outcome.created
    expectAllHold(w, fresh.id)
    expect(w.hive.accepts(w.ci.value)).toBe(false)
    expect(warnings(outcome.run).join('\n')).toMatch(/old key .* no longer answers/)
    // The window in which the consumers held a dead key is in the summary.
    expect(outcome.run.summary).toMatch(/held a dead key/)
    expect(outcome.run.summary).toMatch(/Retire the old key.*nothing to revoke/s)
    // Nothing was revoked by the run: Hive did it.
    expect(w.hive.requests.filter(r => r.method === 'DELETE')).toEqual([])
  })

  it.each([
    ['propagation longer than verify-timeout-seconds', { 'verify-timeout-seconds': '1' }],
    ['the verify path answering 503', {}]
  ])(
    'a new key that fails its test (%s) is kept and stored: the only live key',
    async (_name, inputs) => {
      const w = world()
      createRevokesOldKey(w)
      if (_name.startsWith('propagation')) w.hive.options.propagationCalls = 1000
      else w.hive.addFault({ path: '/executions-cli/executions', status: 503, times: 1000 })
      const outcome = await act(w, w.inputs(inputs))
      expectCleanFailure(outcome.run)
      expectNoLeaks(outcome)
      const [fresh] = outcome.created
      expectAllHold(w, fresh.id)
      expect(w.hive.requests.filter(r => r.method === 'DELETE')).toEqual([])
      expect(errorText(outcome.run)).toMatch(/kept and stored all the same/)
      expect(errorText(outcome.run)).not.toMatch(/every destination are unchanged/)
    },
    60_000
  )

  it('every destination refusing the write: the new key is kept, never revoked', async () => {
    const w = world()
    createRevokesOldKey(w)
    w.github.addFault({ method: 'PUT', path: /secrets\/HIVE_API_KEY$/, status: 403, times: 100 })
    const outcome = await act(w, w.inputs())
    expectCleanFailure(outcome.run)
    const [fresh] = outcome.created
    expect(w.hive.accepts(fresh.value)).toBe(true)
    expect(w.hive.requests.filter(r => r.method === 'DELETE')).toEqual([])
    expect(errorText(outcome.run)).toMatch(/no longer answers/)
    expect(errorText(outcome.run)).not.toMatch(/still holds a key that works/)
  })

  it('one of two destinations refusing: the other holds the new key, which stays live', async () => {
    const w = world()
    createRevokesOldKey(w)
    w.github.addFault({
      method: 'PUT',
      path: /environments\/production\/secrets\/HIVE_API_KEY$/,
      status: 403,
      times: 100
    })
    const outcome = await act(w, w.inputs())
    expectCleanFailure(outcome.run)
    const [fresh] = outcome.created
    expect(heldBy(w).repo).toBe(fresh.id)
    expect(w.hive.accepts(fresh.value)).toBe(true)
  })

  it('a self-managed key (no hive-admin-key): a failed test keeps and stores the new key', async () => {
    const w = world()
    // The CI key is its own admin here.
    const own = w.hive.seedKey({ name: 'self-managed CI key', permission: 'admin' })
    w.github.setSecretPlain(REPO, SECRET, own.value)
    w.github.setSecretPlain({ ...REPO, environment: 'production' }, SECRET, own.value)
    w.hive.options.createRevokes = () => own.id
    w.hive.options.propagationCalls = 1000
    const inputs = w.inputs({ 'hive-api-key': own.value, 'verify-timeout-seconds': '1' })
    delete inputs['hive-admin-key']
    const outcome = await act(w, inputs, { secrets: [own.value] })
    expectCleanFailure(outcome.run)
    const [fresh] = outcome.created
    expectAllHold(w, fresh.id)
  }, 60_000)

  it('SIGINT during the test: the clean-up keeps and stores the new key', async () => {
    const w = world()
    createRevokesOldKey(w)
    const { main: run, cancel } = await stopWhenHeld(w, 'hive', FIRST_PROBE, 'cancel')
    expect(cancel!.exitMs).toBeLessThan(SIGTERM_AFTER_MS)
    expect(run.code).toBe(1)
    const fresh = w.hive.keys().find(k => k.name.startsWith(ROTATION))!
    expectAllHold(w, fresh.id)
    expect(leaks(run, allSecrets(w))).toEqual([])
  }, 30_000)

  it('a kill in the test step, then the post step and a recovery: no live key left unheld', async () => {
    const w = world()
    createRevokesOldKey(w)
    const { main } = await stopWhenHeld(w, 'hive', FIRST_PROBE, 'kill')
    const fresh = w.hive.keys().find(k => k.name.startsWith(ROTATION))!
    const post = await runPostStep(main, { inputs: w.inputs(), env: w.env })
    expect(post.code).toBe(0)
    // The new key is the only live key: kept (its value died with the process), marked stopped.
    expect(w.hive.accepts(fresh.value)).toBe(true)
    expect(w.hive.key(fresh.id)!.name).toContain(' stopped ')
    // The destinations hold the dead key: the recovery, at once, is not refused as in flight.
    w.hive.options.createRevokes = undefined
    const again = await runAgain(w, RECOVERY)
    expect(again.code).toBe(0)
    expect(again.stdout).not.toMatch(/in flight/)
    expect(unheldLiveKeys(w)).toEqual([])
    expect(w.hive.accepts(fresh.value)).toBe(false)
  }, 60_000)
})

describe('two overlapping runs', () => {
  it('created in the same second, one answered 16 s late: neither revokes the other’s key', async () => {
    const w = world()
    // Both creates take effect after both preflights; the first is answered after 16 s, past the
    // run's 15 s deadline for a create.
    w.hive.delayCreate({ nth: 1, beforeEffectMs: 1_500, afterEffectMs: 16_000 })
    w.hive.delayCreate({ nth: 2, beforeEffectMs: 1_500 })
    const [a, b] = await Promise.all([act(w, w.inputs()), act(w, w.inputs())])
    const runs = [a.run, b.run]
    const ok = runs.filter(r => r.code === 0)
    expect(ok).toHaveLength(1)
    const keyOf = (r: ActionRun) => r.outputs['key-id']
    const winner = keyOf(ok[0])
    expectAllHold(w, winner)
    // The winner's key was never revoked; every key that was revoked is held by no destination.
    const revoked = w.hive.requests
      .filter(r => r.method === 'DELETE' && r.status === 204)
      .map(r => r.path.split('/').pop())
    expect(revoked).not.toContain(winner)
    for (const r of runs) expect(leaks(r, allSecrets(w))).toEqual([])
    // One more run converges: the loser's key, kept and marked stopped, is pruned.
    const again = await runAgain(w)
    expect(again.code).toBe(0)
    expectConverged(w, 'after two overlapping runs and one more')
  }, 90_000)
})

describe('the post step and what it may revoke', () => {
  it('killed mid-create, the list shows the admin key under the asked name, the old key’s check 503: nothing of theirs is revoked', async () => {
    const w = world()
    const { main } = await stopWhenHeld(
      w,
      'hive',
      {
        method: 'POST',
        path: '/api-keys',
        phase: 'response'
      },
      'kill'
    )
    const asked = w.hive.requests.find(r => r.method === 'POST')!.body as { name: string }
    w.hive.tamper({
      method: 'GET',
      path: '/api-keys',
      field: { name: 'name', value: asked.name, keyId: w.admin.id }
    })
    // The old key's check (GET /api-keys/{old id} with the old key) answers 503: state unknown.
    w.hive.addFault({ method: 'GET', path: `/api-keys/${w.ci.id}`, status: 503, times: 100 })
    w.hive.addFault({ method: 'GET', path: '/api-keys/current', status: 503, times: 100 })
    const post = await runPostStep(main, { inputs: w.inputs(), env: w.env })
    expect(post.code).toBe(0)
    expect(w.hive.accepts(w.admin.value)).toBe(true)
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    expect(
      w.hive.requests.filter(r => r.method === 'DELETE').map(r => r.path.split('/').pop())
    ).not.toContain(w.admin.id)
  }, 30_000)
})

describe('a Hive that cuts names at 100 characters', () => {
  it('a rotation renames its key to the rotation’s record, and warns', async () => {
    const w = world()
    w.hive.options.nameMaxLength = 100
    const outcome = await act(w, w.inputs())
    expect(outcome.run.code).toBe(0)
    const [fresh] = outcome.created
    // The record is the name the run asked for without its mark: its time is the run's clock
    // before the create, which may be a second behind Hive's created_at under load.
    const asked = (w.hive.requests.find(r => r.method === 'POST')!.body as { name: string }).name
    const at = /^.* run-[0-9a-f]{10} (\S+) replaces /.exec(asked)![1]
    expect(Date.parse(fresh.created_at) - Date.parse(at)).toBeGreaterThanOrEqual(0)
    expect(Date.parse(fresh.created_at) - Date.parse(at)).toBeLessThanOrEqual(5000)
    expect(w.hive.key(fresh.id)!.name).toBe(`${ROTATION} ${at} replaces ${w.ci.id}`)
    expect(warnings(outcome.run).join('\n')).toMatch(/cuts names at 100 characters/)
  })

  it('killed mid-store, the post step and two re-runs retire the old key', async () => {
    const w = world()
    w.hive.options.nameMaxLength = 100
    const { main } = await stopWhenHeld(
      w,
      'github',
      {
        method: 'PUT',
        path: /environments\/production\/secrets\/HIVE_API_KEY$/,
        phase: 'request'
      },
      'kill'
    )
    await runPostStep(main, { inputs: w.inputs(), env: w.env })
    for (let i = 0; i < 2; i++) await runAgain(w)
    expect(w.hive.accepts(w.ci.value)).toBe(false)
    expect(unheldLiveKeys(w)).toEqual([])
    expectConverged(w, 'after a kill, the post step and two re-runs with cut names')
  }, 90_000)
})

describe('no orphan after a cancel', () => {
  it('a clean-up DELETE answered 503: the post step revokes it, and a re-run at once proceeds', async () => {
    const w = world()
    // Every DELETE of the main step's clean-up answers 503 (retries included); Hive has
    // recovered by the time the post step runs.
    w.hive.addFault({ method: 'DELETE', path: /^\/api-keys\//, status: 503, times: 100 })
    const { main } = await stopWhenHeld(w, 'hive', FIRST_PROBE, 'cancel')
    const fresh = w.hive.keys().find(k => k.name.startsWith(ROTATION))!
    expect(w.hive.accepts(fresh.value)).toBe(true)
    w.hive.clearFaults()
    const post = await runPostStep(main, { inputs: w.inputs(), env: w.env })
    expect(post.code).toBe(0)
    expect(w.hive.accepts(fresh.value)).toBe(false)
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    const again = await runAgain(w)
    expect(again.code).toBe(0)
    expect(again.stdout).not.toMatch(/in flight/)
    expectConverged(w, 'after the post step and a re-run')
  }, 60_000)

  it('a create answered 3 s after the cancel: the post step finds it by the run’s mark and revokes it', async () => {
    const w = world()
    w.hive.delayCreate({ nth: 1, beforeEffectMs: 3_000 })
    let child: ChildProcess | undefined
    const running = runAction({
      inputs: w.inputs(),
      env: w.env,
      onStart: c => (child = c),
      timeoutMs: 60_000
    })
    // SIGINT once Hive has the create (it takes effect 3 s later, after the clean-up looked).
    while (!w.hive.requests.some(r => r.method === 'POST')) {
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    const [cancel, main] = await Promise.all([cancelLikeRunner(child!), running])
    expect(cancel.exitMs).toBeLessThan(SIGTERM_AFTER_MS)
    // The key exists now, made after the main step's clean-up looked for it.
    await new Promise(resolve => setTimeout(resolve, 3_500))
    const late = w.hive.keys().filter(k => k.name.startsWith(ROTATION))
    expect(late).toHaveLength(1)
    const post = await runPostStep(main, { inputs: w.inputs(), env: w.env })
    expect(post.code).toBe(0)
    expect(w.hive.accepts(late[0].value)).toBe(false)
    expect(unheldLiveKeys(w)).toEqual([])
    const again = await runAgain(w)
    expect(again.code).toBe(0)
    expect(again.stdout).not.toMatch(/in flight/)
  }, 60_000)

  it('a killed emergency run: its new key is marked stopped, and the recovery at once proceeds', async () => {
    const w = world()
    const { main } = await stopWhenHeld(
      w,
      'hive',
      { method: 'GET', path: '/executions-cli/executions', phase: 'request', nth: 2 },
      'kill',
      { mode: 'emergency' }
    )
    const fresh = w.hive.keys().find(k => k.name.startsWith(ROTATION))!
    await runPostStep(main, { inputs: w.inputs({ mode: 'emergency' }), env: w.env })
    expect(w.hive.key(fresh.id)!.name).toContain(' stopped ')
    expect(w.hive.accepts(fresh.value)).toBe(true)
    const again = await runAgain(w, RECOVERY)
    expect(again.code).toBe(0)
    expect(again.stdout).not.toMatch(/in flight/)
    expect(unheldLiveKeys(w)).toEqual([])
    expect(puts(w).length).toBeGreaterThan(0)
  }, 60_000)
})

describe('a deployment without the key API', () => {
  it('a 404 on GET /api-keys/current says so, names the path and hive-url, and changes nothing', async () => {
    const w = world()
    w.hive.addFault({ path: '/api-keys/current', status: 404, times: 100 })
    const outcome = await act(w, w.inputs())
    expectCleanFailure(outcome.run)
    expect(errorText(outcome.run)).toMatch(
      /404 to GET \/api-keys\/current: the deployment at hive-url .* does not serve the key API .*docs\/hive-api\.openapi\.yaml.*Nothing was changed/
    )
    expect(outcome.created).toEqual([])
    expect(puts(w)).toEqual([])
  })
})
