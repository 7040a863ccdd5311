import type { Migration } from './index';

/**
 * Creates the items catalogue. `version` starts at 1 and is bumped by every write (it is the
 * item's ETag); the repository pages by (created_at, id), hence the two composite indexes.
 *
 * Written with IF NOT EXISTS so that re-applying it after the ledger alone was dropped (as some
 * tests do) is harmless.
 */
export const migration: Migration = {
  id: '002_items',
  sql: `
    CREATE TABLE IF NOT EXISTS items (
      id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
      name        text        NOT NULL,
      description text        NOT NULL DEFAULT '',
      category    text        NOT NULL,
      price_cents integer     NOT NULL CHECK (price_cents BETWEEN 0 AND 100000000),
      tags        text[]      NOT NULL DEFAULT '{}',
      version     integer     NOT NULL DEFAULT 1,
      created_at  timestamptz NOT NULL DEFAULT now(),
      updated_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS items_created_at_id_idx ON items (created_at, id);
    CREATE INDEX IF NOT EXISTS items_category_created_at_id_idx ON items (category, created_at, id);
  `,
};
