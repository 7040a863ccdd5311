import { UUID } from '../core/uuid';
import type { Database } from './database';
import { returnedRow, toDate, toInt, toStringArray } from './row-mapping';

/** A stored item, as the application sees it. */
export interface ItemRecord {
  id: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  tags: string[];
  /** 1 on creation, +1 on every write: the item's ETag. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Every client-settable field of an item (already normalised by the caller: trimmed name…). */
export interface ItemFields {
  name: string;
  description: string;
  category: string;
  priceCents: number;
  tags: string[];
}

/** A partial change: an absent (undefined) field is left as it is. */
export type ItemChanges = Partial<ItemFields>;

/**
 * A place in the (created_at, id) order. `createdAt` is the row's exact created_at as text,
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds): a JS Date keeps only milliseconds, so paging
 * from a Date could skip or repeat rows created within the same millisecond.
 */
export interface ItemPosition {
  createdAt: string;
  id: string;
}

/** Options for {@link ItemsRepository.list}. */
export interface ListItemsOptions {
  category?: string;
  /** At most this many items (1 or more). */
  limit: number;
  /** Only items strictly after this position. */
  after?: ItemPosition;
}

/** A page of items in (created_at, id) order. */
export interface ItemsPage {
  items: ItemRecord[];
  /** Whether items follow the last one of this page. */
  hasMore: boolean;
  /** The position of the last item when `hasMore`, else null. */
  next: ItemPosition | null;
}

/** One category and how many items it has. */
export interface CategoryCount {
  name: string;
  itemCount: number;
}

/**
 * The outcome of a conditional write. `version_mismatch`: the item exists but is at none of the
 * versions asked for (its current version is given).
 */
export type WriteResult =
  | { kind: 'ok'; item: ItemRecord }
  | { kind: 'not_found' }
  | { kind: 'version_mismatch'; version: number };

export type DeleteResult = { kind: 'ok' } | { kind: 'not_found' } | { kind: 'version_mismatch'; version: number };

/** The exact, session-independent (DateStyle, TimeZone) text form of a position's timestamp. */
export const POSITION_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const COLUMNS = 'id, name, description, category, price_cents, tags, version, created_at, updated_at';
const POSITION_SQL = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
/** `$n` is an int[] of acceptable versions, or NULL for "any version". */
const versionMatches = (n: number) => `($${n}::int[] IS NULL OR version = ANY($${n}::int[]))`;
/**
 * The item as last committed, when the conditional write (the CTE named `write`) did not happen. FOR SHARE
 * makes PostgreSQL, under READ COMMITTED, wait for a concurrent writer and read the row it left
 * (or none, if it deleted it) instead of the statement's older snapshot: two concurrent DELETEs
 * are then 204 and 404, not 204 and a 412 for a version that no longer exists.
 */
const latestRowUnless = (write: string) =>
  `SELECT * FROM items WHERE id = $1::uuid AND NOT EXISTS (SELECT 1 FROM ${write}) FOR SHARE`;

interface ItemRow {
  id: string;
  name: string;
  description: string;
  category: string;
  price_cents: unknown;
  tags: unknown;
  version: unknown;
  created_at: unknown;
  updated_at: unknown;
}

interface PositionedRow extends ItemRow {
  position: string;
}

interface WrittenRow extends ItemRow {
  written: boolean;
}

/** Data access for the `items` table. Every write bumps `version` and sets `updated_at`. */
export class ItemsRepository {
  constructor(private readonly db: Database) {}

  /** Inserts an item at version 1. */
  async create(input: ItemFields): Promise<ItemRecord> {
    const rows = await this.db.query<ItemRow>(
      `INSERT INTO items (name, description, category, price_cents, tags)
       VALUES ($1, $2, $3, $4, $5::text[]) RETURNING ${COLUMNS}`,
      [input.name, input.description, input.category, input.priceCents, [...input.tags]],
    );
    return toRecord(returnedRow(rows));
  }

