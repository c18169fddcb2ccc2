/**
 * jest's own order of test files, with one change for a machine where jest has no timings of its
 * own yet (a fresh clone, as in CI): a file's duration is then taken from durations.json (written
 * by scripts/test-durations.mjs from a whole run) instead of guessed from its size.
 *
 * jest starts the longest files first when it knows how long they take, so that no worker is left
 * running a long file alone at the end. Without timings it starts the largest files first, and
 * the files that mostly wait (the runner's cancel sequence, real timeouts: 20 to 45 s each, little
 * CPU) are small: started last, they ran alone for the last 12 s of a 148 s run, one core idle.
 * A stale or missing entry only changes the order.
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import TestSequencer from '@jest/test-sequencer'

const HINTS = JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8'))
const Base = TestSequencer.default ?? TestSequencer

export default class HintedSequencer extends Base {
  time(test) {
    const measured = super.time(test)
    if (measured !== undefined && measured !== null) return measured
    const seconds = HINTS[relative(test.context.config.rootDir, test.path)]
    return typeof seconds === 'number' ? seconds * 1000 : undefined
  }
}
