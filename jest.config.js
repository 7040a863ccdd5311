/** What every project shares: swc, the ESM-only packages, the SDK alias. */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': '@swc/jest' },
  // jose and openapi-backend's ref parser (and its js-yaml) ship ESM only: swc turns them into
  // CommonJS for jest's module system (node 24 itself loads them through require(esm)).
  transformIgnorePatterns: ['/node_modules/(?!(jose|@apidevtools/json-schema-ref-parser|js-yaml)/)'],
  // The SDK as consumers import it ("specgate/client"), resolved to its source here; tsconfig's
  // `paths` does the same for tsc and tsx.
  moduleNameMapper: { '^specgate/client$': '<rootDir>/src/client/index.ts' },
};

/**
 * Tests of the auth, items and cache APIs that need one redis-server specifically, so the
 * topology projects leave them out (the default project runs them all):
 */
const SINGLE_NODE_ONLY = [
  // kill() and then restart() THE redis-server (a topology's nodes are not restarted in place).
  'test/api/system/system.test.ts',
  'test/api/contract/error-sweep.test.ts',
  'test/auth/brute-force.test.ts',
  'test/auth/fail-closed.test.ts', // also blocks the server with DEBUG SLEEP / a blocking client
  // Start their own single redis-server to share between two app instances.
  'test/api/users/admin-instances.test.ts',
  'test/auth/multi-instance.test.ts',
  'test/auth/login-throttle.test.ts',
  'test/cache/stampede.test.ts',
  // A separate cache Redis (REDIS_CACHE_URL), single-node by design.
  'test/cache/faults.test.ts',
];

/** Single-node specifics a Sentinel group keeps (one connection to one primary) but a Cluster has not. */
const NOT_ON_CLUSTER = [
  // Count round trips as writes on the app's one socket (and INFO commandstats of its one node).
  'test/cache/http-cache.test.ts',
  'test/api/users/session-batching.test.ts',
];

/** No Redis in them at all: a topology changes nothing, so they run in the default project only. */
const WITHOUT_REDIS = [
  'test/api/items/if-match-and-cursor.test.ts',
  'test/api/items/items-repository.test.ts',
  'test/auth/password-policy.test.ts',
  'test/auth/scopes.test.ts',
  'test/cache/cache-policy.test.ts',
];

/**
 * The auth, items and cache API suites again on a Redis Cluster (3 primaries, 3 replicas) and a
 * Sentinel group (1 primary, 1 replica, 3 sentinels), each started per test file by
 * test/support/app.ts, which reads the topology from the global set here.
 */
const topologyProject = (topology) => ({
  ...base,
  displayName: topology,
  testMatch: ['<rootDir>/test/{api,auth,cache}/**/*.test.ts'],
  testPathIgnorePatterns: [
    '/node_modules/',
    ...[...SINGLE_NODE_ONLY, ...WITHOUT_REDIS, ...(topology === 'cluster' ? NOT_ON_CLUSTER : [])].map(
      (p) => `<rootDir>/${p}`,
    ),
  ],
  globals: { SPECGATE_TEST_REDIS_TOPOLOGY: topology },
  setupFilesAfterEnv: ['<rootDir>/test/support/topology-timeout.ts'],
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...base, displayName: 'single', testMatch: ['<rootDir>/test/**/*.test.ts'] },
    topologyProject('cluster'),
    topologyProject('sentinel'),
  ],
  // Clears the response-coverage records of the previous run (scripts/response-coverage.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // A hook that starts redis-server processes, a database and an app takes seconds; on a loaded
  // 2-core CI machine, more than 30 s at times (a limit against hangs, not a speed assertion).
  testTimeout: 60000,
  // Integration tests each start redis-server processes and databases; two cores on CI.
  maxWorkers: 2,
};
