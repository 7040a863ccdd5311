/**
 * ItemsRepository against the database itself (PGlite, and PostgreSQL when TEST_DATABASE_URL is
 * set): row mapping, conditional writes that tell 404 from 412 in one statement, microsecond-exact
 * keyset paging whatever the session's TimeZone, and category order.
 */
import type { Database } from '../../../src/store/database';
import {
  type ItemFields,
  type ItemPosition,
  ItemsRepository,
  POSITION_TIME,
} from '../../../src/store/items.repository';
import {
  closeTestDatabases,
  openTestDatabases,
  type TestDatabase,
  testDatabaseNames,
  truncateAll,
} from '../../support/database';

let databases: TestDatabase[] = [];
beforeAll(async () => {
  databases = await openTestDatabases();
}, 60_000);
afterAll(() => closeTestDatabases(databases));

const fields = (overrides: Partial<ItemFields> = {}): ItemFields => ({
  name: 'Espresso cup',
  description: '',
  category: 'kitchen',
  priceCents: 1250,
  tags: [],
  ...overrides,
});
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe.each(testDatabaseNames())('ItemsRepository on %s', (name) => {
  let db: Database;
  let repo: ItemsRepository;
  beforeAll(() => {
    db = databases.find((d) => d.name === name)!.db;
    repo = new ItemsRepository(db);
  });
  beforeEach(() => truncateAll(db));

  it('creates at version 1 and reads back the same record', async () => {
    const item = await repo.create(fields({ tags: ['a', 'b'], description: 'd' }));
    expect(item).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Espresso cup',
      description: 'd',
      category: 'kitchen',
      priceCents: 1250,
      tags: ['a', 'b'],
      version: 1,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    expect(await repo.get(item.id)).toEqual(item);
    expect(await repo.get(item.id.toUpperCase())).toEqual(item);
  });

  it('stores empty tags as an empty array', async () => {
    const item = await repo.create(fields({ tags: [] }));
    expect((await repo.get(item.id))!.tags).toEqual([]);
  });

  it('answers null / not_found for ids that are not UUIDs, without a database error', async () => {
    for (const id of ['', '42', 'x'.repeat(36), `${UNKNOWN_ID}0`, "'; DROP TABLE items; --"]) {
      expect(await repo.get(id)).toBeNull();
      expect(await repo.replace(id, fields(), [1])).toEqual({ kind: 'not_found' });
      expect(await repo.patch(id, { name: 'n' })).toEqual({ kind: 'not_found' });
      expect(await repo.patch(id, {})).toEqual({ kind: 'not_found' });
      expect(await repo.delete(id)).toEqual({ kind: 'not_found' });
    }
  });

  it('the table enforces the price range', async () => {
    await expect(
      db.query(`INSERT INTO items (name, category, price_cents) VALUES ('x', 'c', -1)`),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      db.query(`INSERT INTO items (name, category, price_cents) VALUES ('x', 'c', 100000001)`),
    ).rejects.toMatchObject({ code: '23514' });
  });

  describe('conditional writes', () => {
    it('replace: bumps the version and updated_at, keeps created_at', async () => {
      const item = await repo.create(fields());
      const result = await repo.replace(item.id, fields({ name: 'New', tags: ['t'] }));
      expect(result.kind).toBe('ok');
      if (result.kind !== 'ok') return;
      expect(result.item).toMatchObject({
        id: item.id,
        name: 'New',
        tags: ['t'],
        version: 2,
        createdAt: item.createdAt,
      });
      expect(result.item.updatedAt.getTime()).toBeGreaterThanOrEqual(item.updatedAt.getTime());
    });

    it('a matching version writes; another version is version_mismatch with the current one; unknown is not_found', async () => {
      const item = await repo.create(fields());
      expect(await repo.replace(item.id, fields(), [1])).toMatchObject({ kind: 'ok', item: { version: 2 } });
      expect(await repo.replace(item.id, fields({ name: 'lost' }), [1])).toEqual({
        kind: 'version_mismatch',
        version: 2,
      });
      expect(await repo.patch(item.id, { name: 'lost' }, [1, 3])).toEqual({ kind: 'version_mismatch', version: 2 });
      expect(await repo.patch(item.id, { name: 'won' }, [1, 2])).toMatchObject({
        kind: 'ok',
        item: { version: 3, name: 'won' },
      });
      expect(await repo.delete(item.id, [2])).toEqual({ kind: 'version_mismatch', version: 3 });
      expect((await repo.get(item.id))!.name).toBe('won');
      expect(await repo.replace(UNKNOWN_ID, fields(), [1])).toEqual({ kind: 'not_found' });
      expect(await repo.patch(UNKNOWN_ID, { name: 'x' }, [1])).toEqual({ kind: 'not_found' });
      expect(await repo.delete(UNKNOWN_ID, [1])).toEqual({ kind: 'not_found' });
      expect(await repo.delete(item.id, [3])).toEqual({ kind: 'ok' });
      expect(await repo.get(item.id)).toBeNull();
    });

    it('an empty list of versions matches nothing; undefined matches any', async () => {
      const item = await repo.create(fields());
      expect(await repo.replace(item.id, fields(), [])).toEqual({ kind: 'version_mismatch', version: 1 });
      expect(await repo.delete(item.id, [])).toEqual({ kind: 'version_mismatch', version: 1 });
      expect(await repo.replace(UNKNOWN_ID, fields(), [])).toEqual({ kind: 'not_found' });
      expect(await repo.replace(item.id, fields())).toMatchObject({ kind: 'ok', item: { version: 2 } });
    });

    it('versions outside int4 (or not integers) never reach the database as errors', async () => {
      const item = await repo.create(fields());
      expect(await repo.replace(item.id, fields(), [2 ** 40, -1, 0, 1.5, Number.NaN])).toEqual({
        kind: 'version_mismatch',
        version: 1,
      });
      expect(await repo.replace(item.id, fields(), [2 ** 40, 1])).toMatchObject({ kind: 'ok' });
    });

    it('patch changes only the given fields', async () => {
      const item = await repo.create(fields({ description: 'keep', tags: ['keep'] }));
      const result = await repo.patch(item.id, { priceCents: 1, tags: [] });
      expect(result).toMatchObject({
        kind: 'ok',
        item: { name: item.name, description: 'keep', category: 'kitchen', priceCents: 1, tags: [], version: 2 },
      });
    });

    it('an empty patch writes nothing but still checks the condition', async () => {
      const item = await repo.create(fields());
      expect(await repo.patch(item.id, {})).toEqual({ kind: 'ok', item });
      expect(await repo.patch(item.id, {}, [1])).toEqual({ kind: 'ok', item });
      expect(await repo.patch(item.id, {}, [2])).toEqual({ kind: 'version_mismatch', version: 1 });
      expect(await repo.patch(item.id, {}, [])).toEqual({ kind: 'version_mismatch', version: 1 });
      expect(await repo.patch(UNKNOWN_ID, {}, [1])).toEqual({ kind: 'not_found' });
      expect(await repo.get(item.id)).toEqual(item);
    });
  });

  describe('list', () => {
    /** Rows at four instants 100 µs apart inside one millisecond, several rows per instant. */
    async function insertMicroseconds(): Promise<string[]> {
      await db.query(
        `INSERT INTO items (name, category, price_cents, created_at)
         SELECT 'm' || g, CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END, g,
                timestamptz '2031-05-06T07:08:09.123000Z' + make_interval(secs => ((g % 4) * 0.0001)::float8)
         FROM generate_series(1, 12) g`,
      );
      const rows = await db.query<{ id: string }>('SELECT id FROM items ORDER BY created_at, id');
      return rows.map((r) => r.id);
    }

    async function walk(
      r: ItemsRepository,
      limit: number,
      category?: string,
    ): Promise<{ ids: string[]; positions: ItemPosition[] }> {
      const ids: string[] = [];
      const positions: ItemPosition[] = [];
      let after: ItemPosition | undefined;
      for (let guard = 0; guard < 100; guard++) {
        const page = await r.list({ limit, after, category });
        ids.push(...page.items.map((i) => i.id));
        expect(page.hasMore).toBe(page.next !== null);
        if (!page.next) return { ids, positions };
        positions.push(page.next);
        after = page.next;
      }
      throw new Error('too many pages');
    }

    it('pages through microsecond-apart rows exactly once, in (created_at, id) order', async () => {
      const expected = await insertMicroseconds();
      for (const limit of [1, 2, 3, 5, 12, 50]) {
        const { ids, positions } = await walk(repo, limit);
        expect(ids).toEqual(expected);
        for (const p of positions) expect(p.createdAt).toMatch(POSITION_TIME);
      }
      const firstPage = await repo.list({ limit: 3 });
      expect(firstPage.next!.createdAt).toBe('2031-05-06T07:08:09.123000Z');
      expect((await repo.list({ limit: 6 })).next!.createdAt).toBe('2031-05-06T07:08:09.123100Z');
    });

    it('filters by category with the same guarantees', async () => {
      await insertMicroseconds();
      const rows = await db.query<{ id: string }>(
        `SELECT id FROM items WHERE category = 'odd' ORDER BY created_at, id`,
      );
      expect((await walk(repo, 2, 'odd')).ids).toEqual(rows.map((r) => r.id));
      expect(await repo.list({ limit: 5, category: 'none' })).toEqual({ items: [], hasMore: false, next: null });
    });

    // (DateStyle must stay ISO for the drivers' own timestamp parsing, so only TimeZone varies.)
    it('positions do not depend on the session TimeZone', async () => {
      const expected = await insertMicroseconds();
      const utc = await walk(repo, 5);
      const ids = await db.transaction(async (tx) => {
        await tx.query(`SET LOCAL TimeZone = 'Asia/Kathmandu'`);
        const walked = await walk(new ItemsRepository({ ...db, query: tx.query } as Database), 5);
        expect(walked.positions).toEqual(utc.positions);
        return walked.ids;
      });
      expect(ids).toEqual(expected);
    });
  });

  it('categories: counts by name in bytewise order', async () => {
    for (const category of ['kitchen', 'a-b', 'ab', 'a0', 'b', 'kitchen', '9lives', 'ab', 'a-a'])
      await repo.create(fields({ category }));
    expect(await repo.categories()).toEqual([
      { name: '9lives', itemCount: 1 },
      { name: 'a-a', itemCount: 1 },
      { name: 'a-b', itemCount: 1 },
      { name: 'a0', itemCount: 1 },
      { name: 'ab', itemCount: 2 },
      { name: 'b', itemCount: 1 },
      { name: 'kitchen', itemCount: 2 },
    ]);
  });
});

