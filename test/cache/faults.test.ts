/**
 * The cache fails open: a cache Redis that errors or hangs past CACHE_TIMEOUT_MS is a BYPASS and the
 * request is served from the database; it never fails a read. A write whose invalidation cannot be
 * recorded is not acknowledged (503), since a cached copy could otherwise outlive it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/core/config';
import { start } from '../../src/main';
import { startTestApp, TEST_SECRET, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { capturingLogger } from '../support/logs';
import { type RedisServer, startRedis } from '../support/redis-server';

let cacheRedis: RedisServer;
let t: TestApp;
let api: ReturnType<typeof client>;
let token: string;

beforeAll(async () => {
  cacheRedis = await startRedis({
    password: 'cache-only',
    args: ['--enable-debug-command', 'yes', '--maxmemory-policy', 'allkeys-lru'],
  });
  t = await startTestApp({ cacheRedisServer: cacheRedis, env: { CACHE_TIMEOUT_MS: '150' } });
  api = client(t.url);
  await t.createUser('faulty', 'faulty-password-1', ['items:read', 'items:write']);
  token = await api.login('faulty', 'faulty-password-1');
});
afterAll(async () => {
  await t.stop();
  await cacheRedis.stop();
});

it('keeps the cache on its own Redis, apart from the sessions', async () => {
  const { id } = (await api.post('/v1/items', { token, json: { name: 'apart', category: 'faults', price_cents: 1 } }))
    .body;
  await api.get(`/v1/items/${id}`, { token });
  expect(await t.redis.keys('cache:*')).toEqual([]);
  expect((await t.redis.keys('auth:session:*')).length).toBeGreaterThan(0);
});

it('serves a read from the database when the cache Redis hangs (BYPASS within the timeout)', async () => {
  const { id } = (await api.post('/v1/items', { token, json: { name: 'hung', category: 'faults', price_cents: 1 } }))
    .body;
  const { Redis } = await import('ioredis');
  const blocker = new Redis({ port: cacheRedis.port, password: cacheRedis.password });
  // Answered when the server wakes up: the next test needs the cache Redis back.
  const asleep = blocker.call('DEBUG', 'SLEEP', '3').catch(() => undefined);
  await new Promise((r) => setTimeout(r, 50));
  try {
    const started = Date.now();
    const res = await api.get(`/v1/items/${id}`, { token });
    expect(res.status).toBe(200);
    expect(res.headers['x-cache']).toBe('BYPASS');
    expect(res.body.name).toBe('hung');
    expect(Date.now() - started).toBeLessThan(2500);
  } finally {
    await asleep;
    blocker.disconnect();
  }
});

it('serves reads when the cache Redis is down, and refuses to acknowledge writes it cannot invalidate', async () => {
  const { id } = (await api.post('/v1/items', { token, json: { name: 'down', category: 'faults', price_cents: 1 } }))
    .body;
  await api.get(`/v1/items/${id}`, { token });
  await cacheRedis.kill();
  try {
    const read = await api.get(`/v1/items/${id}`, { token });
    expect(read.status).toBe(200);
    expect(read.headers['x-cache']).toBe('BYPASS');
    const list = await api.get('/v1/items?category=faults', { token });
    expect([list.status, list.headers['x-cache']]).toEqual([200, 'BYPASS']);
    const write = await api.request('PUT', `/v1/items/${id}`, {
      token,
      json: { name: 'down 2', category: 'faults', price_cents: 2 },
    });
    expect(write.status).toBe(503);
    expect(write.headers['retry-after']).toBe('5');
    // The write itself is durable: a read (bypassing the dead cache) shows it.
    expect((await api.get(`/v1/items/${id}`, { token })).body.name).toBe('down 2');
  } finally {
    await cacheRedis.restart();
  }
});

it('warns at start-up when the Redis holding sessions may evict keys', async () => {
  const evicting = await startRedis({ password: 'evict', args: ['--maxmemory-policy', 'allkeys-lru'] });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-evict-'));
  const lines: string[] = [];
  const logger = capturingLogger('info', lines);
  const running = await start(
    loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      REDIS_URL: evicting.url,
      REDIS_PASSWORD: 'evict',
      JWT_SECRET: TEST_SECRET,
      PLAIN_HTTP: 'true',
      // stop() would otherwise drain for 5 s, for nothing here.
      SHUTDOWN_DRAIN_SECONDS: '0',
      DATA_DIR: dataDir,
      ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
    }),
    logger,
  );
  try {
    expect(lines.join('')).toMatch(/"policy":"allkeys-lru".*may evict keys/);
  } finally {
    await running.stop();
    await evicting.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
