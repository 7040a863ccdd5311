/**
 * Data access for the `clients` table: the OAuth client registry (RFC 6749 §2). The table is
 * bounded: {@link MAX_CLIENTS} rows at most, checked under a lock in the same transaction as the
 * insert, so registrations racing each other on several instances cannot pass it.
 */
import { UUID } from '../core/uuid';
import type { Database } from './database';
import { returnedRow, toDate, toStringArray } from './row-mapping';

/** A stored client, as the application sees it. */
export interface ClientRecord {
  /** The client_id. */
  id: string;
  name: string;
  /** argon2id hash of the secret; null for a public client (RFC 6749 §2.1). */
  secretHash: string | null;
  grantTypes: string[];
  scopes: string[];
  /** Exact strings (RFC 9700 §4.1.3). */
  redirectUris: string[];
  dpopBoundAccessTokens: boolean;
  firstParty: boolean;
  createdAt: Date;
  updatedAt: Date;
  disabledAt: Date | null;
}

/** Input for {@link ClientsRepository.create}: a client before the database gives it an id and times. */
export type NewClient = Omit<ClientRecord, 'id' | 'createdAt' | 'updatedAt' | 'disabledAt'>;

/** A change to a client: absent members stay as they are. */
export interface ClientChanges {
  name?: string;
  grantTypes?: string[];
  scopes?: string[];
  redirectUris?: string[];
  dpopBoundAccessTokens?: boolean;
  firstParty?: boolean;
  disabled?: boolean;
}

/** A page of clients by (created_at, id); `next` is the last client's position when more follow. */
export interface ClientsPage {
  clients: ClientRecord[];
  next: ClientPosition | null;
}

/** A position in the listing order: a client's creation time (ISO 8601, microseconds kept by text) and id. */
export type ClientPosition = [createdAt: string, id: string];

/** How many clients the registry holds at most: a registry is configuration, not user data. */
export const MAX_CLIENTS = 10_000;

/** The advisory lock that serialises inserts while counting (an arbitrary constant: 'sgclient'). */
const CLIENTS_LOCK = '8315101121216430196';

const COLUMNS = `id, name, secret_hash, grant_types, scopes, redirect_uris, dpop_bound_access_tokens,
  first_party, created_at, updated_at, disabled_at, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS position`;

interface ClientRow {
  id: string;
  name: string;
  secret_hash: string | null;
  grant_types: unknown;
  scopes: unknown;
  redirect_uris: unknown;
  dpop_bound_access_tokens: boolean;
  first_party: boolean;
  created_at: unknown;
  updated_at: unknown;
  disabled_at: unknown;
  position: string;
}

export class ClientsRepository {
  constructor(private readonly db: Database) {}

  /** A client by id; an id that is not a UUID yields null without a query. */
  async findById(id: string): Promise<ClientRecord | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.db.query<ClientRow>(`SELECT ${COLUMNS} FROM clients WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Inserts a client; null when the registry already holds {@link MAX_CLIENTS}. */
  async create(input: NewClient): Promise<ClientRecord | null> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [CLIENTS_LOCK]);
      const counted = await tx.query<{ n: unknown }>('SELECT count(*)::int AS n FROM clients');
      if (Number(counted[0]?.n ?? 0) >= MAX_CLIENTS) return null;
      const rows = await tx.query<ClientRow>(
        `INSERT INTO clients (name, secret_hash, grant_types, scopes, redirect_uris, dpop_bound_access_tokens, first_party)
         VALUES ($1, $2, $3::text[], $4::text[], $5::text[], $6, $7) RETURNING ${COLUMNS}`,
        [
          input.name,
          input.secretHash,
          [...input.grantTypes],
          [...input.scopes],
          [...input.redirectUris],
          input.dpopBoundAccessTokens,
          input.firstParty,
        ],
      );
      return toRecord(returnedRow(rows));
    });
  }

  /** Up to `limit` clients after `after`, oldest first. */
  async list(opts: { limit: number; after?: ClientPosition }): Promise<ClientsPage> {
    const limit = Math.max(1, Math.floor(opts.limit));
    const [afterAt, afterId] = opts.after ?? [null, null];
    const rows = await this.db.query<ClientRow>(
      `SELECT ${COLUMNS} FROM clients
       WHERE $1::timestamp IS NULL OR (created_at AT TIME ZONE 'UTC', id) > ($1::timestamp, $2::uuid)
       ORDER BY created_at, id LIMIT $3`,
      [afterAt, afterId, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      clients: page.map(toRecord),
      next: rows.length > limit && last ? [last.position, last.id] : null,
    };
  }

  /** Applies `changes`; null for an unknown client. With no change, answers the client as it is. */
  async update(id: string, changes: ClientChanges): Promise<ClientRecord | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.db.query<ClientRow>(
      `UPDATE clients SET
         name = coalesce($2, name),
         grant_types = coalesce($3::text[], grant_types),
         scopes = coalesce($4::text[], scopes),
         redirect_uris = coalesce($5::text[], redirect_uris),
         dpop_bound_access_tokens = coalesce($6, dpop_bound_access_tokens),
         first_party = coalesce($7, first_party),
         disabled_at = CASE WHEN $8::boolean IS NULL THEN disabled_at
                            WHEN $8::boolean THEN coalesce(disabled_at, now()) ELSE NULL END,
         updated_at = now()
       WHERE id = $1::uuid RETURNING ${COLUMNS}`,
      [
        id,
        changes.name ?? null,
        changes.grantTypes ? [...changes.grantTypes] : null,
        changes.scopes ? [...changes.scopes] : null,
        changes.redirectUris ? [...changes.redirectUris] : null,
        changes.dpopBoundAccessTokens ?? null,
        changes.firstParty ?? null,
        changes.disabled ?? null,
      ],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Replaces the secret hash; null for an unknown client. */
  async updateSecretHash(id: string, secretHash: string): Promise<ClientRecord | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.db.query<ClientRow>(
      `UPDATE clients SET secret_hash = $2, updated_at = now() WHERE id = $1::uuid RETURNING ${COLUMNS}`,
      [id, secretHash],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Deletes a client; false when there was none. */
  async delete(id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const rows = await this.db.query<{ id: string }>('DELETE FROM clients WHERE id = $1::uuid RETURNING id', [id]);
    return rows.length > 0;
  }
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash ?? null,
    grantTypes: toStringArray(row.grant_types),
    scopes: toStringArray(row.scopes),
    redirectUris: toStringArray(row.redirect_uris),
    dpopBoundAccessTokens: row.dpop_bound_access_tokens === true,
    firstParty: row.first_party === true,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    disabledAt: row.disabled_at === null || row.disabled_at === undefined ? null : toDate(row.disabled_at),
  };
}
