/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // @actions/workflow-parser's schemas, imported without `with { type: 'json' }`: read through
    // require instead (test/support/json/), so that jest has nothing to warn about.
    '^\\.\\./action-v1\\.0\\.min\\.json$': '<rootDir>/test/support/json/action-schema.ts',
    '^\\./workflow-v1\\.0\\.min\\.json$|^\\.\\./workflow-v1\\.0\\.min\\.json$':
      '<rootDir>/test/support/json/workflow-schema.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1'
  },
  // swc strips the types of each file on its own (as tsconfig's isolatedModules promises is
  // safe); types are checked once, by `npm run typecheck`. ts-jest did the same through the
  // TypeScript compiler, which every worker loaded, and which cost a run on a cold cache (a fresh
  // clone in CI) 70 s of CPU more than swc does: 200 s against 169 s whole, measured.
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }]
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The per-machine caches of test/support/json-cache.ts, made once before the workers start.
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  // The longest files first even on a fresh clone, from test/support/durations.json.
  testSequencer: '<rootDir>/test/support/sequencer.mjs',
  testTimeout: 60000,
  // Six workers on a 2-core runner: most tests wait (on child processes, loopback servers, the
  // runner's cancel sequence, timeouts), and more workers overlap those waits with each other's CPU
  // work. Measured on a 2-core machine, whole suite: 304 s on two workers, 221 s on three, 195 s
  // on four (2026-12-05); after the suite's CPU was cut by a third, 165 to 172 s on four, 153 to
  // 158 s on six, 163 s on eight (each worker loads its own transformer and modules).
  maxWorkers: 6,
  // Workers on two cores end together, and a worker's teardown may then take more than
  // jest's 0.5 s (seen in three of five runs: "A worker process has failed to exit gracefully"), with
  // no handle open at the end of any test file (checked over a full run with an afterAll that
  // listed process.getActiveResourcesInfo()). A handle that stays open still gets the warning.
  workerGracefulExitTimeout: 3000
}
