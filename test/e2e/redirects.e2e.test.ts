/**
 * End to end, redirects from the Hive API (invariant 6): `X-Api-Key` never follows one. A fault
 * answers 3xx with a Location on a second server that records whatever reaches it; the run must
 * fail, that server must see nothing, and Hive and GitHub must be as they were (or, when the
 * redirect meets the new key's test, the new key revoked and nothing else changed).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { ActionRun } from '../support/run-action.js'
import { startTrap, type Trap } from '../support/trap.js'
import {
  VERIFY_PATH,
  act,
  errorText,
  expectNewKeyRevokedNothingWritten,
  expectNothingRevoked,
  expectRefusedBeforeAnyChange,
  useWorld
} from './helpers.js'

const world = useWorld()

describe('a redirect from the Hive API is never followed', () => {
  let trap: Trap
  beforeEach(async () => {
    trap = await startTrap()
  })
  afterEach(async () => {
    await trap.close()
  })

  /** Makes Hive answer every `method path` (up to 10 times) with `status`, pointing at the trap. */
  function redirectToTrap(method: string, path: string, status: number) {
    world().hive.addFault({
      method,
      path,
      times: 10,
      status,
      headers: { Location: `${trap.url}${path}` }
    })
  }

  /** The redirect was not followed: nothing reached the trap, and the error names the redirect. */
  function expectNotFollowed(run: ActionRun, status: number) {
    expect(trap.requests).toEqual([])
    expect(errorText(run)).toContain(`redirect (${status})`)
  }

  it('a 302 on GET /api-keys/current stops the run before anything changes', async () => {
    const w = world()
    redirectToTrap('GET', '/api-keys/current', 302)
    const { run } = await expectRefusedBeforeAnyChange(w, w.inputs())

    // Not followed, and not retried either: the preflight's first round (the current key, the
    // admin key and the key list, sent together) is all Hive saw, each request once.
    expectNotFollowed(run, 302)
    expect(w.hive.requests.map(r => `${r.method} ${r.path} ${r.status}`).sort()).toEqual([
      'GET /api-keys 200',
      'GET /api-keys/current 302',
      'GET /api-keys/current 302'
    ])
    // GitHub was only read, in the same round.
    expect(w.github.requests.filter(r => r.method !== 'GET')).toEqual([])
    expect(errorText(run)).toContain(trap.url)
  }, 30_000)

  it('a 307 on POST /api-keys stops the run; nothing is created or written', async () => {
    const w = world()
    redirectToTrap('POST', '/api-keys', 307)
    const { run } = await expectRefusedBeforeAnyChange(w, w.inputs(), { creationStatuses: [307] })

    expectNotFollowed(run, 307)
    await expectNothingRevoked(w)
    expect(errorText(run)).toMatch(/creating the new key/)
  }, 30_000)

  it('a redirect while testing the new key: the key is not sent there, and is revoked', async () => {
    const w = world()
    redirectToTrap('GET', VERIFY_PATH, 308)
    const outcome = await act(w, w.inputs())

    expectNewKeyRevokedNothingWritten(w, outcome)
    expectNotFollowed(outcome.run, 308)
    expect(outcome.run.outputs.rotated).toBe('false')
  }, 30_000)
})
