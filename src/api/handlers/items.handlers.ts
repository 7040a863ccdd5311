/**
 * The `items` tag: the catalogue, with optimistic concurrency (ETag = version, If-Match on every
 * write, RFC 9110 §13.1.1) and keyset paging behind opaque cursors.
 *
 * Caching (X-Cache, Cache-Control, If-None-Match/304, list ETags) is the pipeline's cache stage:
 * handlers only set the ETag of a single item, which is its version.
 */

import type { components } from '../../../generated/openapi';
import { ApiError } from '../../core/errors';
import { CANONICAL_UUID } from '../../core/uuid';
import { parseEntityTags } from '../../http/conditional';
import {
  type DeleteResult,
  type ItemChanges,
  type ItemFields,
  type ItemPosition,
  type ItemRecord,
  ItemsRepository,
  POSITION_TIME,
  type WriteResult,
} from '../../store/items.repository';
import { type CursorSeal, foreignCursor } from '../cursor';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';

type ItemInput = components['schemas']['ItemInput'];
type ItemPatch = components['schemas']['ItemPatch'];

/** The strong ETag of an item: its version, quoted. The same on every instance. */
export function itemEtag(version: number): string {
  return `"${version}"`;
}

function itemBody(item: ItemRecord) {
  return {
    id: item.id,
    name: item.name,
    description: item.description,
    category: item.category,
    price_cents: item.priceCents,
    tags: item.tags,
    version: item.version,
    created_at: item.createdAt.toISOString(),
    updated_at: item.updatedAt.toISOString(),
  };
}

function itemFields(input: ItemInput): ItemFields {
  return {
    name: input.name.trim(),
    description: input.description ?? '',
    category: input.category,
    priceCents: input.price_cents,
    tags: input.tags ?? [],
  };
}

/** RFC 7396: absent members stay; `null` resets description to "" and tags to []. */
function itemChanges(patch: ItemPatch): ItemChanges {
  const changes: ItemChanges = {};
  if (patch.name !== undefined) changes.name = patch.name.trim();
  if (patch.description !== undefined) changes.description = patch.description ?? '';
  if (patch.category !== undefined) changes.category = patch.category;
  if (patch.price_cents !== undefined) changes.priceCents = patch.price_cents;
  if (patch.tags !== undefined) changes.tags = patch.tags ?? [];
  return changes;
}

/** What an If-Match header asks for. */
export type IfMatch =
  /** No header, or `*`: any current version (the item must still exist). */
  | { kind: 'any' }
  /** The versions named by strong tags (maybe none: weak or garbage tags match nothing). */
  | { kind: 'versions'; versions: number[]; strongTags: string[] };

const MAX_VERSION = 2_147_483_647;

/**
 * Reads If-Match (RFC 9110 §13.1.1) as item versions: tags are compared strongly, so weak tags
 * (`W/"…"`) never match; a header left with no strong tag matches nothing.
 */
export function parseIfMatch(value: string | undefined): IfMatch {
  if (value === undefined) return { kind: 'any' };
  const list = parseEntityTags(value);
  if (list.any) return { kind: 'any' };
  const versions: number[] = [];
  const strongTags: string[] = [];
  for (const tag of list.tags) {
    if (tag.weak) continue;
    strongTags.push(tag.opaque);
    // Only the exact form this service issues ("7", not "07") can name a version.
    const opaque = tag.opaque.slice(1, -1);
    if (/^[1-9][0-9]{0,9}$/.test(opaque) && Number(opaque) <= MAX_VERSION) versions.push(Number(opaque));
  }
  return { kind: 'versions', versions, strongTags };
}

function ifVersionsOf(header: string | undefined): { ifVersions: number[] | undefined; condition: IfMatch } {
  const condition = parseIfMatch(header);
  return { ifVersions: condition.kind === 'any' ? undefined : condition.versions, condition };
}

/** Maps a failed conditional write to 404 (no such item: wins over 412) or 412. */
function writeFailure(
  itemId: string,
  result: Exclude<WriteResult | DeleteResult, { kind: 'ok' }>,
  condition: IfMatch,
): ApiError {
  if (result.kind === 'not_found') return notFound(itemId);
  if (condition.kind === 'versions' && condition.versions.includes(result.version)) {
    // It was at a named version when the write began, but a concurrent write got there first.
    return new ApiError('precondition_failed', {
      detail: 'The item was changed by a concurrent request; read it again.',
    });
  }
  const named =
    condition.kind === 'versions' && condition.strongTags.length > 0
      ? `not ${condition.strongTags.slice(0, 5).join(' or ')}${condition.strongTags.length > 5 ? ' or …' : ''}`
      : 'and If-Match names no strong entity tag, so it matches nothing';
  return new ApiError('precondition_failed', { detail: `The item is at version ${result.version}, ${named}.` });
}

