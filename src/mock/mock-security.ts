/**
 * The mock's security: the real service's rules for the Authorization header (bearerToken of
 * src/auth/principal.ts), without its token signatures and sessions, so a client meets the same
 * 401s, and a 403 when a token lacks a scope.
 *
 * - No Authorization header, or neither the Bearer nor the DPoP scheme: 401 `unauthorized`. A
 *   DPoP token (RFC 9449 §7) is taken like a bearer one: the mock checks no proof.
 * - A token that is not an RFC 6750 b64token: 401 `invalid_token`.
 * - A JWT (`header.payload.signature`, base64url) grants the scopes of its `scope` claim, as the
 *   service's access tokens do; its signature is not checked, and once its `exp` has passed it
 *   gets 401 `invalid_token`. A JWT without a `scope` claim grants every scope.
 * - Any other well-formed token grants every scope. So does the access token the mock's own
 *   `POST /token` answers with (the document's example: a JWT without a `scope` claim).
 */
import { decodeJwt } from 'jose';
import { bearerToken, type Principal, type SecurityScheme } from '../auth/principal';
import { tokenChallenge } from '../auth/schemes/challenge';
import { documentScopes } from '../auth/scopes';
import { ApiError } from '../core/errors';
import type { OpenApiDocument } from '../pipeline/compile/document';

/** The mock's check of a Bearer or DPoP token; `allScopes` are what a token without a `scope` claim gets. */
export function mockBearerScheme(allScopes: readonly string[], challengeScheme = 'Bearer'): SecurityScheme {
  return {
    verify: (request) => principalOf(tokenOf(request.headers.authorization), allScopes),
    challenge: (err) => tokenChallenge(challengeScheme, err),
  };
}

/** The token of `Authorization: Bearer <token>` or `Authorization: DPoP <token>`. */
function tokenOf(header: string | undefined): string {
  const space = header?.indexOf(' ') ?? -1;
  if (header && space > 0 && header.slice(0, space).toLowerCase() === 'dpop')
    return bearerToken(`Bearer ${header.slice(space + 1)}`);
  return bearerToken(header);
}

function principalOf(token: string, allScopes: readonly string[]): Principal {
  let claims: Record<string, unknown> = {};
  if (token.split('.').length === 3) {
    try {
      claims = decodeJwt(token);
    } catch {
      throw new ApiError('invalid_token', { detail: 'The access token is a malformed JWT.' });
    }
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now())
    throw new ApiError('invalid_token', { detail: 'The access token has expired.' });
  if (claims.scope !== undefined && typeof claims.scope !== 'string')
    throw new ApiError('invalid_token', { detail: 'The scope claim must be a string.' });
  const principal: Principal = {
    kind: 'user',
    userId: typeof claims.sub === 'string' ? claims.sub : 'mock-user',
    scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [...allScopes],
    clientId: 'mock',
    sessionId: 'mock-session',
    tokenId: typeof claims.jti === 'string' ? claims.jti : 'mock-token',
    expiresAt: typeof claims.exp === 'number' ? claims.exp : 0,
  };
  return principal;
}

/**
 * The mock's handler for each security scheme of the document: all are token schemes (OAuth2, HTTP
 * bearer and HTTP DPoP) and get {@link mockBearerScheme}, with every scope the document's OAuth2
 * flows name, and their own scheme's challenge.
 */
export function mockSecuritySchemes(document: OpenApiDocument): Record<string, SecurityScheme> {
  const schemes = (document.components?.securitySchemes ?? {}) as Record<
    string,
    { type?: string; scheme?: string; flows?: Record<string, { scopes?: Record<string, string> }> }
  >;
  const scopes = documentScopes(document);
  const bearer = mockBearerScheme(scopes);
  const dpop = mockBearerScheme(scopes, 'DPoP');
  return Object.fromEntries(
    Object.entries(schemes).map(([name, s]) => {
      const httpScheme = s.type === 'http' ? s.scheme?.toLowerCase() : undefined;
      if (s.type !== 'oauth2' && httpScheme !== 'bearer' && httpScheme !== 'dpop') {
        throw new Error(`security scheme ${name} (${s.type}) is not a token scheme: the mock cannot check it`);
      }
      return [name, httpScheme === 'dpop' ? dpop : bearer];
    }),
  );
}
