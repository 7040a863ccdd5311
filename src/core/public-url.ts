/**
 * PUBLIC_URL: the URL clients reach the service at, and so the OAuth issuer identifier (RFC 8414
 * §2: an https URL without query or fragment; tokens' `iss` is exactly it) and the prefix of every
 * endpoint the metadata names and of every DPoP proof's `htu` (RFC 9449 §4.3).
 */

/** The normalised URL (no trailing slash), or a problem to report. */
export function parsePublicUrl(raw: string, production: boolean): { url: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: `PUBLIC_URL must be an absolute URL such as https://api.example.com (got "${raw}")` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { problem: `PUBLIC_URL must be an http or https URL (got "${raw}")` };
  if (production && url.protocol !== 'https:')
    return { problem: `PUBLIC_URL must be an https URL in production (RFC 8414 §2) (got "${raw}")` };
  if (url.search || url.hash || raw.includes('?') || raw.includes('#'))
    return { problem: `PUBLIC_URL must have no query or fragment (got "${raw}")` };
  if (url.username || url.password) return { problem: 'PUBLIC_URL must not carry a user or password' };
  return { url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

/** Outside production without PUBLIC_URL: the service's own URL on this machine. */
export function localPublicUrl(port: number, plainHttp: boolean): string {
  return `${plainHttp ? 'http' : 'https'}://localhost:${port}`;
}
