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
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', useESM: true }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  // Six workers on a 2-core runner: most tests wait (on child processes, loopback servers, the
  // runner's cancel sequence, timeouts), and more workers overlap those waits with each other's CPU
  // work. Measured on a 2-core machine, whole suite: 304 s on two workers, 221 s on three, 195 s
  // on four (2026-12-05); after the suite's CPU was cut by a third, 165 to 172 s on four, 153 to
  // 158 s on six, 163 s on eight (each worker loads its own ts-jest and modules).
  maxWorkers: 6,
  // Workers on two cores end together, and a worker's teardown may then take more than
  // jest's 0.5 s (seen in three of five runs: "A worker process has failed to exit gracefully"), with
  // no handle open at the end of any test file (checked over a full run with an afterAll that
  // listed process.getActiveResourcesInfo()). A handle that stays open still gets the warning.
  workerGracefulExitTimeout: 3000
}
