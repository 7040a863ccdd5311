/**
 * Conditional item writes racing another transaction on PostgreSQL (found running the items API
 * tests through PgBouncer, where two connections really do write at once; PGlite has one).
 * Under READ COMMITTED a write that waited for a concurrent one must report the row that
 * transaction left: a DELETE that lost a race to another DELETE is a 404, not a 412 for a version
 * that no longer exists, and a 412 names the current version, not the one the statement began with.
 *
 * Each race is made certain: a raw connection holds the row in an open transaction, the
 * repository's write waits for it (seen in pg_locks), then that transaction commits.
 */
import { Client } from 'pg';
import { type Database, openDatabase } from '../../src/store/database';
import { ItemsRepository } from '../../src/store/items.repository';
import { migrate } from '../../src/store/migrate';
import { uniqueSchemaName } from '../support/database';
import { upstreamUrl } from '../support/pgbouncer';

const schema = uniqueSchemaName();
let db: Database;
let other: Client;
let items: ItemsRepository;

beforeAll(async () => {
  db = await openDatabase({ url: upstreamUrl(), schema });
  await migrate(db);
  items = new ItemsRepository(db);
  other = new Client({ connectionString: upstreamUrl() });
  await other.connect();
  await other.query(`SET search_path TO ${schema}`);
}, 30_000);
afterAll(async () => {
  await other?.end();
  await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.close();
});

const fields = { name: 'Cup', description: '', category: 'kitchen', priceCents: 100, tags: [] };

/** Runs `write` while `other` holds the item's row in a transaction that then commits `statement`. */
async function racing<T>(id: string, statement: string, write: () => Promise<T>): Promise<T> {
  await other.query('BEGIN');
  await other.query(statement, [id]);
  const pending = write();
  // Commit only once the write is waiting for our row lock, so it really did race.
  for (;;) {
    // Someone waits on our transaction's id: the write, queued behind our row lock.
    const { rows } = await other.query(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE NOT granted AND locktype = 'transactionid' AND transactionid = pg_current_xact_id()::xid`,
    );
    if (rows[0].n > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  await other.query('COMMIT');
  return pending;
}

test('a delete that waited for another delete of the item finds it gone', async () => {
  const { id } = await items.create(fields);
  const result = await racing(id, 'DELETE FROM items WHERE id = $1', () => items.delete(id));
  expect(result).toEqual({ kind: 'not_found' });
});

test('an update that waited for a delete of the item finds it gone', async () => {
  const { id } = await items.create(fields);
  const result = await racing(id, 'DELETE FROM items WHERE id = $1', () => items.patch(id, { priceCents: 5 }));
  expect(result).toEqual({ kind: 'not_found' });
});

test('an update conditional on the version another update just replaced reports the current version', async () => {
  const { id } = await items.create(fields);
  const result = await racing(id, 'UPDATE items SET version = version + 1 WHERE id = $1', () =>
    items.patch(id, { priceCents: 5 }, [1]),
  );
  expect(result).toMatchObject({ kind: 'version_mismatch', version: 2 });
});

test('an unconditional update that waited for another update applies on top of it', async () => {
  const { id } = await items.create(fields);
  const result = await racing(id, 'UPDATE items SET version = version + 1 WHERE id = $1', () =>
    items.patch(id, { priceCents: 5 }),
  );
  expect(result).toMatchObject({ kind: 'ok', item: { version: 3, priceCents: 5 } });
});
