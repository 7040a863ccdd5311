/**
 * The envelope of opaque paging cursors: base64url of a JSON value. Each list operation decides
 * what the value is (a position in its own order) and accepts only cursors whose bytes it would
 * have produced itself, so a client can neither forge nor tweak one.
 */
import { type ApiError, validationFailed } from '../core/errors';

/** The cursor carrying `value`. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The JSON value inside a cursor, or undefined when it is not base64url of JSON. */
export function decodeCursor(cursor: string): unknown {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The 400 for a cursor this service did not issue (`in: query`, `pointer: /cursor`). */
export function foreignCursor(): ApiError {
  return validationFailed({ in: 'query', pointer: '/cursor', message: 'is not a cursor this service issued' });
}
