import type { Database } from './database';
import { migrations as allMigrations, type Migration } from './migrations/index';

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    id         text        PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

/**
 * Applies pending migrations in order, each in its own transaction, and
 * records them in `schema_migrations`. Returns the ids applied by this call
 * (empty when the schema is up to date).
 *
 * Safe to run from several processes at once: each transaction first takes a
 * transaction-scoped advisory lock, keyed by the current schema so that
 * isolated test schemas do not wait on each other, and then re-checks the
 * ledger. A loser therefore sees the winner's committed work and skips it.
 *
 * @param list - migrations to apply; defaults to the built-in list (tests override it).
 */
export async function migrate(db: Database, list: readonly Migration[] = allMigrations): Promise<string[]> {
  assertOrdered(list);
  const applied: string[] = [];
  for (const migration of list) {
    const ran = await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('specgate:migrate:' || coalesce(current_schema(), '')))`);
      await tx.query(CREATE_LEDGER);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [migration.id]);
      if (done.length > 0) return false;
      await tx.query(migration.sql);
      await tx.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, now())', [migration.id]);
      return true;
    });
    if (ran) applied.push(migration.id);
  }
  return applied;
}

function assertOrdered(list: readonly Migration[]): void {
  list.forEach(({ id }, i) => {
    const prev = list[i - 1]?.id;
    if (prev !== undefined && id <= prev)
      throw new Error(`Migrations out of order or duplicated: ${prev} before ${id}`);
  });
}
