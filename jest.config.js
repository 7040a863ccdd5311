/**
 * One run of every test file. Each jest worker shares one redis-server between the files it runs
 * (test/support/worker-environment.ts); a file that kills, freezes or reconfigures a server starts
 * its own. The Redis topologies (Cluster, Sentinel) are tested where they can differ, in
 * test/topology: the store contract (every module that sends Redis commands), the end-to-end API
 * round and failover under load.
 *
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: '<rootDir>/test/support/worker-environment.ts',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': '@swc/jest' },
  // jose, openid-client (and its oauth4webapi) and openapi-backend's ref parser (and its js-yaml) ship ESM only: swc turns them into
  // CommonJS for jest's module system (node 24 itself loads them through require(esm)).
  transformIgnorePatterns: [
    '/node_modules/(?!(jose|openid-client|oauth4webapi|@apidevtools/json-schema-ref-parser|js-yaml)/)',
  ],
  // The SDK as consumers import it ("specgate/client"), resolved to its source here; tsconfig's
  // `paths` does the same for tsc and tsx.
  moduleNameMapper: { '^specgate/client$': '<rootDir>/src/client/index.ts' },
  // Clears the response-coverage records of the previous run (scripts/response-coverage.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // A hook that starts a Redis topology, a database and an app takes seconds; on a loaded 2-core
  // machine, more than 30 s at times (a limit against hangs, not a speed assertion).
  testTimeout: 60000,
  // Integration tests start redis-server processes and databases; two cores here and on CI.
  maxWorkers: 2,
};
