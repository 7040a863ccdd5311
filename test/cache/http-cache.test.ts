/**
 * The cache stage over the items resource, against a real Redis and database: hits and misses,
 * validators and 304, key normalisation, invalidation by the document's tags, scope checks before
 * any cache read, and the Redis round trips of a hit.
 */
import { Redis } from 'ioredis';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { watchWrites } from '../support/redis-wire';

let t: TestApp;
let api: ReturnType<typeof client>;
let reader: string;
let writer: string;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('cache-reader', 'cache-reader-pw-1', ['items:read']);
  await t.createUser('cache-writer', 'cache-writer-pw-1', ['items:read', 'items:write']);
  await t.createUser('cache-nobody', 'cache-nobody-pw-1', []);
  reader = await api.login('cache-reader', 'cache-reader-pw-1');
  writer = await api.login('cache-writer', 'cache-writer-pw-1');
});
afterAll(() => t.stop());

const newItem = async (name: string, category = 'cups') =>
  (await api.post('/v1/items', { token: writer, json: { name, category, price_cents: 100 } })).body as {
    id: string;
    version: number;
  };

describe('reads', () => {
  it('misses, then hits with the same strong ETag, private to the caller', async () => {
    const { id } = await newItem('mug');
    const first = await api.get(`/v1/items/${id}`, { token: reader });
    const second = await api.get(`/v1/items/${id}`, { token: writer });
    expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    expect(second.body).toEqual(first.body);
    expect(first.headers.etag).toBe('"1"');
    expect(second.headers.etag).toBe('"1"');
    expect(second.headers['cache-control']).toBe('private, no-cache');
    expect(second.headers.vary).toBe('Authorization');
  });

  it('answers If-None-Match with 304 repeating ETag, Cache-Control and Vary', async () => {
    const { id } = await newItem('saucer');
    const etag = (await api.get(`/v1/items/${id}`, { token: reader })).headers.etag!;
    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const res = await api.get(`/v1/items/${id}`, { token: reader, headers: { 'if-none-match': inm } });
      expect(res.status).toBe(304);
      expect(res.text).toBe('');
      expect(res.headers).toMatchObject({
        etag,
        'cache-control': 'private, no-cache',
        vary: 'Authorization',
        'x-cache': 'HIT',
      });
    }
    expect((await api.get(`/v1/items/${id}`, { token: reader, headers: { 'if-none-match': '"0"' } })).status).toBe(200);
  });

  it('gives lists a strong ETag from the stored bytes, equal on hit and miss', async () => {
    await newItem('bowl', 'etag-list');
    const a = await api.get('/v1/items?category=etag-list', { token: reader });
    const b = await api.get('/v1/items?category=etag-list', { token: reader });
    expect([a.headers['x-cache'], b.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    expect(a.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(b.headers.etag).toBe(a.headers.etag);
  });

  it('normalises the query: order and defaults do not make new entries', async () => {
    await newItem('plate', 'norm');
    expect((await api.get('/v1/items?limit=5&category=norm', { token: reader })).headers['x-cache']).toBe('MISS');
    expect((await api.get('/v1/items?category=norm&limit=5', { token: reader })).headers['x-cache']).toBe('HIT');
    expect((await api.get('/v1/items?category=norm', { token: reader })).headers['x-cache']).toBe('MISS');
    expect((await api.get('/v1/items?category=norm&limit=20', { token: reader })).headers['x-cache']).toBe('HIT');
  });

  it('checks scopes before any cache read', async () => {
    const { id } = await newItem('cached-secret');
    await api.get(`/v1/items/${id}`, { token: reader });
    const nobody = await api.login('cache-nobody', 'cache-nobody-pw-1');
    const res = await api.get(`/v1/items/${id}`, { token: nobody });
    expect(res.status).toBe(403);
    expect(res.headers['x-cache']).toBeUndefined();
    expect((await api.get(`/v1/items/${id}`)).status).toBe(401);
  });
});

describe('invalidation from x-invalidates', () => {
  it('serves the new version right after a write is acknowledged', async () => {
    const { id } = await newItem('jug');
    await api.get(`/v1/items/${id}`, { token: reader });
    expect((await api.get(`/v1/items/${id}`, { token: reader })).headers['x-cache']).toBe('HIT');
    const put = await api.request('PUT', `/v1/items/${id}`, {
      token: writer,
      json: { name: 'jug 2', category: 'cups', price_cents: 200 },
    });
    expect(put.status).toBe(200);
    const after = await api.get(`/v1/items/${id}`, { token: reader });
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.body).toMatchObject({ name: 'jug 2', version: 2 });
    expect(after.headers.etag).toBe('"2"');
  });

  it('expires lists and categories on create and delete, and the item on delete', async () => {
    const { id } = await newItem('tray', 'inval');
    const before = await api.get('/v1/categories', { token: reader });
    await api.get('/v1/items?category=inval', { token: reader });
    await api.get(`/v1/items/${id}`, { token: reader });
    await newItem('tray 2', 'inval');
    const list = await api.get('/v1/items?category=inval', { token: reader });
    expect(list.headers['x-cache']).toBe('MISS');
    expect(list.body.items).toHaveLength(2);
    const cats = await api.get('/v1/categories', { token: reader });
    expect(cats.headers['x-cache']).toBe('MISS');
    expect(cats.body).not.toEqual(before.body);
    await api.request('DELETE', `/v1/items/${id}`, { token: writer });
    expect((await api.get(`/v1/items/${id}`, { token: reader })).status).toBe(404);
  });

  it('bumps one generation counter per tag (O(1), no key scans)', async () => {
    const { id } = await newItem('lid');
    const before = Number((await t.redis.get(`cache:gen:item:${id}`)) ?? 0);
    await api.request('PATCH', `/v1/items/${id}`, {
      token: writer,
      json: { price_cents: 5 },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(Number(await t.redis.get(`cache:gen:item:${id}`))).toBe(before + 1);
  });
});

describe('the hot path', () => {
  it('costs one Redis round trip for an authenticated hit: session, generations and entry together', async () => {
    const { id } = await newItem('round-trip');
    await api.get(`/v1/items/${id}`, { token: reader });
    const probe = new Redis({ port: t.redisServer.port, password: t.redisServer.password });
    /** Calls per command since the server started (INFO commandstats). */
    const calls = async () => {
      const out: Record<string, number> = {};
      for (const m of (await probe.info('commandstats')).matchAll(/cmdstat_(\w+):calls=(\d+)/g))
        out[m[1]!] = Number(m[2]);
      return out;
    };
    const before = await calls();
    const watch = watchWrites(t.redis);
    try {
      const res = await api.get(`/v1/items/${id}`, { token: reader });
      expect(res.headers['x-cache']).toBe('HIT');
    } finally {
      watch.stop();
    }
    const after = await calls();
    probe.disconnect();
    // One write to the socket, then one read of the replies: a single round trip...
    expect(watch.writes.map((w) => w.map(([name]) => name).sort())).toEqual([['hmget', 'mget']]);
    // ...carrying two commands: the session check (HMGET), and the entry with the item's tag
    // generation (one MGET).
    expect((after.hmget ?? 0) - (before.hmget ?? 0)).toBe(1);
    expect((after.mget ?? 0) - (before.mget ?? 0)).toBe(1);
    expect((after.get ?? 0) - (before.get ?? 0)).toBe(0);
  });
});
