/**
 * Failures that last, in process: a destination that refuses its write for good, and a leftover
 * key Hive will not revoke. What the failed run leaves, what the next run does (at once, and after
 * the in-flight window), and that the world converges once the cause is gone. docs/rotation.md
 * and docs/recovery.md describe exactly these outcomes.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { startWorld, type World } from '../support/world.js'
import { Clock, inProcess, nextRunKey, useClock } from '../support/inprocess.js'
import { crashAt, runUntilCrash } from '../support/crash.js'
import {
  expectConverged,
  expectEveryDestinationLive,
  holdings,
  worldState
} from '../support/convergence.js'

const MINUTE = 60_000
const REPO_PUT = '/repos/octo/app/actions/secrets/HIVE_API_KEY'
const ENV_PUT = '/repos/octo/app/environments/production/secrets/HIVE_API_KEY'

let world: World
let clock: Clock
beforeEach(async () => {
  world = await startWorld()
  clock = useClock(world)
})
afterEach(() => world.stop())

/** A run as the next scheduled one: the key the repository's secret holds now. */
function next(inputs: Record<string, string> = {}) {
  return inProcess(world, {
    clock,
    githubPlugins: false,
    inputs: { 'hive-api-key': nextRunKey(world), ...inputs }
  })
}

async function failure(run: Promise<void>): Promise<string> {
  return run.then(
    () => 'finished',
    (e: Error) => e.message
  )
}

/** The key Hive made last: the one the last rotation created. */
const newest = () => world.hive.keys().at(-1)!

describe('a destination that refuses its write for good', () => {
  it("the workflow's own secret: the next run waits out the in-flight window, then converges", async () => {
    world.github.addFault({ method: 'PUT', path: REPO_PUT, status: 403, times: Infinity })
    const message = await failure(next().start())
    const fresh = newest()

    // The environment holds the new key, the repository the old one: both work, neither revoked.
    expect(message).toMatch(/1 of 2 destination\(s\) could not be written/)
    expect(message).toContain(`The new key ${fresh.id} stays active`)
    expect(message).toContain(`The old key ${world.ci.id} was not revoked`)
    // It says when a rerun given the old key stops taking the new key for a run in flight.
    const until = new Date(Date.parse(fresh.created_at) + 10 * MINUTE)
    expect(message).toContain(`before ${until.toISOString().replace('.000Z', 'Z')} stops`)
    expect(holdings(world)).toEqual({ repo: world.ci.id, 'env:production': fresh.id })
    expectEveryDestinationLive(world)

    // Fixed at once and run again: the new key is newer than the one the repository holds and
    // under 10 minutes old, so the run stops as if that run were still going, changing nothing.
    world.github.clearFaults()
    const before = worldState(world)
    const stopped = await failure(next().start())
    expect(stopped).toMatch(/in flight/)
    expect(stopped).toContain(fresh.id)
    expect(worldState(world)).toEqual(before)

    // After the time the message names, the run goes ahead and revokes the earlier new key.
    clock.advance(11 * MINUTE)
    await next().start()
    expectConverged(world)
    expect(world.hive.key(fresh.id)?.revoked_at).not.toBeNull()
  })

  it('another destination: the next run, given the new key, converges at once', async () => {
    world.github.addFault({ method: 'PUT', path: ENV_PUT, status: 503, times: Infinity })
    const message = await failure(next().start())
    const fresh = newest()
    expect(message).toMatch(/It is not known whether a write landed; running again is safe/)
    expect(holdings(world)).toEqual({ repo: fresh.id, 'env:production': world.ci.id })
    expectEveryDestinationLive(world)

    world.github.clearFaults()
    expect(nextRunKey(world)).toBe(fresh.value)
    await next().start()
    expectConverged(world)
    // The old key was the recorded predecessor of the new one: pruned, although made by hand.
    expect(world.hive.key(world.ci.id)?.revoked_at).not.toBeNull()
  })

  it('every destination, definitely: the new key is revoked and nothing else changed', async () => {
    for (const path of [REPO_PUT, ENV_PUT]) {
      world.github.addFault({ method: 'PUT', path, status: 403, times: Infinity })
    }
    const message = await failure(next().start())
    const fresh = newest()
    expect(message).toContain(
      `No destination holds the new key, and the old key answered just now, so the new key ${fresh.id} was revoked`
    )
    expect(world.hive.accepts(fresh.value)).toBe(false)
    expect(holdings(world)).toEqual({ repo: world.ci.id, 'env:production': world.ci.id })

    // Nothing is in flight: the next run goes ahead at once.
    world.github.clearFaults()
    await next().start()
    expectConverged(world)
  })
})

describe('a leftover that Hive will not revoke', () => {
  it('is a warning, not a failure: every destination is rotated, and the next run revokes it', async () => {
    // A run killed between creating its key and storing it leaves an orphan key.
    const crash = crashAt({ port: 'secrets', method: 'write', nth: 1, when: 'before' })
    const killed = inProcess(world, { clock, githubPlugins: false, wrap: crash.wrap })
    expect(await runUntilCrash(killed.start(), crash.crashed)).toEqual({ outcome: 'crashed' })
    const orphan = newest()
    clock.advance(11 * MINUTE)

    world.hive.addFault({
      method: 'DELETE',
      path: `/api-keys/${orphan.id}`,
      status: 503,
      times: Infinity
    })
    const run = next()
    await run.start()
    const warnings = run.events.filter(([kind]) => kind === 'warning').map(([, m]) => m)
    expect(warnings.join('\n')).toMatch(/Could not revoke 1 leftover key\(s\).*next run retries/s)
    expect(warnings.join('\n')).toContain(orphan.id)
    expect(run.report.rotated).toBe(true)
    expect(world.hive.accepts(orphan.value)).toBe(true)
    expectEveryDestinationLive(world)

    world.hive.clearFaults()
    await next().start()
    expectConverged(world)
    expect(world.hive.accepts(orphan.value)).toBe(false)
  })
})

describe('a retire step that fails after the revocation', () => {
  // The old key's name is the only record of the key it replaced (here one made by hand). The
  // prune step runs before the retire step, so a retire that fails after Hive revoked the old key
  // (its 401 can't be confirmed: the verify path answers 503 for good) has already pruned it.
  it('the predecessor of the revoked old key is pruned before the old key is revoked', async () => {
    // Run 1 was killed after its first write: the repository holds its key, which names the
    // hand-made key as the one it replaced.
    const crash = crashAt({ port: 'secrets', method: 'write', nth: 1, when: 'after' })
    const killed = inProcess(world, { clock, githubPlugins: false, wrap: crash.wrap })
    expect(await runUntilCrash(killed.start(), crash.crashed)).toEqual({ outcome: 'crashed' })
    const first = newest()

    // Run 2 revokes run 1's key, then cannot confirm it: the verify path answers 503 for good.
    world.hive.addFault({
      method: 'GET',
      path: '/executions-cli/executions',
      nth: 2,
      status: 503,
      times: Infinity
    })
    const message = await failure(next().start())
    expect(message).toMatch(/503/)
    expect(world.hive.accepts(first.value)).toBe(false)
    expect({ handMadeKeyActive: world.hive.accepts(world.ci.value) }).toEqual({
      handMadeKeyActive: false
    })
    expectEveryDestinationLive(world)

    world.hive.clearFaults()
    clock.advance(11 * MINUTE)
    await next().start()
    expect({ handMadeKeyActive: world.hive.accepts(world.ci.value) }).toEqual({
      handMadeKeyActive: false
    })
    expectConverged(world)
  })
})
