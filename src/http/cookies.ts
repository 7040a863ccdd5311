/**
 * The Cookie request header, read as a user agent writes it (RFC 6265 §5.4, §4.2.1):
 * `name=value` pairs joined by `; `. Parsed leniently, as servers must (§5.4 is the UA's side):
 * a pair without `=` is skipped, whitespace around names and values is trimmed, a value in double
 * quotes loses them, and of a repeated name the first wins (§5.4 step 2 sorts the longer path,
 * then the older cookie, first: the one the server set with the most specific scope).
 */

/** At most this many pairs are read: a header of thousands of tiny cookies costs nothing more. */
export const MAX_COOKIES = 64;

/** The cookies named in `wanted` (only those: the rest of the header is never copied). */
export function readCookies(header: string | undefined, wanted: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  let start = 0;
  for (let n = 0; n < MAX_COOKIES && start < header.length; n++) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      const name = header.slice(start, eq).trim();
      if (wanted.includes(name) && !(name in out)) {
        let value = header.slice(eq + 1, end).trim();
        if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
        out[name] = value;
      }
    }
    start = end + 1;
  }
  return out;
}

/** Attributes of every cookie specgate sets: `__Host-` (RFC 6265bis §4.1.3.2) needs Secure, Path=/ and no Domain. */
const COOKIE_ATTRIBUTES = 'Path=/; Secure; HttpOnly; SameSite=Lax';

/** A `Set-Cookie` value; `maxAgeSeconds` 0 deletes the cookie, undefined makes it last the browser session. */
export function setCookie(name: string, value: string, maxAgeSeconds?: number): string {
  return `${name}=${value}; ${COOKIE_ATTRIBUTES}${maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`}`;
}