function notFound(itemId: string): ApiError {
  return new ApiError('not_found', { detail: `No item ${itemId}.` });
}

/** What an items cursor is valid for: the listing and its category (the page size may change). */
const listingOf = (category: string | undefined) => JSON.stringify(['listItems', category ?? null]);

/** The opaque cursor of a position in the listing of `category`: `[created_at text, id]`, sealed. */
export function encodeCursor(seal: CursorSeal, category: string | undefined, position: ItemPosition): string {
  return seal.seal(listingOf(category), [position.createdAt, position.id]);
}

/** The position of a cursor this service issued for the listing of `category`, or undefined for anything else. */
export function decodeCursor(seal: CursorSeal, category: string | undefined, cursor: string): ItemPosition | undefined {
  const parsed = seal.open(listingOf(category), cursor);
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [createdAt, id] = parsed as unknown[];
  // Sealed by this service, so well-formed; checked anyway, as the database must never see a bad timestamp.
  if (
    typeof createdAt !== 'string' ||
    typeof id !== 'string' ||
    !CANONICAL_UUID.test(id) ||
    !POSITION_TIME.test(createdAt)
  )
    return undefined;
  return { createdAt, id };
}

export function itemsHandlers(deps: HandlerDeps) {
  const items = new ItemsRepository(deps.db);
  const { cursors } = deps;

  const listItems: Handler<'listItems'> = async (req) => {
    const { category, cursor } = req.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursors, category, cursor);
    if (cursor !== undefined && !after) throw foreignCursor();
    const page = await items.list({ category, limit: req.query.limit ?? 20, after });
    return {
      status: 200,
      body: {
        items: page.items.map(itemBody),
        next_cursor: page.next ? encodeCursor(cursors, category, page.next) : null,
      },
    };
  };

  const createItem: Handler<'createItem'> = async (req) => {
    const item = await items.create(itemFields(req.body));
    return {
      status: 201,
      headers: { location: `${req.base}/v1/items/${item.id}`, etag: itemEtag(item.version) },
      body: itemBody(item),
    };
  };

  const getItem: Handler<'getItem'> = async (req) => {
    const item = await items.get(req.params.itemId);
    if (!item) throw notFound(req.params.itemId);
    return { status: 200, headers: { etag: itemEtag(item.version) }, body: itemBody(item) };
  };

  const replaceItem: Handler<'replaceItem'> = async (req) => {
    const { itemId } = req.params;
    const { ifVersions, condition } = ifVersionsOf(req.headers['If-Match']);
    const result = await items.replace(itemId, itemFields(req.body), ifVersions);
    if (result.kind !== 'ok') throw writeFailure(itemId, result, condition);
    return { status: 200, headers: { etag: itemEtag(result.item.version) }, body: itemBody(result.item) };
  };

  const updateItem: Handler<'updateItem'> = async (req) => {
    const { itemId } = req.params;
    const { ifVersions, condition } = ifVersionsOf(req.headers['If-Match']);
    const result = await items.patch(itemId, itemChanges(req.body), ifVersions);
    if (result.kind !== 'ok') throw writeFailure(itemId, result, condition);
    return { status: 200, headers: { etag: itemEtag(result.item.version) }, body: itemBody(result.item) };
  };

  const deleteItem: Handler<'deleteItem'> = async (req) => {
    const { itemId } = req.params;
    const { ifVersions, condition } = ifVersionsOf(req.headers['If-Match']);
    const result = await items.delete(itemId, ifVersions);
    if (result.kind !== 'ok') throw writeFailure(itemId, result, condition);
    return { status: 204 };
  };

  const listCategories: Handler<'listCategories'> = async () => {
    const categories = await items.categories();
    return { status: 200, body: { categories: categories.map((c) => ({ name: c.name, item_count: c.itemCount })) } };
  };

  return { listItems, createItem, getItem, replaceItem, updateItem, deleteItem, listCategories };
}
