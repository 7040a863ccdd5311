import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DependencyUnavailableError } from '../../src/core/errors';
import { type Database, openDatabase } from '../../src/store/database';
import {
  closeTestDatabases,
  openTestDatabases,
  type TestDatabase,
  testDatabaseNames,
  testDatabaseUrl,
  uniqueSchemaName,
} from '../support/database';

/** What every form of "the database cannot serve now" is: one error class, one code. */
const DATABASE_DOWN = { code: DependencyUnavailableError.code, dependency: 'database' };

describe('openDatabase with an unreachable server', () => {
  test('rejects with a DependencyUnavailableError for the database without revealing the URL', async () => {
    const url = 'postgres://postgres@127.0.0.1:1/test';
    const error = await openDatabase({ url }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({
      code: 'dependency_unavailable',
      dependency: 'database',
      name: 'DependencyUnavailableError',
    });
    expect((error as Error).message).not.toContain(url);
    expect((error as Error).cause).toBeDefined();
  });

  test('never puts the password in the message', async () => {
    const error = (await openDatabase({ url: 'postgres://postgres:s3cr3t-pw@127.0.0.1:1/test' }).catch(
      (e: unknown) => e,
    )) as Error;

    expect(error).toMatchObject(DATABASE_DOWN);
    expect(`${error.message} ${error.stack}`).not.toContain('s3cr3t-pw');
  });

  test('an unparseable URL fails without echoing it', async () => {
    const error = (await openDatabase({ url: 'postgres://u:s3cr3t-pw@[broken/db' }).catch((e: unknown) => e)) as Error;

    expect(error).toBeInstanceOf(TypeError);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('s3cr3t-pw');
  });

  test('rejects an unsafe schema name', async () => {
    await expect(openDatabase({ schema: 'x; DROP TABLE users' })).rejects.toThrow(TypeError);
  });
});

describe('embedded PGlite on disk', () => {
  test('persists to dataDir (created recursively) and refuses queries once closed', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'specgate-pglite-'));
    const dataDir = path.join(root, 'nested', 'data');
    try {
      const first = await openDatabase({ dataDir });
      expect(first.kind).toBe('pglite');
      await first.query('CREATE TABLE notes (body text)');
      await first.query('INSERT INTO notes VALUES ($1)', ['kept']);
      await first.close();
      await first.close();
      await expect(first.query('SELECT 1')).rejects.toMatchObject(DATABASE_DOWN);

      const second = await openDatabase({ dataDir });
      try {
        expect(await second.query('SELECT body FROM notes')).toEqual([{ body: 'kept' }]);
      } finally {
        await second.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);
});

let databases: TestDatabase[] = [];
beforeAll(async () => {
  databases = await openTestDatabases();
}, 60_000);
afterAll(() => closeTestDatabases(databases));

describe.each(testDatabaseNames())('Database on %s', (name) => {
  let db: Database;
  beforeAll(() => {
    db = databases.find((d) => d.name === name)!.db;
  });

  test('reports its kind and answers ping', async () => {
    expect(db.kind).toBe(name);
    await expect(db.ping()).resolves.toBeUndefined();
  });

  test('maps types the same way on both drivers', async () => {
    const [row] = await db.query('SELECT $1::int AS n, $2::text[] AS list, now() AS at, NULL::timestamptz AS none', [
      7,
      ['a', 'b'],
    ]);
    expect(row).toEqual({ n: 7, list: ['a', 'b'], at: expect.any(Date), none: null });
  });

  test('runs several statements when there are no parameters and returns the last rows', async () => {
    expect(
      await db.query(
        'CREATE TEMP TABLE multi (a int); INSERT INTO multi VALUES (1), (2); SELECT count(*)::int AS c FROM multi',
      ),
    ).toEqual([{ c: 2 }]);
  });

  test('SQL errors propagate unchanged', async () => {
    const error = await db.query('SELEC 1').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ code: '42601' });
  });

  test('transaction commits on success and rolls back when the callback throws', async () => {
    await db.query('CREATE TABLE IF NOT EXISTS tx_probe (v text)');
    const ok = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe VALUES ($1)', ['committed']);
      return 'done';
    });
    expect(ok).toBe('done');

    const boom = Object.assign(new Error('boom'), { code: 'ECONNREFUSED' });
    const thrown = await db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES ($1)', ['rolled back']);
        throw boom;
      })
      .catch((e: unknown) => e);
    // The callback's own error comes back as-is, even if it looks like a network error.
    expect(thrown).toBe(boom);
    expect(await db.query('SELECT v FROM tx_probe')).toEqual([{ v: 'committed' }]);
    await db.query('DROP TABLE tx_probe');
  });
});

const url = testDatabaseUrl();
if (url) {
  describe('PostgreSQL specifics', () => {
    test('schema option creates the schema and pins search_path; statement_timeout is set', async () => {
      const schema = uniqueSchemaName();
      const db = await openDatabase({ url, schema });
      try {
        const [row] = await db.query<{ schema: string; timeout: string }>(
          `SELECT current_schema() AS schema, current_setting('statement_timeout') AS timeout`,
        );
        expect(row).toEqual({ schema, timeout: '30s' });
      } finally {
        await db.query(`DROP SCHEMA ${schema} CASCADE`);
        await db.close();
      }
      await expect(db.ping()).rejects.toMatchObject(DATABASE_DOWN);
    });

    test('a connection killed by the server surfaces as the database being unavailable', async () => {
      const db = await openDatabase({ url });
      try {
        await expect(db.query('SELECT pg_terminate_backend(pg_backend_pid())')).rejects.toMatchObject(DATABASE_DOWN);
        await expect(db.ping()).resolves.toBeUndefined();
      } finally {
        await db.close();
      }
    });
  });
}
