/**
 * CACHE_MAX_ENTRY_BYTES: a response body larger than it is served whole but not stored, so no
 * single answer takes a large share of the cache's Redis; smaller ones are cached as before.
 * Real server over a socket, the cache on a redis-server of its own.
 */
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/core/config';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { type RedisServer, startRedis } from '../support/redis-server';

const MAX = 4096;

let cacheRedis: RedisServer;
let cache: Redis;
let t: TestApp;
let api: ReturnType<typeof client>;
let token: string;

beforeAll(async () => {
  cacheRedis = await startRedis({ password: 'cache-only' });
  cache = new Redis({ host: cacheRedis.host, port: cacheRedis.port, password: cacheRedis.password });
  t = await startTestApp({ cacheRedisServer: cacheRedis, env: { CACHE_MAX_ENTRY_BYTES: String(MAX) } });
  api = client(t.url);
  await t.createUser('sizer', 'sizer-password-1', ['items:read', 'items:write']);
  token = await api.login('sizer', 'sizer-password-1');
  // Ten items of ~1 KB each: one is a small page, all ten a page well over MAX.
  for (let i = 0; i < 10; i++) {
    const json = { name: `big ${i}`, description: 'é'.repeat(500), category: 'sized', price_cents: i };
    expect((await api.post('/v1/items', { token, json })).status).toBe(201);
  }
});
afterAll(async () => {
  cache.disconnect();
  await t.stop();
  await cacheRedis.stop();
});

const entries = async () => (await cache.keys('cache:listItems:*')).filter((k) => !k.endsWith(':lock'));

it('serves a body larger than CACHE_MAX_ENTRY_BYTES every time, and stores none of it', async () => {
  const first = await api.get('/v1/items?category=sized&limit=10', { token });
  expect(first.status).toBe(200);
  expect(first.body.items).toHaveLength(10);
  expect(Buffer.byteLength(first.text, 'utf8')).toBeGreaterThan(MAX);
  const again = await api.get('/v1/items?category=sized&limit=10', { token });
  expect(again.status).toBe(200);
  expect(again.text).toBe(first.text);
  expect([first.headers['x-cache'], again.headers['x-cache']]).toEqual(['MISS', 'MISS']);
  expect(again.headers.etag).toBe(first.headers.etag);
  expect(await entries()).toEqual([]);
});

it('still stores a body within the limit', async () => {
  const before = (await entries()).length;
  const first = await api.get('/v1/items?category=sized&limit=1', { token });
  expect(Buffer.byteLength(first.text, 'utf8')).toBeLessThanOrEqual(MAX);
  const again = await api.get('/v1/items?category=sized&limit=1', { token });
  expect([first.headers['x-cache'], again.headers['x-cache']]).toEqual(['MISS', 'HIT']);
  expect(await entries()).toHaveLength(before + 1);
});

it('defaults to 256 KiB and refuses a limit below 1 KiB', () => {
  expect(loadConfig({ NODE_ENV: 'test' }).redis.cacheMaxEntryBytes).toBe(256 * 1024);
  expect(() => loadConfig({ NODE_ENV: 'test', CACHE_MAX_ENTRY_BYTES: '100' })).toThrow(/CACHE_MAX_ENTRY_BYTES/);
});
