/**
 * A client as the API shows it, and the checks on what an administrator may register. Never the
 * secret's hash; the secret itself only in the answers that make it.
 */
import type { components } from '../../../generated/openapi';
import { type Violation, validationFailed } from '../../core/errors';
import type { ClientRecord } from '../../store/clients.repository';
import type { Scope } from './user-body';

type GrantType = components['schemas']['GrantType'];

const GRANT_TYPES: readonly string[] = ['client_credentials', 'authorization_code', 'refresh_token', 'password'];
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The `Client` representation of a stored client; `declared`: the document's scopes. */
export function clientBody(client: ClientRecord, declared: ReadonlySet<string>): components['schemas']['Client'] {
  return {
    client_id: client.id,
    name: client.name,
    public: client.secretHash === null,
    grant_types: client.grantTypes.filter((g): g is GrantType => GRANT_TYPES.includes(g)),
    scopes: client.scopes.filter((s): s is Scope => declared.has(s)),
    redirect_uris: client.redirectUris,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    first_party: client.firstParty,
    disabled: client.disabledAt !== null,
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
  };
}

/**
 * Why a redirect URI cannot be registered, or undefined: absolute, no fragment (RFC 6749
 * §3.1.2), https or http on a loopback host (RFC 8252 §7.3, RFC 9700 §4.1.3 for exact matching).
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

/** A 400 naming every redirect URI that cannot be registered; nothing when all are fine. */
export function checkRedirectUris(uris: readonly string[] | undefined): void {
  const violations: Violation[] = [];
  uris?.forEach((uri, i) => {
    const problem = redirectUriProblem(uri);
    if (problem) violations.push({ in: 'body', pointer: `/redirect_uris/${i}`, message: problem });
  });
  if (violations.length) throw validationFailed(...violations);
}
