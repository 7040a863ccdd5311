/**
 * Entity tags and the conditional-request fields that carry lists of them (RFC 9110 §8.8.3, §13.1).
 * One parser serves If-Match (strong comparison) and If-None-Match (weak comparison).
 */

import { hash } from 'node:crypto';

/**
 * The strong validator of some bytes (RFC 9110 §8.8.3, quoted): the same bytes give the same tag on
 * every instance.
 */
export function strongEtag(bytes: string | Buffer): string {
  return `"${hash('sha256', bytes, 'base64url').slice(0, 27)}"`;
}

/** One element of an entity-tag list. `opaque` keeps its quotes, as an ETag header does. */
export interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** A parsed If-Match / If-None-Match: `*`, or the entity tags it lists (malformed elements dropped). */
export type EntityTagList = { any: true } | { any: false; tags: EntityTag[] };

const ENTITY_TAG = /^(W\/)?("[^"]*")$/;

/**
 * Parses `*` or `#entity-tag`. Commas inside a quoted opaque tag do not split the list (an opaque tag
 * may contain a comma); elements that are not entity tags are ignored, so garbage matches nothing.
 */
export function parseEntityTags(value: string): EntityTagList {
  if (value.trim() === '*') return { any: true };
  const tags: EntityTag[] = [];
  for (const element of listElements(value)) {
    const [, weak, opaque] = ENTITY_TAG.exec(element) ?? [];
    if (opaque !== undefined) tags.push({ weak: weak !== undefined, opaque });
  }
  return { any: false, tags };
}

/** The opaque part of an ETag field value (`W/"x"` → `"x"`). */
function opaqueOf(etag: string): string {
  return etag.startsWith('W/') ? etag.slice(2) : etag;
}

/** If-None-Match (RFC 9110 §13.1.2): weak comparison; `*` matches any current representation. */
export function noneMatchHits(header: string, etag: string): boolean {
  const list = parseEntityTags(header);
  if (list.any) return true;
  const opaque = opaqueOf(etag);
  return list.tags.some((t) => t.opaque === opaque);
}

/** Splits a field value on the commas outside quoted strings. */
function listElements(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch === 34 /* " */) quoted = !quoted;
    else if (ch === 44 /* , */ && !quoted) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter(Boolean);
}
