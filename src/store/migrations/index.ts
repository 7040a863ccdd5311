import { migration as users } from './001-users';
import { migration as items } from './002-items';
import { migration as clients } from './003-clients';

/** One schema change. `id` is recorded in `schema_migrations` and must never change once released. */
export interface Migration {
  /** Sortable identifier, e.g. `001_users`. */
  readonly id: string;
  /** PostgreSQL statements (several allowed), run inside one transaction. */
  readonly sql: string;
}

/**
 * Every migration, in the order they are applied. Add new files as
 * `NNN-name.ts` with id `NNN_name` and append them here; never edit a
 * released one.
 */
export const migrations: readonly Migration[] = [users, items, clients];
