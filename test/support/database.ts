import { randomBytes } from 'node:crypto';
import { type Database, openDatabase } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { openTestPglite } from './pglite-snapshot';

/** A migrated database to run a test against. */
export interface TestDatabase {
  /** `pglite` or `postgres`; use it in test titles. */
  name: string;
  db: Database;
  /** The private schema on the shared PostgreSQL server, dropped by {@link closeTestDatabases}. */
  schema?: string;
}

/** The PostgreSQL server used by tests when set, e.g. `postgres://postgres@127.0.0.1:5432/test`. */
export function testDatabaseUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

/**
 * The names {@link openTestDatabases} will return, computed synchronously so
 * that `describe.each` can use them at collection time.
 */
export function testDatabaseNames(): string[] {
  return testDatabaseUrl() ? ['pglite', 'postgres'] : ['pglite'];
}

/** A fresh schema name for isolating one test file on a shared server. */
export function uniqueSchemaName(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/**
 * Opens and migrates one in-memory PGlite database, plus one on
 * `TEST_DATABASE_URL` (in a new schema of its own) when that is set.
 *
 * The PGlite one opens from the migrated snapshot (./pglite-snapshot.ts). Call
 * this once per test file in `beforeAll`, clean up between tests with
 * {@link truncateAll}, and finish with {@link closeTestDatabases}.
 */
export async function openTestDatabases(): Promise<TestDatabase[]> {
  const opened: TestDatabase[] = [];
  try {
    opened.push({ name: 'pglite', db: await openTestPglite() });

    const url = testDatabaseUrl();
    if (url) {
      const schema = uniqueSchemaName();
      const postgres = await openDatabase({ url, schema });
      opened.push({ name: 'postgres', db: postgres, schema });
      await migrate(postgres);
    }
    return opened;
  } catch (err) {
    await closeTestDatabases(opened);
    throw err;
  }
}

/** Drops the private schemas created by {@link openTestDatabases} and closes every database. */
export async function closeTestDatabases(list: readonly TestDatabase[] | undefined): Promise<void> {
  for (const { db, schema } of list ?? []) {
    try {
      if (schema !== undefined) await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    } finally {
      await db.close();
    }
  }
}

/** Empties every table in the current schema except `schema_migrations`. */
export async function truncateAll(db: Pick<Database, 'query'>): Promise<void> {
  const rows = await db.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'`,
  );
  if (rows.length === 0) return;
  await db.query(`TRUNCATE TABLE ${rows.map((r) => quoteIdent(r.tablename)).join(', ')} RESTART IDENTITY CASCADE`);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
