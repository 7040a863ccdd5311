/**
 * Setup of the `cluster` and `sentinel` jest projects: each test file there starts a whole topology
 * (six or five redis-server processes) before its app, so on a loaded 2-core machine a `beforeAll`
 * needs more than the default 30 s that one redis-server leaves ample.
 */
jest.setTimeout(60_000);
