/**
 * The jest worker's shared redis-server, as test files use it: one server for the worker, a
 * logical database per app, emptied before use, and no way for a file to kill it for the others.
 */
import { Redis } from 'ioredis';
import { sharedRedis } from './shared-redis';
import { WORKER_SERVERS, type WorkerServers } from './worker-environment';

const connect = (url: string, password?: string) => new Redis(url, { password, lazyConnect: true });

it('is one server for the worker: asking again gives the same one', async () => {
  const servers = (globalThis as Record<string, unknown>)[WORKER_SERVERS] as WorkerServers;
  expect((await servers.redis()).port).toBe((await servers.redis()).port);
});

it('gives each app a database of its own, empty, on that one server', async () => {
  const [a, b] = [await sharedRedis(), await sharedRedis()];
  expect(a.port).toBe(b.port);
  expect(a.url).not.toBe(b.url);
  const [ca, cb] = [connect(a.url, a.password), connect(b.url, b.password)];
  try {
    await ca.set('only-in-a', '1');
    expect(await cb.exists('only-in-a')).toBe(0);
    expect(await ca.dbsize()).toBe(1);
  } finally {
    ca.disconnect();
    cb.disconnect();
  }
});

it('refuses to be killed or restarted, so no file takes it from the next', async () => {
  const s = await sharedRedis();
  await expect(s.kill()).rejects.toThrow(/start one of your own/);
  await expect(s.restart()).rejects.toThrow(/start one of your own/);
  await s.stop();
  const c = connect(s.url, s.password);
  try {
    expect(await c.ping()).toBe('PONG');
  } finally {
    c.disconnect();
  }
});
