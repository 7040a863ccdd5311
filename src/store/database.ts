import { mkdir } from 'node:fs/promises';
import type * as PgliteModule from '@electric-sql/pglite';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { Client, Pool, type PoolClient } from 'pg';
import { DependencyUnavailableError } from '../core/errors';

/**
 * A minimal PostgreSQL-dialect database handle, backed either by a `pg` pool
 * (a real server) or by an embedded PGlite instance. Both speak the same SQL;
 * use `$1, $2, …` placeholders only.
 *
 * A query without parameters may contain several statements (used by
 * migrations); the rows of the last statement are returned.
 */
export interface Database {
  /** Which driver backs this handle. */
  readonly kind: 'postgres' | 'pglite';
  /** Runs one parameterised statement and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` inside BEGIN/COMMIT on a single connection; rolls back if it throws. */
  transaction<R>(fn: (tx: Pick<Database, 'query'>) => Promise<R>): Promise<R>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Releases every connection. Idempotent; later calls fail with a {@link DependencyUnavailableError}. */
  close(): Promise<void>;
}

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** PostgreSQL connection string. When absent, an embedded PGlite database is used. */
  url?: string;
  /** PGlite data directory (created if missing). In-memory when undefined. Ignored with `url`. */
  dataDir?: string;
  /**
   * A PGlite instance already started, to serve instead of starting one (`dataDir` is then
   * ignored): the tests start theirs from a migrated snapshot. Closed with the handle.
   */
  pglite?: PGlite;
  /** Schema to create (if missing) and use as the only search_path entry of every statement. */
  schema?: string;
  /** Most connections the `pg` pool opens (DATABASE_POOL_MAX); {@link DEFAULT_POOL_MAX} when undefined. Ignored without `url`. */
  poolMax?: number;
}

/**
 * The database cannot be reached (refused, timed out, shutting down, closed, rejected our
 * credentials…): a {@link DependencyUnavailableError} for 'database', which the HTTP layer answers
 * with 503. The reason and message never contain the connection string; the driver error is kept
 * as `cause` for logs.
 */
const databaseUnavailable = (reason: string, cause?: unknown) =>
  new DependencyUnavailableError('database', { reason, cause });

/** The pool size when DATABASE_POOL_MAX is not set. */
export const DEFAULT_POOL_MAX = 5;
const CONNECT_TIMEOUT_MS = 3_000;
const STATEMENT_TIMEOUT_MS = 30_000;
/**
 * The client-side limit on one statement's answer: the server's statement_timeout ends a slow
 * statement first; this one ends the wait on a peer that stopped answering (a frozen server or
 * pooler, a dead network path), which no server-side setting can do.
 */
const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5_000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT' /* unix socket path */,
]);
/**
 * SQLSTATEs that mean "the database cannot serve now" (PostgreSQL appendix A): class 08 connection
 * exception, 28 invalid authorization, 53 insufficient resources (53300 too many connections),
 * 3D000 unknown database, 57P01-57P04 admin/crash shutdown, cannot connect now, database dropped,
 * 57014 statement timeout, and 55000, which a connection gets from a database with
 * ALLOW_CONNECTIONS false ("database … is not accepting connections"): specgate's SQL uses nothing
 * else that raises 55000 (no currval, no prerequisite-state features).
 */
const UNAVAILABLE_SQLSTATE = /^(08|28|53)|^(3D000|55000|57P0[1-4]|57014)$/;

const NETWORK_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'timeout expired',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  'PGlite is closed',
  // pg's query_timeout (QUERY_TIMEOUT_MS): the peer did not answer in time.
  'Query read timeout',
];

/** Returns a short reason when `err` means "cannot reach the database", else undefined. */
function unavailableReason(err: unknown): string | undefined {
  // Duck-typed: socket errors come from Node's own realm, so `instanceof Error`
  // is false for them under jest's VM sandbox.
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, message, errors } = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return code;
    if (UNAVAILABLE_SQLSTATE.test(code)) return `SQLSTATE ${code}`;
  }
  const known = typeof message === 'string' ? NETWORK_MESSAGES.find((m) => message.includes(m)) : undefined;
  if (known) return known.toLowerCase();
  // Node's happy-eyeballs connect throws an AggregateError of per-address errors.
  if (Array.isArray(errors)) return errors.map(unavailableReason).find(Boolean);
  return undefined;
}

/** `err` as a {@link DependencyUnavailableError} when it means the database cannot serve now, else unchanged. */
export function translate(err: unknown): unknown {
  if (err instanceof DependencyUnavailableError) return err;
  const reason = unavailableReason(err);
  return reason ? databaseUnavailable(reason, err) : err;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translate(err);
  }
}

