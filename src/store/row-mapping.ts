/**
 * Converting driver values to domain types, shared by the repositories. pg and PGlite differ
 * (pg returns bigint as string, PGlite as number), so every column is converted and checked.
 */

export function toInt(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new TypeError(`Unexpected integer value from database: ${String(value)}`);
  return n;
}

export function toDate(value: unknown): Date {
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new TypeError(`Unexpected timestamp value from database: ${String(value)}`);
  return date;
}

export function toStringArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  throw new TypeError(`Unexpected value from database: expected text[], got ${typeof value}`);
}

/** The one row a statement with RETURNING gave (an INSERT, or an UPDATE of a row it holds locked). */
export function returnedRow<T>(rows: readonly T[]): T {
  const [row] = rows;
  if (row === undefined) throw new Error('the statement returned no row');
  return row;
}
