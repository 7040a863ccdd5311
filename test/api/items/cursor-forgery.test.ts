/**
 * Only cursors the service issued page GET /v1/items: a forged, tweaked or borrowed cursor is 400
 * at /cursor and never reaches the database or the response cache, so a read-only client cannot
 * fill the cache's Redis with pages of its choosing. A cursor issued by one instance pages on
 * another with the same JWT_SECRET. Real server over a socket, the cache on a redis-server of its own.
 */
import { Redis } from 'ioredis';
import { CursorSeal } from '../../../src/api/cursor';
import { encodeCursor } from '../../../src/api/handlers/items.handlers';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';
import { type RedisServer, startRedis } from '../../support/redis-server';

let cacheRedis: RedisServer;
let t: TestApp;
let api: ReturnType<typeof client>;
let reader: string;
let ids: string[];

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const list = (query: string, token = reader) => api.get(`/v1/items?${query}`, { token });

beforeAll(async () => {
  cacheRedis = await startRedis({ password: 'cache-only' });
  t = await startTestApp({ cacheRedisServer: cacheRedis });
  api = client(t.url);
  await t.createUser('pager-writer', 'pager-writer-password', ['items:read', 'items:write']);
  await t.createUser('pager-reader', 'pager-reader-password', ['items:read']);
  const writer = await api.login('pager-writer', 'pager-writer-password');
  reader = await api.login('pager-reader', 'pager-reader-password');
  ids = [];
  for (let i = 0; i < 5; i++) {
    const res = await api.post('/v1/items', {
      token: writer,
      json: { name: `p${i}`, category: 'pages', price_cents: i },
    });
    ids.push(res.body.id);
  }
});
afterAll(async () => {
  await t.stop();
  await cacheRedis.stop();
});

/** Follows next_cursor from the first page of `query` to the end, on `apis` in turn; returns the ids seen. */
async function pageThrough(query: string, apis: ReturnType<typeof client>[]): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let n = 0; ; n++) {
    const res = await apis[n % apis.length]!.get(
      `/v1/items?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      { token: reader },
    );
    expect(res.status).toBe(200);
    seen.push(...res.body.items.map((i: { id: string }) => i.id));
    cursor = res.body.next_cursor;
    if (cursor === null) return seen;
  }
}

function expectForeign(res: { status: number; body: any }) {
  expect(res.status).toBe(400);
  expect(res.body.code).toBe('validation_failed');
  expect(res.body.errors).toEqual([
    { in: 'query', pointer: '/cursor', message: 'is not a cursor this service issued' },
  ]);
}

it('pages with the cursors it issued', async () => {
  expect(await pageThrough('category=pages&limit=2', [api])).toEqual(ids);
});

it('refuses a cursor in the old unauthenticated form, even one naming a real position', async () => {
  const page = await list('category=pages&limit=2');
  const [payload] = (page.body.next_cursor as string).split('.');
  const position = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
  for (const cursor of [
    payload!,
    b64(JSON.stringify(position)),
    b64(JSON.stringify(['9999-12-31T23:59:59.999999Z', ids[0]])),
  ])
    expectForeign(await list(`category=pages&cursor=${cursor}`));
});

it('refuses a cursor with any character changed, its tag cut, or another listing’s', async () => {
  const issued = (await list('category=pages&limit=2')).body.next_cursor as string;
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  for (let i = 0; i < issued.length; i++) {
    if (issued[i] === '.') continue;
    expectForeign(await list(`category=pages&cursor=${flip(issued, i)}`));
  }
  expectForeign(await list(`category=pages&cursor=${issued.slice(0, -1)}`));
  expectForeign(await list(`category=pages&cursor=${issued.split('.')[0]}.`));
  // Issued for category=pages: not a position in another category's listing, nor in the unfiltered one.
  expectForeign(await list(`category=elsewhere&cursor=${issued}`));
  expectForeign(await list(`cursor=${issued}`));
  // Sealed as the service would, with a key that is not derived from this service's secret.
  const foreignSeal = new CursorSeal(new TextEncoder().encode('another service with another secret key!'));
  const [createdAt, id] = JSON.parse(Buffer.from(issued.split('.')[0]!, 'base64url').toString('utf8'));
  expectForeign(await list(`category=pages&cursor=${encodeCursor(foreignSeal, 'pages', { createdAt, id })}`));
});

it('stores nothing in the cache for forged cursors: 300 of them add no key to its Redis', async () => {
  const cacheClient = new Redis({ host: cacheRedis.host, port: cacheRedis.port, password: cacheRedis.password });
  try {
    // The legitimate pages are cached first, so only what the forgeries add is counted.
    await pageThrough('limit=100', [api]);
    const before = await cacheClient.dbsize();
    const memoryBefore = usedMemory(await cacheClient.info('memory'));
    for (let i = 0; i < 300; i++) {
      const micros = String(i).padStart(6, '0');
      const forged = b64(JSON.stringify([`2000-01-01T00:00:00.${micros}Z`, ids[0]]));
      expectForeign(await list(`limit=100&cursor=${forged}`));
    }
    expect(await cacheClient.dbsize()).toBe(before);
    // Informational (no byte threshold is asserted): what the forgeries cost the cache's Redis.
    process.stdout.write(
      `cache Redis used_memory change after 300 forged cursors: ${usedMemory(await cacheClient.info('memory')) - memoryBefore} bytes\n`,
    );
  } finally {
    cacheClient.disconnect();
  }
});

it('accepts a cursor issued by another instance with the same secret', async () => {
  const other = await startTestApp({ redisServer: t.redisServer, cacheRedisServer: cacheRedis, db: t.db });
  try {
    expect(await pageThrough('category=pages&limit=1', [api, client(other.url)])).toEqual(ids);
  } finally {
    await other.stop();
  }
});

function usedMemory(info: string): number {
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}
