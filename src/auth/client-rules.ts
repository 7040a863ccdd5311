/**
 * What a client may be registered with, shared by the API and `npm run client:create`: the grant
 * types specgate knows, and which redirect URIs are acceptable.
 */

/** Every grant type a client may be allowed (RFC 6749 §4). */
export const GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token', 'password'] as const;

export type GrantTypeName = (typeof GRANT_TYPES)[number];

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether `grant` is one of {@link GRANT_TYPES}. */
export function isGrantType(grant: string): grant is GrantTypeName {
  return (GRANT_TYPES as readonly string[]).includes(grant);
}

/**
 * Why a redirect URI cannot be registered, or undefined: absolute, no fragment (RFC 6749
 * §3.1.2), https or http on a loopback host (RFC 8252 §7.3); compared later as exact strings
 * (RFC 9700 §4.1.3).
 */
export function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URI';
  }
  if (uri.includes('#')) return 'must not have a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return 'must be https, or http on a loopback host';
}
