/**
 * The action keeps GitHub's guidance for writes (one at a time, at least a second apart) when
 * nothing tells it otherwise: every other test turns the spacing off (run-action.ts sets the test
 * hook HIVE_ROTATE_KEY_WRITE_SPACING_MS to 0), so this one proves that the default still spaces.
 * It waits about two seconds of real time on purpose: the spacing is what is measured.
 */
import { describe, expect, it } from '@jest/globals'
import type { GitHubRequestRecord } from '../emulators/github.js'
import { act, expectSucceededWithOneNewKey, useWorld } from './helpers.js'

const world = useWorld()

/**
 * Bottleneck spaces the starts of two writes; each reaches the emulator a moment after its start,
 * and that moment varies by a millisecond or two on loopback, and by some tens on a loaded 2-core
 * machine (seen: 48 ms, with the action, the emulators and another jest worker on two cores).
 * Allowed: this much less than 1 s, which still tells spacing (about 1 s) from none (about 0).
 */
const ARRIVAL_JITTER_MS = 100

/** Makes the emulator's request log note when each request arrived. */
function arrivalTimes(requests: GitHubRequestRecord[]): Map<GitHubRequestRecord, number> {
  const at = new Map<GitHubRequestRecord, number>()
  const push = requests.push.bind(requests)
  requests.push = (...records: GitHubRequestRecord[]) => {
    for (const record of records) at.set(record, performance.now())
    return push(...records)
  }
  return at
}

describe('write spacing', () => {
  it('spaces the secret writes of three destinations at least 1 s apart by default', async () => {
    const w = world()
    w.github.addRepo('octo/lib')
    w.github.setSecretPlain({ owner: 'octo', repo: 'lib' }, 'HIVE_API_KEY', w.ci.value)
    const at = arrivalTimes(w.github.requests)
    const outcome = await act(
      w,
      w.inputs({ destinations: 'repo:octo/app\nenv:octo/app/production\nrepo:octo/lib' }),
      // An empty value is ignored: the action's own default applies, as on a real runner.
      { env: { HIVE_ROTATE_KEY_WRITE_SPACING_MS: '' } }
    )
    expectSucceededWithOneNewKey(outcome)
    const writes = w.github.requests.filter(r => r.method === 'PUT')
    expect(writes).toHaveLength(3)
    const times = writes.map(r => at.get(r) ?? NaN)
    for (let i = 1; i < times.length; i++) {
      expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1000 - ARRIVAL_JITTER_MS)
    }
  })
})
