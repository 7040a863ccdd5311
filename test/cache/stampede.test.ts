/**
 * Stampede: 50 concurrent misses of one key, spread over two instances, load from the database only
 * a few times; the rest wait for the fill (SET NX PX lock + bounded wait).
 */
import type { Database } from '../../src/store/database';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { openTestPglite } from '../support/pglite-snapshot';
import { type RedisServer, startRedis } from '../support/redis-server';

let redis: RedisServer;
let db: Database;
let a: TestApp;
let b: TestApp;
let itemLoads = 0;

beforeAll(async () => {
  redis = await startRedis({ password: 'stampede' });
  const real = await openTestPglite();
  // Counts the single-item loads that reach the database; slowed a little, as a real one would be.
  db = {
    ...real,
    kind: real.kind,
    query: async (sql: string, params?: unknown[]) => {
      if (/^SELECT .* FROM items WHERE id = \$1::uuid$/s.test(sql.trim())) {
        itemLoads++;
        await new Promise((r) => setTimeout(r, 30));
      }
      return real.query(sql, params);
    },
    transaction: (fn) => real.transaction(fn),
    ping: () => real.ping(),
    close: () => real.close(),
  } as Database;
  // A generous wait for the one loader, so a loaded CI machine cannot turn waiters into loaders.
  const cacheHooks = { lockWaitMs: 10_000 };
  a = await startTestApp({ redisServer: redis, db, cacheHooks });
  b = await startTestApp({ redisServer: redis, db, cacheHooks });
});
afterAll(async () => {
  await a.stop();
  await b.stop();
  await db.close();
  await redis.stop();
});

it('loads a key from the database a few times at most for 50 concurrent misses on two instances', async () => {
  const apiA = client(a.url);
  const apiB = client(b.url);
  await a.createUser('herd', 'herd-password-1', ['items:read', 'items:write']);
  const token = await apiA.login('herd', 'herd-password-1');
  const { id } = (await apiA.post('/v1/items', { token, json: { name: 'popular', category: 'herd', price_cents: 1 } }))
    .body;
  itemLoads = 0;
  const responses = await Promise.all(
    Array.from({ length: 50 }, (_, i) => (i % 2 ? apiA : apiB).get(`/v1/items/${id}`, { token })),
  );
  expect(responses.every((r) => r.status === 200 && r.body.id === id)).toBe(true);
  expect(itemLoads).toBeGreaterThanOrEqual(1);
  expect(itemLoads).toBeLessThanOrEqual(3);
  const outcomes = responses.map((r) => r.headers['x-cache']);
  expect(outcomes.filter((o) => o === 'HIT').length).toBeGreaterThanOrEqual(47);
});
