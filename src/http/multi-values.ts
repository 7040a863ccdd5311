/**
 * The one collector of `name=value` pairs for both the query string and form bodies: a repeated
 * name becomes an array, so a schema can accept a list or refuse a repeat (RFC 6749 §3.2).
 */
export type MultiValues = Record<string, string | string[]>;

/**
 * Collects the pairs of `application/x-www-form-urlencoded` text. With `dropEmpty`, a name sent
 * without a value is treated as omitted (RFC 6749 §3.2 for OAuth form parameters).
 */
export function multiValues(text: string, opts: { dropEmpty?: boolean } = {}): MultiValues {
  if (text === '') return {};
  // No prototype while collecting: a name such as `__proto__` must be an ordinary key.
  const out: MultiValues = Object.create(null);
  for (const [k, v] of new URLSearchParams(text)) {
    if (opts.dropEmpty && v === '') continue;
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return { ...out };
}
