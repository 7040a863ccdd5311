import type { Migration } from './index';

/**
 * Creates the OAuth client registry (RFC 6749 §2). `id` is the client_id. `secret_hash` is an
 * argon2id hash, null for a public client (§2.1). `redirect_uris` are compared as exact strings
 * (RFC 9700 §4.1.3). Plain DDL, one transaction: fine behind PgBouncer in transaction mode.
 */
export const migration: Migration = {
  id: '003_clients',
  sql: `
    CREATE TABLE IF NOT EXISTS clients (
      id                       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
      name                     text        NOT NULL,
      secret_hash              text        NULL,
      grant_types              text[]      NOT NULL DEFAULT '{}',
      scopes                   text[]      NOT NULL DEFAULT '{}',
      redirect_uris            text[]      NOT NULL DEFAULT '{}',
      dpop_bound_access_tokens boolean     NOT NULL DEFAULT false,
      first_party              boolean     NOT NULL DEFAULT false,
      disabled_at              timestamptz NULL,
      created_at               timestamptz NOT NULL DEFAULT now(),
      updated_at               timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS clients_created_at_id_idx ON clients (created_at, id);
  `,
};
