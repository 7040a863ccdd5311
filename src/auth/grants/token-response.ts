/** The body of a successful token response (RFC 6749 §5.1). */
import type { AccessClaims } from '../tokens';
import type { GrantResult } from './grant';

/** Access token, its lifetime and scope, and the refresh token when the grant issues one. */
export function tokenResponse(accessToken: string, claims: AccessClaims, refreshToken: string): GrantResult {
  return {
    body: {
      access_token: accessToken,
      // RFC 9449 §5: a bound token says so, so the client sends it with proofs.
      token_type: claims.cnf ? 'DPoP' : 'Bearer',
      expires_in: claims.exp - claims.iat,
      scope: claims.scope,
      refresh_token: refreshToken,
    },
  };
}
