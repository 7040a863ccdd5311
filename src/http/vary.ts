/**
 * Vary (RFC 9110 §12.5.5) from more than one source: the cors middleware's `Origin`, set on the
 * response object, and a handler's or the caching stage's `Authorization`. Writing one would drop
 * the other, and a shared cache could then serve a response made for one origin or one caller to
 * another, so the values are merged: field names compared case-insensitively (§5.1), each once,
 * in the order first seen; `*` alone replaces them all, as it already says that anything may vary.
 */

/** The merged Vary value of every source given (each a list value, a list of them, or absent); undefined if none names anything. */
export function mergeVary(...sources: (string | number | readonly string[] | undefined)[]): string | undefined {
  const names = new Map<string, string>();
  for (const source of sources) {
    if (source === undefined) continue;
    const values = Array.isArray(source) ? source : [String(source)];
    for (const value of values) {
      for (const raw of value.split(',')) {
        const name = raw.trim();
        if (name === '') continue;
        if (name === '*') return '*';
        const key = name.toLowerCase();
        if (!names.has(key)) names.set(key, name);
      }
    }
  }
  return names.size === 0 ? undefined : [...names.values()].join(', ');
}
