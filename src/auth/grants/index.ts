/**
 * The grants of the token endpoint, by `grant_type`. A new grant is a file of its own and a line
 * here; the metadata (RFC 8414 `grant_types_supported`) lists what this map holds.
 */
import { authorizationCodeGrant } from './authorization-code';
import { clientCredentialsGrant } from './client-credentials';
import type { Grant, GrantDeps } from './grant';
import { passwordGrant } from './password';
import { refreshTokenGrant } from './refresh-token';

export type { Grant, GrantDeps, GrantResult, TokenRequest } from './grant';

/** The grants served; the password grant only while PASSWORD_GRANT=enabled. */
export function grants(deps: GrantDeps): ReadonlyMap<string, Grant> {
  return new Map<string, Grant>([
    ['authorization_code', authorizationCodeGrant(deps)],
    ...(deps.passwordGrant ? [['password', passwordGrant(deps)] as const] : []),
    ['refresh_token', refreshTokenGrant(deps)],
    ['client_credentials', clientCredentialsGrant(deps)],
  ]);
}
