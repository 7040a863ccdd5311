/**
 * The store and the items API through a real PgBouncer in transaction pooling mode (README,
 * PostgreSQL behind PgBouncer).
 * PgBouncer here gives each database two server connections, so every client's transactions share
 * them: session state of any kind (a SET, a session advisory lock, a named prepared statement)
 * would leak from one client into another or be missing. specgate sends its settings per
 * transaction (BEGIN; SET LOCAL …) instead; these tests hold it to that.
 *
 * Needs pgbouncer and PostgreSQL (TEST_DATABASE_URL, else 127.0.0.1:5432/test); fails without them.
 */
import { Client } from 'pg';
import { type Database, openDatabase } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { migrations } from '../../src/store/migrations/index';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { uniqueSchemaName } from '../support/database';
import { type PgBouncer, startPgBouncer, upstreamUrl } from '../support/pgbouncer';

const ALL_IDS = migrations.map((m) => m.id);
let bouncer: PgBouncer;
/** Handles opened by a test, each with the schema to drop after it. */
const opened: Array<{ db: Database; schema?: string }> = [];

async function open(schema?: string): Promise<Database> {
  const db = await openDatabase({ url: bouncer.url(), schema });
  opened.push({ db, schema });
  return db;
}

beforeAll(async () => {
  bouncer = await startPgBouncer({ poolSize: 2 });
}, 30_000);
afterEach(async () => {
  for (const { db, schema } of opened.splice(0)) {
    if (schema !== undefined) await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await db.close();
  }
});
afterAll(() => bouncer?.stop());

test('two services migrating one schema at once through PgBouncer apply each migration exactly once', async () => {
  const schema = uniqueSchemaName();
  const a = await open(schema);
  const b = await open(schema);

  const applied = await Promise.all([migrate(a), migrate(b), migrate(a), migrate(b)]);

  expect(applied.flat().sort()).toEqual(ALL_IDS);
  expect((await a.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')).map((r) => r.id)).toEqual(
    ALL_IDS,
  );
});

test('each handle keeps its own schema and settings while their transactions share two server connections', async () => {
  const direct = new Client({ connectionString: upstreamUrl() });
  await direct.connect();
  const [serverDefault] = (await direct.query(`SELECT current_setting('statement_timeout') AS t`)).rows;
  await direct.end();
  const [schemaA, schemaB] = [uniqueSchemaName(), uniqueSchemaName()];
  const a = await open(schemaA);
  const b = await open(schemaB);
  const plain = await open();
  await a.query('CREATE TABLE note (owner text)');
  await b.query('CREATE TABLE note (owner text)');

  const seen = await Promise.all(
    Array.from({ length: 30 }, async () => {
      await Promise.all([
        a.query('INSERT INTO note VALUES ($1)', ['a']),
        b.query('INSERT INTO note VALUES ($1)', ['b']),
      ]);
      return plain.query<{ schema: string; timeout: string }>(
        `SELECT current_schema() AS schema, current_setting('statement_timeout') AS timeout`,
      );
    }),
  );

  const owners = (db: Database) => db.query('SELECT owner, count(*)::int AS n FROM note GROUP BY owner');
  expect(await owners(a)).toEqual([{ owner: 'a', n: 30 }]);
  expect(await owners(b)).toEqual([{ owner: 'b', n: 30 }]);
  // What one handle set for its own transactions never reached another's statements.
  expect(new Set(seen.map(([row]) => JSON.stringify(row)))).toEqual(
    new Set([JSON.stringify({ schema: 'public', timeout: serverDefault.t })]),
  );
  const [pool] = (await bouncer.admin('SHOW POOLS')).filter((p) => p.database === 'test');
  expect(Number(pool!.sv_active) + Number(pool!.sv_idle) + Number(pool!.sv_used)).toBeLessThanOrEqual(2);
});

test('a transaction that fails rolls back and leaves nothing behind for the next client of its server connection', async () => {
  const schema = uniqueSchemaName();
  const db = await open(schema);
  const other = await open();
  await db.query('CREATE TABLE ledger (v int)');

  const failed = await db
    .transaction(async (tx) => {
      await tx.query('INSERT INTO ledger VALUES ($1)', [1]);
      await tx.query('SELECT 1/0');
    })
    .catch((err: unknown) => err);

  expect(failed).toMatchObject({ code: '22012' });
  expect(await db.query('SELECT count(*)::int AS n FROM ledger')).toEqual([{ n: 0 }]);
  // The next statements, wherever PgBouncer runs them, are outside any transaction of ours.
  expect(await other.query(`SELECT now() = statement_timestamp() AS autocommit`)).toEqual([{ autocommit: true }]);
});

describe('the items API with its database behind PgBouncer', () => {
  let t: TestApp;
  let api: ReturnType<typeof client>;
  let token: string;
  const schema = uniqueSchemaName();
  let db: Database;

  beforeAll(async () => {
    db = await openDatabase({ url: bouncer.url(), schema });
    await migrate(db);
    t = await startTestApp({ db });
    api = client(t.url);
    await t.createUser('bouncer-writer', 'bouncer-writer-password', ['items:read', 'items:write']);
    token = await api.login('bouncer-writer', 'bouncer-writer-password');
  }, 30_000);
  afterAll(async () => {
    await t?.stop();
    await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db?.close();
  });

  it('creates, reads, lists, updates with If-Match and deletes an item', async () => {
    const created = await api.post('/v1/items', {
      token,
      json: { name: 'Espresso cup', category: 'kitchen', price_cents: 1250 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    expect((await api.get(`/v1/items/${id}`, { token })).body).toEqual(created.body);
    const list = await api.get('/v1/items?category=kitchen', { token });
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    const patched = await api.request('PATCH', `/v1/items/${id}`, {
      token,
      json: { price_cents: 990 },
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
    });
    expect([patched.status, patched.body.price_cents, patched.headers.etag]).toEqual([200, 990, '"2"']);
    expect((await api.get(`/v1/items/${id}`, { token })).body.price_cents).toBe(990);
    const deleted = await api.request('DELETE', `/v1/items/${id}`, { token, headers: { 'if-match': '"2"' } });
    expect(deleted.status).toBe(204);
    expect((await api.get(`/v1/items/${id}`, { token })).status).toBe(404);
  });

  it('of concurrent updates conditional on one version, exactly one succeeds', async () => {
    const created = await api.post('/v1/items', {
      token,
      json: { name: 'Saucer', category: 'kitchen', price_cents: 500 },
    });
    const id = created.body.id as string;

    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.request('PATCH', `/v1/items/${id}`, {
          token,
          json: { price_cents: 600 + i },
          headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
        }),
      ),
    );

    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
    const winner = answers.find((r) => r.status === 200)!;
    expect((await api.get(`/v1/items/${id}`, { token })).body).toMatchObject({
      version: 2,
      price_cents: winner.body.price_cents,
    });
  });
});