  /** The item with this id; an id that is not a UUID yields null without a query. */
  async get(id: string): Promise<ItemRecord | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.db.query<ItemRow>(`SELECT ${COLUMNS} FROM items WHERE id = $1::uuid`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Up to `limit` items after `after`, oldest first (ties broken by id), maybe of one category. */
  async list(opts: ListItemsOptions): Promise<ItemsPage> {
    const limit = Math.max(1, Math.floor(opts.limit));
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.category !== undefined) {
      params.push(opts.category);
      where.push(`category = $${params.length}`);
    }
    if (opts.after) {
      params.push(opts.after.createdAt, opts.after.id);
      where.push(`(created_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows = await this.db.query<PositionedRow>(
      `SELECT ${COLUMNS}, ${POSITION_SQL} AS position FROM items
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at, id LIMIT $${params.length}`,
      params,
    );
    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    return {
      items: page.map(toRecord),
      hasMore,
      next: hasMore && last ? { createdAt: String(last.position), id: last.id } : null,
    };
  }

  /**
   * Replaces every field, if the item is at one of `ifVersions` (any version when undefined; none
   * when empty). One statement: the write and the lookup that tells 404 from 412 see the same snapshot.
   */
  async replace(id: string, input: ItemFields, ifVersions?: readonly number[]): Promise<WriteResult> {
    if (!UUID.test(id)) return { kind: 'not_found' };
    return this.conditionalUpdate(`name = $3, description = $4, category = $5, price_cents = $6, tags = $7::text[]`, [
      id,
      versionsParam(ifVersions),
      input.name,
      input.description,
      input.category,
      input.priceCents,
      [...input.tags],
    ]);
  }

  /**
   * Changes the given fields, under the same condition as {@link replace}. With no field to change
   * nothing is written (the version stays) but the condition is still checked.
   */
  async patch(id: string, changes: ItemChanges, ifVersions?: readonly number[]): Promise<WriteResult> {
    if (!UUID.test(id)) return { kind: 'not_found' };
    const sets: string[] = [];
    const params: unknown[] = [id, versionsParam(ifVersions)];
    const set = (column: string, value: unknown, cast = '') => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (changes.name !== undefined) set('name', changes.name);
    if (changes.description !== undefined) set('description', changes.description);
    if (changes.category !== undefined) set('category', changes.category);
    if (changes.priceCents !== undefined) set('price_cents', changes.priceCents);
    if (changes.tags !== undefined) set('tags', [...changes.tags], '::text[]');
    if (sets.length === 0) {
      const rows = await this.db.query<WrittenRow>(
        `SELECT ${versionMatches(2)} AS written, ${COLUMNS} FROM items WHERE id = $1::uuid`,
        params,
      );
      return writeOutcome(rows[0]);
    }
    return this.conditionalUpdate(sets.join(', '), params);
  }

  /** Deletes the item, under the same condition as {@link replace}. */
  async delete(id: string, ifVersions?: readonly number[]): Promise<DeleteResult> {
    if (!UUID.test(id)) return { kind: 'not_found' };
    const rows = await this.db.query<{ written: boolean; version: unknown }>(
      `WITH gone AS (
         DELETE FROM items WHERE id = $1::uuid AND ${versionMatches(2)} RETURNING version
       )
       SELECT true AS written, version FROM gone
       UNION ALL
       SELECT false, version FROM (${latestRowUnless('gone')}) AS latest`,
      [id, versionsParam(ifVersions)],
    );
    const row = rows[0];
    if (!row) return { kind: 'not_found' };
    return row.written ? { kind: 'ok' } : { kind: 'version_mismatch', version: toInt(row.version) };
  }

  /** Every category that has items, with its count, by name (bytewise, as JavaScript sorts). */
  async categories(): Promise<CategoryCount[]> {
    const rows = await this.db.query<{ name: string; item_count: unknown }>(
      `SELECT category AS name, count(*)::int AS item_count FROM items
       GROUP BY category ORDER BY category COLLATE "C"`,
    );
    return rows.map((r) => ({ name: r.name, itemCount: toInt(r.item_count) }));
  }

  /**
   * `UPDATE … WHERE id = $1 AND version matches $2`, and in the same statement (same snapshot) the
   * current row when nothing was updated, to tell "no such item" from "other version".
   */
  private async conditionalUpdate(assignments: string, params: unknown[]): Promise<WriteResult> {
    const rows = await this.db.query<WrittenRow>(
      `WITH changed AS (
         UPDATE items SET ${assignments}, version = version + 1, updated_at = now()
         WHERE id = $1::uuid AND ${versionMatches(2)}
         RETURNING ${COLUMNS}
       )
       SELECT true AS written, ${COLUMNS} FROM changed
       UNION ALL
       SELECT false, ${COLUMNS} FROM (${latestRowUnless('changed')}) AS latest`,
      params,
    );
    return writeOutcome(rows[0]);
  }
}

function versionsParam(ifVersions: readonly number[] | undefined): number[] | null {
  if (ifVersions === undefined) return null;
  // int4 range only: anything else cannot be a version, and must not become a database error.
  return ifVersions.filter((v) => Number.isInteger(v) && v >= 1 && v <= 2_147_483_647);
}

function writeOutcome(row: WrittenRow | undefined): WriteResult {
  if (!row) return { kind: 'not_found' };
  const item = toRecord(row);
  return row.written ? { kind: 'ok', item } : { kind: 'version_mismatch', version: item.version };
}

function toRecord(row: ItemRow): ItemRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    priceCents: toInt(row.price_cents),
    tags: toStringArray(row.tags),
    version: toInt(row.version),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}
