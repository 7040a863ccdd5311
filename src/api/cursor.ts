/**
 * Opaque paging cursors, authenticated: `base64url(JSON value) "." base64url(tag)`, the tag a
 * truncated HMAC-SHA256 over the listing and the value, keyed by a key HKDF derives from the JWT
 * secret for cursors alone (RFC 5869; one key per purpose, RFC 8725 §3.5). So only cursors this
 * service issued are accepted, unchanged, and only in the listing that issued them: a forged or
 * tweaked cursor, or one from another filter, never reaches the database or the response cache,
 * where each would have been a new entry (every page a client can reach starts after an item the
 * service once listed there). Every instance and worker with the same JWT_SECRET derives the same
 * key, so a cursor stays valid whichever of them answers the next page.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { type ApiError, validationFailed } from '../core/errors';

/** HKDF `info` of the cursor key: never the JWT key itself, nor the refresh-successor key. */
const CURSOR_KEY_INFO = 'specgate list cursor v1';

/**
 * Tag bytes kept: 128 bits, half of SHA-256's output, which RFC 2104 §5 allows (at least half and
 * at least 80 bits). A forger must guess it online, one request per guess, against 2^128; the
 * cursor stays short (22 characters of tag) and checking it costs one HMAC of ~100 bytes.
 */
const TAG_BYTES = 16;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Seals and opens the cursors of every listing. */
export class CursorSeal {
  private readonly key: Buffer;

  /** `secret`: the JWT secret (config.jwt.secret). */
  constructor(secret: Uint8Array) {
    this.key = Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), CURSOR_KEY_INFO, 32));
  }

  /**
   * The cursor carrying `value` for `listing`: a string naming the operation and everything that
   * selects its rows (the filter, not the page size), so a cursor works only where it was issued.
   */
  seal(listing: string, value: unknown): string {
    const payload = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    return `${payload}.${this.tag(listing, payload).toString('base64url')}`;
  }

  /** The value inside a cursor this service sealed for `listing`, or undefined for anything else. */
  open(listing: string, cursor: string): unknown {
    const dot = cursor.indexOf('.');
    if (dot < 1) return undefined;
    const payload = cursor.slice(0, dot);
    const tagText = cursor.slice(dot + 1);
    if (!BASE64URL.test(payload) || !BASE64URL.test(tagText)) return undefined;
    const presented = Buffer.from(tagText, 'base64url');
    // The exact text we issue: a tag with trailing bits set decodes to the same bytes, so compare text too.
    if (presented.length !== TAG_BYTES || presented.toString('base64url') !== tagText) return undefined;
    // Constant time, so response timing tells a forger nothing about how much of a tag was right.
    if (!timingSafeEqual(presented, this.tag(listing, payload))) return undefined;
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  }

  private tag(listing: string, payload: string): Buffer {
    // The listing and the payload are joined by a byte neither contains (payload is base64url).
    return createHmac('sha256', this.key).update(listing).update('\n').update(payload).digest().subarray(0, TAG_BYTES);
  }
}

/** The 400 for a cursor this service did not issue (`in: query`, `pointer: /cursor`). */
export function foreignCursor(): ApiError {
  return validationFailed({ in: 'query', pointer: '/cursor', message: 'is not a cursor this service issued' });
}
