/**
 * Invariant 4 with real process kills: dist/index.js is SIGKILLed while one of its requests is in
 * flight, held by a proxy in front of the emulator (test/support/hold-proxy.ts), either before the
 * request reached the emulator or after it took effect with its answer lost. Then:
 *
 * - invariant 1 holds: every destination holds a key Hive accepts;
 * - nothing the killed run printed, wrote as output, summary or env file holds a key value;
 * - the next run, given what the repository's HIVE_API_KEY now holds, converges: one key in every
 *   destination, accepted, and no active key but it and the admin key.
 *
 * A key the killed run created and stored nowhere is under 10 minutes old when the next run starts
 * at once: that run must stop as "in flight" and change nothing. The emulator then backdates the
 * key by 11 minutes, as if the run had been killed that long ago, and the run after converges.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { leaks, runAction, type ActionRun } from '../support/run-action.js'
import { startWorld, TOKEN, type World } from '../support/world.js'
import type { HoldingProxy, Hold } from '../support/hold-proxy.js'
import { runUntilHeld } from '../support/held-run.js'
import { heldValue, nextRunKey } from '../support/inprocess.js'
import {
  activeNonAdmin,
  expectConverged,
  expectEveryDestinationLive,
  holdings,
  worldState
} from '../support/convergence.js'

const MINUTE = 60_000

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

/** Every key value Hive has ever issued here, and the token: none may appear outside a mask. */
function secrets(): string[] {
  return [...world.hive.keys().map(k => k.value), TOKEN]
}

function expectNoLeaks(run: ActionRun) {
  expect(leaks(run, secrets())).toEqual([])
}

/**
 * Runs the action with one request held by a proxy in front of `which` emulator, and SIGKILLs it
 * the moment that request is held.
 */
async function killAt(which: 'hive' | 'github', hold: Hold): Promise<ActionRun> {
  const held = await runUntilHeld(world, which, hold)
  proxy = held.proxy
  held.child.kill('SIGKILL')
  const run = await held.running
  expect(run.signal).toBe('SIGKILL')
  expectNoLeaks(run)
  return run
}

/** The next scheduled run: straight to the emulators, with the key the repository now holds. */
async function nextRun(): Promise<ActionRun> {
  const run = await runAction({
    inputs: world.inputs({ 'hive-api-key': nextRunKey(world) }),
    env: world.env,
    timeoutMs: 60_000
  })
  expectNoLeaks(run)
  return run
}

async function expectNextRunConverges() {
  const run = await nextRun()
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
  expect(run.outputs.rotated).toBe('true')
  expectConverged(world, 'after the next run')
  expect(run.outputs['key-id']).toBe(holdings(world).repo)
}

describe('the action killed with a request in flight', () => {
  it('during POST /api-keys, after Hive made the key: the next run stops as in flight, the one after converges', async () => {
    await killAt('hive', { method: 'POST', path: '/api-keys', phase: 'response' })
    // Hive holds a key whose value nobody ever saw; the destinations hold the old key.
    const orphan = world.hive.keys().at(-1)!
    expect(orphan.id).not.toBe(world.ci.id)
    expect(activeNonAdmin(world)).toEqual([world.ci.id, orphan.id])
    expect(holdings(world)).toEqual({ repo: world.ci.id, 'env:production': world.ci.id })
    expectEveryDestinationLive(world)

    // At once: stopped, nothing changed, no request but reads.
    const before = worldState(world)
    const requests = world.hive.requests.length
    const run = await nextRun()
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/Another rotation seems to be in flight/)
    expect(run.stdout).toContain(orphan.id)
    expect(world.hive.requests.slice(requests).filter(r => r.method !== 'GET')).toEqual([])
    expect(worldState(world)).toEqual(before)
    expectEveryDestinationLive(world)

    // 11 minutes later: the orphan is a leftover, revoked once every destination holds a new key.
    world.hive.backdate(orphan.id, 11 * MINUTE)
    await expectNextRunConverges()
    expect(world.hive.key(orphan.id)?.revoked_at).not.toBeNull()
  }, 90_000)

  it('during the first secret PUT, after GitHub stored it: the next run converges at once', async () => {
    await killAt('github', {
      method: 'PUT',
      path: /\/actions\/secrets\/HIVE_API_KEY$/,
      phase: 'response'
    })
    const fresh = world.hive.keys().at(-1)!
    expect(holdings(world)).toEqual({ repo: fresh.id, 'env:production': world.ci.id })
    expectEveryDestinationLive(world)

    await expectNextRunConverges()
    expect(world.hive.accepts(world.ci.value)).toBe(false)
    expect(world.hive.accepts(fresh.value)).toBe(false)
  }, 90_000)

  it('during the second secret PUT, before GitHub stored it: the next run converges at once', async () => {
    await killAt('github', {
      method: 'PUT',
      path: /\/secrets\/HIVE_API_KEY$/,
      nth: 2,
      phase: 'request'
    })
    // The repository holds the new key, the environment still the old one: both work.
    const fresh = world.hive.keys().at(-1)!
    expect(holdings(world)).toEqual({ repo: fresh.id, 'env:production': world.ci.id })
    expectEveryDestinationLive(world)
    expect(nextRunKey(world)).toBe(fresh.value)

    await expectNextRunConverges()
    expect(world.hive.accepts(world.ci.value)).toBe(false)
  }, 90_000)

  it("during the old key's DELETE, after Hive revoked it: the next run converges at once", async () => {
    await killAt('hive', {
      method: 'DELETE',
      path: `/api-keys/${world.ci.id}`,
      phase: 'response'
    })
    const fresh = world.hive.keys().at(-1)!
    expect(holdings(world)).toEqual({ repo: fresh.id, 'env:production': fresh.id })
    expect(world.hive.accepts(world.ci.value)).toBe(false)
    expectEveryDestinationLive(world)
    expect(heldValue(world)).toBe(fresh.value)

    await expectNextRunConverges()
  }, 90_000)
})
