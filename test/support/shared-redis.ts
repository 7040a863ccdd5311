/**
 * The jest worker's shared redis-server (test/support/worker-environment.ts), as a test file sees
 * it: each call hands out a logical database of its own (`redis://…/N`), so two apps of one file
 * stay as apart as two servers would. The first call of a file empties the server (FLUSHALL, the
 * scripts, the command statistics): the file starts where a fresh server would.
 *
 * The shared server cannot be killed, restarted or reconfigured: a test that does that starts a
 * redis-server of its own (`startTestApp({ redisServer: await startRedis(...) })`).
 */
import { Redis } from 'ioredis';
import type { RedisServer } from './redis-server';
import { WORKER_SERVERS, type WorkerServers } from './worker-environment';

/** Databases handed out in this file so far (module state lives as long as one test file). */
let handedOut = 0;

function workerServers(): WorkerServers {
  const servers = (globalThis as Record<string, unknown>)[WORKER_SERVERS] as WorkerServers | undefined;
  if (!servers) throw new Error('the shared servers need testEnvironment test/support/worker-environment.ts');
  return servers;
}

/** A database of its own on the worker's redis-server, empty. */
export async function sharedRedis(): Promise<RedisServer> {
  const address = await workerServers().redis();
  // A bound, not a wrap-around: handing database 0 out again would empty the file's live ones.
  if (handedOut >= address.databases)
    throw new Error(`a test file may start at most ${address.databases} apps on the shared redis-server`);
  const db = handedOut++;
  const admin = new Redis({ port: address.port, password: address.password, db, lazyConnect: true });
  try {
    await admin.connect();
    if (db === 0) await admin.pipeline().flushall().script('FLUSH').config('RESETSTAT').exec();
    else await admin.flushdb();
  } finally {
    admin.disconnect();
  }
  const refuse = (what: string) => () =>
    Promise.reject(new Error(`the shared redis-server cannot be ${what}: start one of your own (startRedis)`));
  return {
    host: address.host,
    port: address.port,
    password: address.password,
    url: `redis://${address.host}:${address.port}/${db}`,
    // The server outlives the file; stopping it from a file is a no-op.
    stop: () => Promise.resolve(),
    kill: refuse('killed'),
    restart: refuse('restarted'),
  };
}
