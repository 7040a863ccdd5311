/**
 * A client as the API shows it, and the checks on what an administrator may register. Never the
 * secret's hash; the secret itself only in the answers that make it.
 */
import type { components } from '../../../generated/openapi';
import { isGrantType, redirectUriProblem } from '../../auth/client-rules';
import { type Violation, validationFailed } from '../../core/errors';
import type { ClientRecord } from '../../store/clients.repository';
import type { Scope } from './user-body';

/** The `Client` representation of a stored client; `declared`: the document's scopes. */
export function clientBody(client: ClientRecord, declared: ReadonlySet<string>): components['schemas']['Client'] {
  return {
    client_id: client.id,
    name: client.name,
    public: client.secretHash === null,
    grant_types: client.grantTypes.filter(isGrantType),
    scopes: client.scopes.filter((s): s is Scope => declared.has(s)),
    redirect_uris: client.redirectUris,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    first_party: client.firstParty,
    disabled: client.disabledAt !== null,
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
  };
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