/**
 * Opens a database and checks it answers: a small `pg` pool when `url` is
 * given, an embedded PGlite otherwise. Rejects with
 * a {@link DependencyUnavailableError} if the server cannot be reached.
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
    throw new TypeError(`Invalid schema name ${JSON.stringify(opts.schema)}: use [a-z_][a-z0-9_]*`);
  }
  const db = opts.url !== undefined ? createPostgres(opts.url, opts) : await createPglite(opts);
  try {
    await db.ping();
    if (opts.schema !== undefined) await ensureSchema(db, opts.schema);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

async function ensureSchema(db: Database, schema: string): Promise<void> {
  try {
    await db.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (err) {
    // Two processes creating the same schema at once can still collide in the catalog.
    const code = (err as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
}

function createPostgres(url: string, opts: OpenDatabaseOptions): Database {
  rejectInvalidUrl(url);
  const pool = createPool(url, opts.poolMax ?? DEFAULT_POOL_MAX);
  const begin = beginSql(opts.schema);
  let closed = false;
  const ensureOpen = () => {
    if (closed) throw databaseUnavailable('database handle is closed');
  };

  return {
    kind: 'postgres',
    query: (sql, params) =>
      guarded(async () => {
        ensureOpen();
        // Without a schema a statement needs no setting of its own: one round trip. With one, the
        // search_path can only travel inside a transaction (see beginSql).
        if (opts.schema === undefined) return runPostgres(pool, sql, params);
        return postgresTransaction(pool, begin, (tx) => tx.query(sql, params));
      }),
    transaction: async (fn) => {
      ensureOpen();
      return postgresTransaction(pool, begin, fn);
    },
    ping: () =>
      guarded(async () => {
        ensureOpen();
        await pool.query('SELECT 1');
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/**
 * The statement that opens every transaction: BEGIN and the settings, as one round trip.
 *
 * The settings are SET LOCAL, never session settings or startup parameters, so that they hold
 * behind PgBouncer in transaction pooling mode: there each transaction may run on a different
 * server connection, a session SET would leak into other clients' transactions, and PgBouncer
 * refuses the `options` startup parameter (1.18) or accepts only the parameters it tracks (1.20+).
 */
function beginSql(schema: string | undefined): string {
  const settings = [`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`];
  if (schema !== undefined) settings.push(`SET LOCAL search_path TO "${schema}"`);
  return ['BEGIN', ...settings].join('; ');
}

/** Throws a TypeError that does not show `url` when `url` is not a valid connection string. */
function rejectInvalidUrl(url: string): void {
  try {
    // The pool parses the URL lazily, on first connect; a Client parses it now
    // without connecting. Parse errors carry the raw input (password included): drop them.
    new Client({ connectionString: url });
  } catch {
    throw new TypeError('Invalid database URL (value not shown)');
  }
}

/**
 * A `pg` pool of at most `max` connections on `url`. It sends no startup parameters beyond the
 * defaults PgBouncer tracks, and names no statements (pg then uses the unnamed statement, which
 * lives only until the next Parse), so every connection works through a transaction pooler.
 */
function createPool(url: string, max: number): Pool {
  const pool = new Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 10_000,
    query_timeout: QUERY_TIMEOUT_MS,
  });
  // An idle client whose server goes away emits 'error' on the pool; without a
  // listener that would crash the process. The next query reports it instead.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `sql` on a pool or one of its clients and returns the rows of its last statement. */
async function runPostgres<T>(client: Pool | PoolClient, sql: string, params?: unknown[]): Promise<T[]> {
  const result = await client.query(sql, params);
  // Several statements without parameters yield one result per statement.
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  return (last?.rows ?? []) as T[];
}

/** Runs `fn` inside a transaction opened by `begin` on one connection of `pool`; rolls back if it throws. */
async function postgresTransaction<R>(
  pool: Pool,
  begin: string,
  fn: (tx: Pick<Database, 'query'>) => Promise<R>,
): Promise<R> {
  const client = await guarded(() => pool.connect());
  let broken: Error | undefined;
  // pg-pool listens for 'error' only on idle clients. A checked-out client whose socket fails
  // (PostgreSQL or PgBouncer restarting) emits 'error' too, and without a listener that would
  // crash the process; the query in flight rejects with the same error, which is what we report.
  const lost = (err: Error) => {
    broken = err;
  };
  client.on('error', lost);
  try {
    await guarded(() => client.query(begin));
    const result = await fn({ query: (sql, params) => guarded(() => runPostgres(client, sql, params)) });
    await guarded(() => client.query('COMMIT'));
    return result;
  } catch (err) {
    if (err instanceof DependencyUnavailableError) {
      // The database cannot serve (connection lost, not answering, refusing): a ROLLBACK could queue
      // behind an answer that never comes. Dropping the connection ends the transaction as well.
      broken = err;
    } else {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
    }
    throw err;
  } finally {
    client.off('error', lost);
    // Passing an error destroys the connection instead of reusing it.
    client.release(broken);
  }
}

async function createPglite(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.pglite === undefined && opts.dataDir !== undefined) await mkdir(opts.dataDir, { recursive: true });
  // Loaded here, not with this module: a service on PostgreSQL never pays for loading it (~40 ms).
  const pg =
    opts.pglite ?? (await (require('@electric-sql/pglite') as typeof PgliteModule).PGlite.create(opts.dataDir));
  // PGlite is one session, so a session-level SET applies to everything after it.
  if (opts.schema !== undefined) {
    await pg.exec(`CREATE SCHEMA IF NOT EXISTS "${opts.schema}"; SET search_path TO "${opts.schema}"`);
  }
  type Queryable = Pick<Transaction, 'query' | 'exec'>;
  const run = async <T>(target: Queryable, sql: string, params?: unknown[]): Promise<T[]> => {
    // Mirror pg: without parameters use the simple protocol, which allows several statements.
    if (params === undefined || params.length === 0) {
      const results = await target.exec(sql);
      return (results[results.length - 1]?.rows ?? []) as T[];
    }
    return (await target.query<T>(sql, params)).rows;
  };

  return {
    kind: 'pglite',
    query: (sql, params) => guarded(() => run(pg, sql, params)),
    transaction: async (fn) => {
      let fnError: { err: unknown } | undefined;
      try {
        return await pg.transaction(async (tx) => {
          try {
            return await fn({ query: (sql, params) => guarded(() => run(tx, sql, params)) });
          } catch (err) {
            fnError = { err };
            throw err;
          }
        });
      } catch (err) {
        // Only BEGIN/COMMIT failures are translated; the callback's own errors pass through.
        throw fnError?.err === err ? err : translate(err);
      }
    },
    ping: () =>
      guarded(async () => {
        await pg.query('SELECT 1');
      }),
    close: async () => {
      if (!pg.closed) await pg.close();
    },
  };
}
