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
  // Two workers on a 2-core runner: most tests wait on child processes and loopback servers, so
  // two at once roughly halve the wall time (measured: 322 s on one worker, 178 s on two).
  maxWorkers: 2
}
