/**
 * Issue 18, end to end against dist/index.js: one answer is not a verdict.
 *
 * - A single 401 on hive-api-key (Hive's own JSON, or a gateway's HTML page) never turns a
 *   rotation into a recovery, nor an emergency into one that skips its revocation.
 * - Two 401s are a dead key only when the admin's key list agrees (no active key with its prefix).
 * - An emergency always revokes the compromised key first: made by hand, or by this rotation.
 * - A recovery's key names the key it replaces (by prefix), and a later run that finds that key
 *   alive retires it.
 */
import { describe, expect, it } from '@jest/globals'
import {
  act,
  activeIds,
  errorText,
  expectCleanFailure,
  expectNoLeaks,
  expectNothingChanged,
  heldBy,
  ROTATION,
  snapshot,
  useWorld,
  warnings
} from './helpers.js'
import type { World } from '../support/world.js'

const world = useWorld()

const RECOVERY = { permission: 'read-only', scope: 'engagements:eng_12,eng_40' }

/**
 * Hive answers 401 to hive-api-key's read of itself: JSON, or a gateway page. The preflight's
 * reads of /api-keys/current are hive-api-key's (#1), the admin key's (#2), then hive-api-key's
 * second ask a moment later (#3): `twice` answers both of hive-api-key's.
 */
function unauthorizedOnce(w: World, kind: 'json' | 'html', twice = false) {
  for (const nth of twice ? [1, 3] : [1]) {
    w.hive.addFault({
      method: 'GET',
      path: '/api-keys/current',
      nth,
      status: 401,
      ...(kind === 'html'
        ? {
            contentType: 'text/html',
            body: '<html><body><h1>401 Authorization Required</h1></body></html>'
          }
        : {})
    })
  }
}

describe('a single 401 on hive-api-key', () => {
  it.each(['json', 'html'] as const)(
    'mode rotate, one %s 401: a normal rotation, the old key retired, no recovery',
    async kind => {
      const w = world()
      unauthorizedOnce(w, kind)
      const outcome = await act(w, w.inputs(RECOVERY))
      expectNoLeaks(outcome)
      expect(outcome.run.code).toBe(0)
      const [fresh] = outcome.created
      expect(heldBy(w)).toEqual({ repo: fresh.id, 'env:production': fresh.id })
      expect(w.hive.accepts(w.ci.value)).toBe(false)
      expect(outcome.run.outputs['revoked-key-ids']).toBe(w.ci.id)
      expect(warnings(outcome.run).join('\n')).not.toMatch(/RECOVERY/)
      expect(fresh.name).toContain(`replaces ${w.ci.id}`)
    },
    30_000
  )

  it.each(['json', 'html'] as const)(
    'mode emergency, one %s 401: the compromised key (made by hand) is revoked all the same',
    async kind => {
      const w = world()
      unauthorizedOnce(w, kind)
      const outcome = await act(w, w.inputs({ mode: 'emergency', ...RECOVERY }))
      expectNoLeaks(outcome)
      expect(outcome.run.code).toBe(0)
      expect(w.hive.accepts(w.ci.value)).toBe(false)
      expect(outcome.run.outputs['revoked-key-ids'].split(',')).toContain(w.ci.id)
      expect(outcome.run.outputs.rotated).toBe('true')
    },
    30_000
  )
})

describe('two 401s: the admin key list has the last word', () => {
  it('mode rotate: the list shows the key active, so the run stops with nothing changed', async () => {
    const w = world()
    unauthorizedOnce(w, 'json', true)
    const before = snapshot(w)
    const outcome = await act(w, w.inputs(RECOVERY))
    expectCleanFailure(outcome.run)
    expectNothingChanged(w, outcome, before)
    expect(errorText(outcome.run)).toMatch(/One answer is not a verdict.*nothing was changed/)
  }, 30_000)

  it('mode rotate: two gateway pages are not a verdict either', async () => {
    const w = world()
    unauthorizedOnce(w, 'html', true)
    const before = snapshot(w)
    const outcome = await act(w, w.inputs(RECOVERY))
    expectCleanFailure(outcome.run)
    expectNothingChanged(w, outcome, before)
    expect(errorText(outcome.run)).toMatch(/not with the Hive API’s own error/)
  }, 30_000)

  it('mode emergency, a compromised key this rotation made: listed active, so revoked first', async () => {
    const w = world()
    const first = await act(w, w.inputs())
    expect(first.run.code).toBe(0)
    const [rotated] = first.created
    w.hive.requests.length = 0
    unauthorizedOnce(w, 'json', true)
    const outcome = await act(w, w.inputs({ 'hive-api-key': rotated.value, mode: 'emergency' }), {
      secrets: [rotated.value]
    })
    expectNoLeaks(outcome)
    expect(outcome.run.code).toBe(0)
    expect(w.hive.accepts(rotated.value)).toBe(false)
    const deletes = w.hive.requests.filter(r => r.method === 'DELETE').map(r => r.path)
    expect(deletes[0]).toBe(`/api-keys/${rotated.id}`)
    const [fresh] = outcome.created
    expect(heldBy(w)).toEqual({ repo: fresh.id, 'env:production': fresh.id })
  }, 30_000)
})

describe('a recovery leaves a record', () => {
  it('its key names the dead key by prefix; a later run that finds that key alive retires it', async () => {
    const w = world()
    const ci = w.hive.key(w.ci.id)!
    // Six days on, the CI key has expired: a recovery.
    const sixDays = 6 * 86_400_000
    w.hive.options.now = () => new Date(Date.now() + sixDays)
    const recovered = await act(w, w.inputs(RECOVERY))
    expect(recovered.run.code).toBe(0)
    const [successor] = recovered.created
    expect(successor.name).toMatch(
      new RegExp(`^${ROTATION} run-[0-9a-f]{10} \\S+ replaces prefix:${ci.prefix}$`)
    )
    // Back to today: the old key answers again (the 401s were a Hive glitch, say).
    w.hive.options.now = () => new Date()
    expect(w.hive.accepts(w.ci.value)).toBe(true)
    const later = await act(w, w.inputs({ 'hive-api-key': successor.value }), {
      secrets: [successor.value]
    })
    expect(later.run.code).toBe(0)
    expect(w.hive.accepts(w.ci.value)).toBe(false)
    expect(activeIds(w)).toEqual([w.admin.id, later.created[0].id])
  }, 60_000)
})
