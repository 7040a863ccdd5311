import { type Database, openDatabase } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { migrations } from '../../src/store/migrations/index';
import {
  closeTestDatabases,
  openTestDatabases,
  type TestDatabase,
  testDatabaseNames,
  testDatabaseUrl,
  uniqueSchemaName,
} from '../support/database';

const ALL_IDS = migrations.map((m) => m.id);

let databases: TestDatabase[] = [];
beforeAll(async () => {
  databases = await openTestDatabases();
}, 60_000);
afterAll(() => closeTestDatabases(databases));

async function resetSchema(db: Database): Promise<void> {
  await db.query('DROP TABLE IF EXISTS users, schema_migrations CASCADE');
}

async function ledger(db: Database): Promise<string[]> {
  const rows = await db.query<{ id: string; applied_at: unknown }>(
    'SELECT id, applied_at FROM schema_migrations ORDER BY id',
  );
  for (const row of rows) expect(row.applied_at).toBeInstanceOf(Date);
  return rows.map((r) => r.id);
}

test('migrations are listed in order with unique ids', () => {
  expect([...ALL_IDS].sort()).toEqual(ALL_IDS);
  expect(new Set(ALL_IDS).size).toBe(ALL_IDS.length);
  expect(ALL_IDS).toContain('001_users');
});

describe.each(testDatabaseNames())('migrate on %s', (name) => {
  let db: Database;
  beforeAll(() => {
    db = databases.find((d) => d.name === name)!.db;
  });

  test('applies everything on an empty schema, then is a no-op', async () => {
    await resetSchema(db);

    expect(await migrate(db)).toEqual(ALL_IDS);
    expect(await migrate(db)).toEqual([]);
    expect(await ledger(db)).toEqual(ALL_IDS);
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO users (username, password_hash) VALUES ('u', 'h') RETURNING id`,
    );
    expect(row?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('two concurrent runs on one handle apply each migration exactly once', async () => {
    await resetSchema(db);

    const results = await Promise.all([migrate(db), migrate(db)]);

    expect(results.flat().sort()).toEqual(ALL_IDS);
    expect(await ledger(db)).toEqual(ALL_IDS);
  });

  test('a failing migration is rolled back and not recorded', async () => {
    const broken = { id: '999_broken', sql: 'CREATE TABLE half_done (a int); SELECT no_such_function();' };

    await expect(migrate(db, [...migrations, broken])).rejects.toMatchObject({ code: '42883' });

    expect(await ledger(db)).toEqual(ALL_IDS);
    const [row] = await db.query<{ exists: boolean }>(`SELECT to_regclass('half_done') IS NOT NULL AS exists`);
    expect(row?.exists).toBe(false);
  });

  test('rejects a list that is out of order', async () => {
    const list = [
      { id: '002_b', sql: 'SELECT 1' },
      { id: '001_a', sql: 'SELECT 1' },
    ];
    await expect(migrate(db, list)).rejects.toThrow(/out of order/);
  });
});

const url = testDatabaseUrl();
if (url) {
  // Two pools stand in for two processes starting at once against one schema.
  test('two processes migrating one PostgreSQL schema at once both succeed', async () => {
    const schema = uniqueSchemaName();
    const a = await openDatabase({ url, schema });
    const b = await openDatabase({ url, schema });
    try {
      const results = await Promise.all([migrate(a), migrate(b), migrate(a), migrate(b)]);

      expect(results.flat().sort()).toEqual(ALL_IDS);
      expect(await ledger(a)).toEqual(ALL_IDS);
    } finally {
      await a.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await a.close();
      await b.close();
    }
  });
}
