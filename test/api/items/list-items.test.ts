/**
 * GET /v1/items (listItems): oldest first (created_at, then id), default limit 20, limit bounds,
 * category filter, and opaque cursors that visit every item exactly once, even when many items
 * share one created_at or differ by microseconds only (a JS Date keeps milliseconds).
 *
 * Rows inserted straight through SQL bypass the API, so the cache cannot know about them: each
 * test uses a category of its own and reads it only after the direct inserts, and `touch()` makes
 * an API write afterwards so that any cached list is invalidated as a real write would.
 */
import { type ItemsContext, itemsApi, pointers, startItemsApp } from './items-support';

let ctx: ItemsContext;
let items: ReturnType<typeof itemsApi>;

beforeAll(async () => {
  ctx = await startItemsApp();
  items = itemsApi(ctx);
});
afterAll(() => ctx.t.stop());

/** Inserts `n` items in one statement: they all get the same created_at (the transaction's now()). */
async function insertSameInstant(category: string, n: number): Promise<void> {
  await ctx.t.db.query(
    `INSERT INTO items (name, category, price_cents) SELECT 'bulk ' || g, $1, g FROM generate_series(1, $2::int) g`,
    [category, n],
  );
  await touch();
}

/** An API write (create + delete), so every cached list and category count is invalidated. */
async function touch(): Promise<void> {
  const scratch = await items.make({ category: 'scratch' });
  expect((await items.del(scratch.id)).status).toBe(204);
}

/** The ids of a category in the order the database defines: created_at, then id. */
async function expectedOrder(category: string): Promise<string[]> {
  const rows = await ctx.t.db.query<{ id: string }>(
    'SELECT id FROM items WHERE category = $1 ORDER BY created_at, id',
    [category],
  );
  return rows.map((r) => r.id);
}

/** Follows next_cursor to the end; returns the ids and the page sizes. */
async function walk(query: string): Promise<{ ids: string[]; sizes: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 200; guard++) {
    const res = await items.list(cursor === null ? query : `${query}&cursor=${encodeURIComponent(cursor)}`);
    expect(res.status).toBe(200);
    for (const { id } of res.body.items as { id: string }[]) {
      if (ids.includes(id)) throw new Error(`item ${id} came back on page ${sizes.length + 1}`);
      ids.push(id);
    }
    sizes.push(res.body.items.length);
    cursor = res.body.next_cursor;
    if (cursor === null) return { ids, sizes };
  }
  throw new Error('too many pages');
}

