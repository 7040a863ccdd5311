/**
 * The jest environment of every test file: node's, plus the servers a jest worker shares between
 * the files it runs. Jest loads this module once per worker process (node's module cache), while
 * each test file gets a fresh module registry; so what this module holds outlives one file and
 * nothing a test file imports does. A worker runs one file at a time, so the files sharing a
 * server never overlap: test/support/shared-redis.ts empties it before a file first uses it.
 *
 * Only plain data crosses into the test file's realm (a port, a password): every client and every
 * error is created by the test file's own modules, so `instanceof` keeps working there.
 */
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment } from 'jest-environment-node';
import { type RedisServer, startRedis } from './redis-server';

/** Where a test file finds the worker's shared redis-server. */
export interface SharedRedisAddress {
  host: '127.0.0.1';
  port: number;
  password: string;
  /** Logical databases the server has: each app of a file gets one of its own (SELECT). */
  databases: number;
}

/** The property of a test file's global through which it asks for the shared servers. */
export const WORKER_SERVERS = '__specgateWorkerServers';

export interface WorkerServers {
  /** Starts the worker's redis-server on first use; later calls get the same one. */
  redis(): Promise<SharedRedisAddress>;
}

const DATABASES = 64;
const PASSWORD = 'redis-test-password';
let redis: Promise<RedisServer> | undefined;

function sharedRedis(): Promise<SharedRedisAddress> {
  // Killed with the worker process by its watchdog (see startRedis): nothing to stop here.
  redis ??= startRedis({ password: PASSWORD, args: ['--databases', String(DATABASES)] });
  redis.catch(() => {
    redis = undefined;
  });
  return redis.then((s) => ({ host: s.host, port: s.port, password: PASSWORD, databases: DATABASES }));
}

export default class WorkerEnvironment extends TestEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const servers: WorkerServers = { redis: sharedRedis };
    this.global[WORKER_SERVERS] = servers;
  }
}
