import type { Migration } from './index';

/** Creates the users table. Usernames are stored normalised (trimmed, lower-cased) by the repository. */
export const migration: Migration = {
  id: '001_users',
  sql: `
    CREATE TABLE users (
      id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
      username      text        NOT NULL UNIQUE,
      password_hash text        NOT NULL,
      scopes        text[]      NOT NULL DEFAULT '{}',
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_at    timestamptz NOT NULL DEFAULT now(),
      disabled_at   timestamptz NULL
    );
  `,
};
