/**
 * The text form of a UUID (RFC 9562 §4: 8-4-4-4-12 hex digits), the one pattern every id check
 * uses. Version and variant bits are not checked: PostgreSQL's `uuid` type does not check them
 * either, and an id only has to be one the database could hold.
 */

/** Unanchored, lower case, to build other patterns from (a refresh token starts with one). */
export const UUID_TEXT = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** A whole string that is a UUID, hex digits in either case (RFC 9562 §4 reads them case-insensitively). */
export const UUID = new RegExp(`^${UUID_TEXT}$`, 'i');

/** A UUID as this service writes it (randomUUID(), PostgreSQL): lower case only. */
export const CANONICAL_UUID = new RegExp(`^${UUID_TEXT}$`);
