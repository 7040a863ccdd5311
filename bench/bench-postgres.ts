/**
 * PostgreSQL for bench:http's service processes, when BENCH_DATABASE_URL, DATABASE_URL or
 * TEST_DATABASE_URL is set (first one set wins). The bench never touches the tables of the database
 * it is given, which the jest suite may be using at the same moment:
 *  - BENCH_DATABASE_URL is used as given: it names a database for the bench;
 *  - otherwise the bench works in a database of its own, `specgate_bench`, on the same server:
 *    created if missing (CREATEDB needed) and kept (dropping it at the end could pull it from
 *    under a bench running at the same time); without the right to create it, in the given
 *    database itself.
 * Either way each server gets a schema of its own (`bench_<pid>_<scenario>`: server.ts makes it
 * the search_path of every connection it opens), and every schema is dropped
 * when the run ends, so the database is left as found. (A run killed with SIGKILL leaves its
 * schemas behind: in `specgate_bench` they harm nothing.) Connection strings are never printed.
 */
import { Client } from 'pg';

const BENCH_DATABASE = 'specgate_bench';

/** Where the bench's service processes keep their data. */
export interface BenchDatabase {
  /** The connection string the servers use (may carry a password: never print it). */
  url: string;
  /** host:port/database and how it was chosen, without credentials. */
  label: string;
  /** A fresh schema name for the server of scenario `key` (recorded, dropped by cleanup). */
  schemaFor(key: string): string;
  /** Drops the schemas handed out; resolves to what failed. Never throws. */
  cleanup(): Promise<string[]>;
}

/** The PostgreSQL the bench was pointed at, or undefined (the services then use in-memory PGlite). */
export async function openBenchDatabase(): Promise<BenchDatabase | undefined> {
  const given = process.env.BENCH_DATABASE_URL || undefined;
  const shared = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
  if (!given && !shared) return undefined;
  const { url, how } = given ? { url: given, how: 'BENCH_DATABASE_URL' } : await benchDatabaseNextTo(shared!);
  const where = new URL(url);
  const label = `PostgreSQL ${where.hostname}:${where.port || 5432}${where.pathname} (${how}; a schema per server, dropped at the end)`;
  const schemas: string[] = [];
  return {
    url,
    label,
    schemaFor: (key) => {
      const schema = `bench_${process.pid}_${key.replace(/[^a-z0-9_]/g, '_')}`;
      schemas.push(schema);
      return schema;
    },
    cleanup: () =>
      run(
        url,
        schemas.map((s) => `DROP SCHEMA IF EXISTS "${s}" CASCADE`),
      ),
  };
}

/** `specgate_bench` on the server of `shared`, created when missing; `shared` itself when that is not allowed. */
async function benchDatabaseNextTo(shared: string): Promise<{ url: string; how: string }> {
  const client = new Client({ connectionString: shared, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [BENCH_DATABASE]);
    let created = false;
    if (exists.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${BENCH_DATABASE}`);
        created = true;
      } catch (err) {
        const code = (err as { code?: string }).code;
        // 42P04: another run created it meanwhile. 42501: no CREATEDB: fall back to schemas in `shared`.
        if (code === '42501') return { url: shared, how: 'no right to create a database: schemas in the given one' };
        if (code !== '42P04') throw err;
      }
    }
    const url = new URL(shared);
    url.pathname = `/${BENCH_DATABASE}`;
    return { url: url.toString(), how: `the bench's own database${created ? ', created by this run' : ''}` };
  } finally {
    await client.end();
  }
}

/** Runs each statement on `url`; returns what failed (without the connection string). */
async function run(url: string, statements: string[]): Promise<string[]> {
  if (statements.length === 0) return [];
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  const problems: string[] = [];
  try {
    await client.connect();
    for (const sql of statements)
      await client.query(sql).catch((err: Error) => problems.push(`${sql}: ${err.message}`));
  } catch (err) {
    problems.push(`PostgreSQL cleanup: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return problems;
}
