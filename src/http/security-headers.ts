/**
 * Response header sets by kind of response, computed once at start-up.
 *
 * - `api`: what the OWASP REST Security cheat sheet recommends for API responses: no sniffing, no
 *   framing, a CSP that allows nothing (a JSON body rendered as a page runs nothing), `no-store`
 *   unless the cache stage or the handler says otherwise, and HSTS when served over TLS.
 * - `page`: the docs page, which Redoc renders with inline styles and a blob: search worker.
 */
export type HeaderSet = Readonly<Record<string, string>>;

export interface SecurityHeaders {
  api: HeaderSet;
  page: HeaderSet;
}

/** RFC 6797: a year, subdomains included; only meaningful (and only sent) over TLS. */
const HSTS = 'max-age=31536000; includeSubDomains';

const REDOC_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self' blob:",
].join('; ');

/** The header sets for a deployment; `tls` when clients reach it over HTTPS (directly or via a proxy). */
export function securityHeaders(opts: { tls: boolean }): SecurityHeaders {
  const transport: Record<string, string> = opts.tls ? { 'strict-transport-security': HSTS } : {};
  return {
    api: Object.freeze({
      ...transport,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'cache-control': 'no-store',
    }),
    page: Object.freeze({
      ...transport,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'content-security-policy': REDOC_CSP,
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    }),
  };
}
