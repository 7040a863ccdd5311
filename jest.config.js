/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': '@swc/jest' },
  // jose and openapi-backend's ref parser (and its js-yaml) ship ESM only: swc turns them into
  // CommonJS for jest's module system (node 24 itself loads them through require(esm)).
  transformIgnorePatterns: ['/node_modules/(?!(jose|@apidevtools/json-schema-ref-parser|js-yaml)/)'],
  // The SDK as consumers import it ("specgate/client"), resolved to its source here; tsconfig's
  // `paths` does the same for tsc and tsx.
  moduleNameMapper: { '^specgate/client$': '<rootDir>/src/client/index.ts' },
  // Clears the response-coverage records of the previous run (scripts/response-coverage.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 30000,
  // Integration tests each start redis-server processes and databases; two cores on CI.
  maxWorkers: 2,
};