describe('listItems', () => {
  it('answers {items, next_cursor: null} when everything fits, oldest first', async () => {
    const a = await items.make({ category: 'small', name: 'first' });
    const b = await items.make({ category: 'small', name: 'second' });
    const res = await items.list('category=small');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [a, b], next_cursor: null });
  });

  it('an empty category is an empty page', async () => {
    expect((await items.list('category=nothing-here')).body).toEqual({ items: [], next_cursor: null });
  });

  it('returns 20 items by default, then a cursor', async () => {
    await insertSameInstant('many', 25);
    const res = await items.list('category=many');
    expect(res.body.items).toHaveLength(20);
    expect(typeof res.body.next_cursor).toBe('string');
    expect(res.body.next_cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const rest = await items.list(`category=many&cursor=${res.body.next_cursor}`);
    expect(rest.body.items).toHaveLength(5);
    expect(rest.body.next_cursor).toBeNull();
  });

  it('takes limit between 1 and 100', async () => {
    await insertSameInstant('limits', 101);
    expect((await items.list('category=limits&limit=1')).body.items).toHaveLength(1);
    const hundred = await items.list('category=limits&limit=100');
    expect(hundred.body.items).toHaveLength(100);
    expect(hundred.body.next_cursor).not.toBeNull();
    for (const limit of ['0', '101', '-1', '2.5', 'ten', '']) {
      const res = await items.list(`category=limits&limit=${limit}`);
      expect([limit, res.status]).toEqual([limit, 400]);
      expect(pointers(res)).toEqual(['/limit']);
      expect(res.body.errors[0].in).toBe('query');
    }
  });

  it('an exact multiple of the limit ends with next_cursor null (no empty last page)', async () => {
    await insertSameInstant('exact', 6);
    const { sizes } = await walk('category=exact&limit=3');
    expect(sizes).toEqual([3, 3]);
  });

  it('pages cover every item exactly once in a stable order, even with equal created_at', async () => {
    await insertSameInstant('paging', 7);
    await items.make({ category: 'paging' });
    await insertSameInstant('paging', 5);
    await items.make({ category: 'paging' });
    const expected = await expectedOrder('paging');
    expect(expected).toHaveLength(14);

    for (const limit of [1, 2, 3, 5, 13, 14, 100]) {
      const { ids, sizes } = await walk(`category=paging&limit=${limit}`);
      expect(ids).toEqual(expected);
      expect(new Set(ids).size).toBe(ids.length);
      expect(sizes.slice(0, -1).every((s) => s === limit)).toBe(true);
    }
  });

  it('microsecond-apart items in one millisecond are neither skipped nor repeated', async () => {
    await ctx.t.db.query(
      `INSERT INTO items (name, category, price_cents, created_at, updated_at)
       SELECT 'micro ' || g, 'micro', g, t, t
       FROM generate_series(1, 9) g,
            LATERAL (SELECT timestamptz '2031-05-06T07:08:09.123000Z' + make_interval(secs => ((g % 4) * 0.0001)::float8)) AS x(t)`,
    );
    await touch();
    const distinct = await ctx.t.db.query<{ n: number }>(
      `SELECT count(DISTINCT created_at)::int AS n FROM items WHERE category = 'micro'`,
    );
    expect(distinct[0]!.n).toBe(4); // four instants within one millisecond, several rows each
    const expected = await expectedOrder('micro');
    for (const limit of [1, 2, 4]) {
      const { ids } = await walk(`category=micro&limit=${limit}`);
      expect(ids).toEqual(expected);
    }
    const page = await items.list('category=micro&limit=100');
    // The JSON timestamps keep milliseconds; the order still follows the microseconds.
    expect(new Set(page.body.items.map((i: { created_at: string }) => i.created_at))).toEqual(
      new Set(['2031-05-06T07:08:09.123Z']),
    );
  });

  it('items created while paging appear on a later page; a deleted item does not break the cursor', async () => {
    await items.make({ category: 'live' });
    const second = await items.make({ category: 'live' });
    await items.make({ category: 'live' });
    const first = await items.list('category=live&limit=2');
    expect(first.body.items.map((i: { id: string }) => i.id)[1]).toBe(second.id);
    const added = await items.make({ category: 'live' });
    expect((await items.del(second.id)).status).toBe(204); // the item the cursor points after
    const rest = await items.list(`category=live&limit=2&cursor=${first.body.next_cursor}`);
    expect(rest.body.items).toHaveLength(2);
    expect(rest.body.items[1].id).toBe(added.id);
    expect(rest.body.next_cursor).toBeNull();
  });

  it('filters by category; without one lists every category', async () => {
    const x = await items.make({ category: 'filter-x' });
    const y = await items.make({ category: 'filter-y' });
    const onlyX = await items.list('category=filter-x');
    expect(onlyX.body.items).toEqual([x]);
    const all = await walk('limit=100');
    expect(all.ids).toEqual(expect.arrayContaining([x.id, y.id]));
    const total = await ctx.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM items');
    expect(all.ids).toHaveLength(total[0]!.n);
    expect(new Set(all.ids).size).toBe(all.ids.length);
  });

  it('refuses a bad category', async () => {
    const res = await items.list('category=Not%20OK');
    expect(res.status).toBe(400);
    expect(pointers(res)).toEqual(['/category']);
  });

  it('shows writes on the next read', async () => {
    const item = await items.make({ category: 'fresh' });
    expect((await items.list('category=fresh')).body.items).toEqual([item]);
    const changed = await items.patch(item.id, { price_cents: 1 });
    expect((await items.list('category=fresh')).body.items).toEqual([changed.body]);
    const added = await items.make({ category: 'fresh' });
    expect((await items.list('category=fresh')).body.items).toEqual([changed.body, added]);
    const moved = await items.patch(added.id, { category: 'fresh-elsewhere' });
    expect((await items.list('category=fresh')).body.items).toEqual([changed.body]);
    expect((await items.list('category=fresh-elsewhere')).body.items).toEqual([moved.body]);
  });
});

describe('listItems cursors', () => {
  const refused = (res: { status: number; body: any }) => {
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual([
      { in: 'query', pointer: '/cursor', message: 'is not a cursor this service issued' },
    ]);
  };
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  const ID = '0a1b2c3d-0000-4000-8000-000000000000';

  it('refuses anything that is not a cursor this service issued', async () => {
    const forged = [
      'garbage!',
      'abc',
      b64('not json'),
      b64('{}'),
      b64('[]'),
      b64(JSON.stringify(['2031-05-06T07:08:09.123000Z'])),
      b64(JSON.stringify(['2031-05-06T07:08:09.123000Z', ID, 'extra'])),
      b64(JSON.stringify(['2031-05-06T07:08:09.123Z', ID])), // milliseconds only
      b64(JSON.stringify(['2031-02-30T07:08:09.123000Z', ID])), // no such day
      b64(JSON.stringify(['2031-05-06T25:08:09.123000Z', ID])),
      b64(JSON.stringify(['0000-01-01T00:00:00.000000Z', ID])),
      b64(JSON.stringify(['2031-05-06T07:08:09.123000Z', 'not-a-uuid'])),
      b64(JSON.stringify(['2031-05-06T07:08:09.123000Z', ID.toUpperCase()])),
      b64(JSON.stringify([1, ID])),
      b64(JSON.stringify(['2031-05-06T07:08:09.123000Z', ID], null, 1)), // not the bytes we issue
    ];
    for (const cursor of forged) {
      const res = await items.list(`cursor=${encodeURIComponent(cursor)}`);
      expect([cursor, res.status]).toEqual([cursor, 400]);
      refused(res);
    }
  });

  it('a cursor longer than the document allows fails validation too', async () => {
    const res = await items.list(`cursor=${'A'.repeat(201)}`);
    expect(res.status).toBe(400);
    expect(pointers(res)).toEqual(['/cursor']);
  });

  it('a well-formed position the service never issued is refused, not an empty page', async () => {
    const res = await items.list(`cursor=${b64(JSON.stringify(['9999-12-31T23:59:59.999999Z', ID]))}`);
    refused(res);
  });
});