if (testDatabaseNames().includes('postgres')) {
  describe('concurrent writers on postgres', () => {
    let db: Database;
    let repo: ItemsRepository;
    beforeAll(() => {
      db = databases.find((d) => d.name === 'postgres')!.db;
      repo = new ItemsRepository(db);
    });

    it('a write waiting on a row another transaction changed re-checks the version: exactly one wins', async () => {
      const item = await repo.create(fields());
      let waiting: Promise<unknown> | undefined;
      await db.transaction(async (tx) => {
        await tx.query('UPDATE items SET version = version + 1, name = $2 WHERE id = $1', [item.id, 'first']);
        // Blocks on the row lock until this transaction commits, then finds version 2.
        waiting = repo.replace(item.id, fields({ name: 'second' }), [1]);
        await new Promise((r) => setTimeout(r, 200));
      });
      const result = (await waiting) as { kind: string };
      expect(result.kind).toBe('version_mismatch');
      expect(await repo.get(item.id)).toMatchObject({ name: 'first', version: 2 });
    });

    it('many concurrent conditional replaces of one version: exactly one succeeds', async () => {
      const item = await repo.create(fields());
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => repo.replace(item.id, fields({ name: `w${i}` }), [1])),
      );
      expect(results.filter((r) => r.kind === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'version_mismatch')).toHaveLength(7);
      expect((await repo.get(item.id))!.version).toBe(2);
    });

    it('a delete racing a conditional write: the write fails, never resurrects or errors', async () => {
      const item = await repo.create(fields());
      const [write, del] = await Promise.all([repo.patch(item.id, { name: 'x' }, [1]), repo.delete(item.id)]);
      expect(del.kind).toBe('ok');
      expect(['ok', 'version_mismatch', 'not_found']).toContain(write.kind);
      expect(await repo.get(item.id)).toBeNull();
    });
  });
}
