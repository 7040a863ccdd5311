/**
 * The stale-set race (cache-correctness.md §3.1): a reader misses, reads v1 from the database, and
 * is paused before its cache fill while a writer commits v2 and invalidates. When the reader
 * resumes and fills, the next read must still be v2: the entry carries the generations read before
 * the database read, which the writer's bump made dead.
 */

import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let token: string;
let pause: { reached: () => void; release: Promise<void> } | undefined;

beforeAll(async () => {
  t = await startTestApp({
    cacheHooks: {
      beforeFill: async () => {
        const p = pause;
        if (!p) return;
        pause = undefined;
        p.reached();
        await p.release;
      },
    },
  });
  api = client(t.url);
  await t.createUser('racer', 'racer-password-1', ['items:read', 'items:write']);
  token = await api.login('racer', 'racer-password-1');
});
afterAll(() => t.stop());

it('never serves the version a slow reader loaded before an acknowledged write', async () => {
  const { id } = (await api.post('/v1/items', { token, json: { name: 'v1', category: 'race', price_cents: 1 } })).body;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => {
    pause = { reached: resolve, release: new Promise<void>((r) => (release = r)) };
  });
  // The reader misses, reads v1, and stops just before filling the cache.
  const slowRead = api.get(`/v1/items/${id}`, { token });
  await Promise.race([
    reached,
    slowRead.then((r) => {
      throw new Error(`the read finished without filling the cache (X-Cache: ${r.headers['x-cache']})`);
    }),
  ]);
  // Meanwhile a write commits v2 and is acknowledged.
  const write = await api.request('PUT', `/v1/items/${id}`, {
    token,
    json: { name: 'v2', category: 'race', price_cents: 2 },
  });
  expect(write.status).toBe(200);
  expect(write.body.version).toBe(2);
  // The reader resumes and fills the cache with what it loaded.
  release();
  const stale = await slowRead;
  expect(stale.body.name).toBe('v1'); // it began before the write: its own answer may be old
  expect(stale.headers['x-cache']).toBe('MISS');
  // Every read after the acknowledged write sees v2.
  for (let i = 0; i < 3; i++) {
    const res = await api.get(`/v1/items/${id}`, { token });
    expect(res.body).toMatchObject({ name: 'v2', version: 2 });
  }
  // And the entry it filled is still in Redis, under generations no lookup accepts any more.
  const keys = await t.redis.keys('cache:getItem:*');
  expect(keys.length).toBeGreaterThan(0);
});
