/**
 * npm run bench: rotate one key into 1, 10 and 100 destinations with the bundled action, against
 * the emulators with a fixed latency on every request, and compare the wall time with the floor
 * that GitHub's write guidance allows.
 *
 * The floor: every Hive request of the rotation is sequential by design (read the current key,
 * read the admin key, list the active keys, create, probe, read the new key back, read the old
 * key's usage, revoke, confirm revoked), GitHub's reads could all
 * go at once (the longest chain is an org secret's metadata and its pages of selected
 * repositories), and the writes go one at a time, at least a second apart, each read back once
 * (only the last read-back is not hidden in the spacing):
 *
 *   floor = latency × (Hive requests + longest chain of GitHub reads + 1 write + 1 read-back)
 *           + (writes − 1) × 1 s
 *
 * Node's start and the bundle's load are not requests: they are measured apart (a run refused at
 * its inputs, which sends nothing) and reported, and the ratio is taken without them. Sizes 1 and
 * 10 are run three times and the median is shown.
 */
import { runAction } from '../test/support/run-action.js'
import { startWorld } from '../test/support/world.js'
import { targetOf } from '../test/emulators/github.js'

const LATENCY_MS = 50
const SIZES = [1, 10, 100]
/** The org destination's secret is `selected` for this many repositories: 2 pages of 100. */
const SELECTED = 150
const SECRET = 'HIVE_API_KEY'

interface Row {
  size: number
  github: number
  hive: number
  wallMs: number
  floorMs: number
}

async function startupMs(): Promise<number> {
  const world = await startWorld()
  try {
    const times: number[] = []
    for (let i = 0; i < 3; i++) {
      const started = performance.now()
      const run = await runAction({
        inputs: world.inputs({ 'expires-in-days': 'never' }),
        env: world.env
      })
      times.push(performance.now() - started)
      if (run.code !== 1 || world.github.requests.length + world.hive.requests.length > 0) {
        throw new Error('the start-up run was expected to stop at its inputs, sending nothing')
      }
    }
    return times.sort((a, b) => a - b)[1]
  } finally {
    await world.stop()
  }
}

async function bench(size: number): Promise<Row> {
  const world = await startWorld({ latencyMs: LATENCY_MS }, { latencyMs: LATENCY_MS })
  try {
    const { github, ci } = world
    // Destinations: from 10 on, one org secret visible to 150 selected repositories (its
    // visibility read and two pages of ids are the longest chain of reads); the rest repositories.
    github.addOrg('bench')
    const ids = Array.from({ length: SELECTED }, (_, i) => github.addRepo(`bench/r${i}`).id)
    const labels = Array.from({ length: size }, (_, i) =>
      size >= 10 && i === 0 ? 'org:bench' : `repo:bench/r${i}`
    )
    for (const label of labels) {
      const access =
        label === 'org:bench'
          ? { visibility: 'selected' as const, selectedRepositoryIds: ids }
          : undefined
      github.setSecretPlain(targetOf(label), SECRET, ci.value, access)
    }
    const started = performance.now()
    const run = await runAction({
      inputs: world.inputs({ destinations: labels.join('\n') }),
      env: world.env,
      timeoutMs: 600_000
    })
    const wallMs = performance.now() - started
    const newKey = world.hive.key(run.outputs['key-id'] ?? '')
    const holding = labels.filter(l => github.secretValue(targetOf(l), SECRET) === newKey?.value)
    if (run.code !== 0 || holding.length !== size) {
      throw new Error(`size ${size}: the rotation failed\n${run.stdout}\n${run.stderr}`)
    }
    const writes = github.requests.filter(r => r.method === 'PUT').length
    const hive = world.hive.requests.length
    const readChain = size >= 10 ? 1 + Math.ceil(SELECTED / 100) : 1
    const floorMs = LATENCY_MS * (hive + readChain + 2) + (writes - 1) * 1000
    return { size, github: github.requests.length, hive, wallMs, floorMs }
  } finally {
    await world.stop()
  }
}

/** Small runs are short enough for the machine's noise to matter: take the median of three. */
async function median(size: number): Promise<Row> {
  if (size >= 100) return bench(size)
  const runs = [await bench(size), await bench(size), await bench(size)]
  return runs.sort((a, b) => a.wallMs - b.wallMs)[1]
}

const startup = await startupMs()
const rows: Row[] = []
for (const size of SIZES) rows.push(await median(size))

const s = (ms: number) => (ms / 1000).toFixed(2)
console.log(
  `Latency ${LATENCY_MS} ms per request (both emulators); node start + bundle load ` +
    `${s(startup)} s (median of 3 runs that send nothing).`
)
console.log(
  [
    'destinations',
    'GitHub req',
    'Hive req',
    'GitHub req/dest',
    'wall s',
    'wall - start s',
    'floor s',
    '(wall - start)/floor'
  ].join(' | ')
)
for (const r of rows) {
  console.log(
    [
      r.size,
      r.github,
      r.hive,
      (r.github / r.size).toFixed(2),
      s(r.wallMs),
      s(r.wallMs - startup),
      s(r.floorMs),
      ((r.wallMs - startup) / r.floorMs).toFixed(2)
    ].join(' | ')
  )
}
