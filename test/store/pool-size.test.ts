/**
 * DATABASE_POOL_MAX: how many connections one specgate process opens to PostgreSQL (or to
 * PgBouncer). Validated with the rest of the config; the pool never opens more than it says, so an
 * operator can size PgBouncer's max_client_conn (or PostgreSQL's max_connections) from it.
 */
import { loadConfig } from '../../src/core/config';
import { DEFAULT_POOL_MAX, openDatabase } from '../../src/store/database';
import { problemsOf } from '../support/config-problems';
import { upstreamUrl } from '../support/pgbouncer';

describe('DATABASE_POOL_MAX', () => {
  it('defaults to the pool size openDatabase uses without it', () => {
    expect(loadConfig({}).databasePoolMax).toBe(DEFAULT_POOL_MAX);
  });

  it('takes a positive whole number', () => {
    expect(loadConfig({ DATABASE_POOL_MAX: '20' }).databasePoolMax).toBe(20);
  });

  it.each(['0', '-1', 'ten', '2.5', '100000'])('refuses %s, alongside the other problems', (value) => {
    const problems = problemsOf({ DATABASE_POOL_MAX: value, PORT: 'eighty' });
    expect(problems).toHaveLength(2);
    expect(problems.some((p) => p.includes('DATABASE_POOL_MAX'))).toBe(true);
  });
});

test('the pool never holds more server connections than poolMax, however many statements wait', async () => {
  const db = await openDatabase({ url: upstreamUrl(), poolMax: 3 });
  try {
    const rows = await Promise.all(
      Array.from({ length: 12 }, () => db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)')),
    );
    expect(new Set(rows.map(([row]) => row!.pid)).size).toBe(3);
  } finally {
    await db.close();
  }
});
