/**
 * The security stage for the `oauth2` scheme: a bearer token from the Authorization header only
 * (RFC 6750 §2.1; never the query string), its signature and claims, then its session in Redis.
 * Scopes are checked by the pipeline from the operation's security requirement, not here.
 */
import { ApiError } from '../core/errors';
import type { Principal, SecuritySchemeHandler } from '../pipeline/pipeline';
import type { SessionStore } from './sessions';
import type { TokenService } from './tokens';

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The token of an `Authorization: Bearer <token>` header. Throws an {@link ApiError}: `unauthorized`
 * when there is no header or it names another scheme, `invalid_token` when the token is malformed.
 */
export function bearerToken(header: string | undefined): string {
  if (!header) throw new ApiError('unauthorized', { detail: 'This operation needs an access token: Authorization: Bearer <token>.' });
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  // The scheme name is case-insensitive (RFC 9110 §11.1); other schemes carry no bearer credentials.
  if (scheme.toLowerCase() !== 'bearer') throw new ApiError('unauthorized', { detail: 'Use the Bearer authentication scheme.' });
  const token = header.slice(space + 1).trim();
  if (space === -1 || !B64TOKEN.test(token)) throw new ApiError('invalid_token', { detail: 'The access token is malformed.' });
  return token;
}

/** Builds the handler openapi-backend calls for the bearer scheme. */
export function bearerScheme(tokens: TokenService, sessions: SessionStore): SecuritySchemeHandler {
  return async (req) => {
    const claims = await tokens.verify(bearerToken(req.headers.authorization));
    // Same tick as the session lookup below: the cache stage's reads share its round trip.
    req.onAuthenticated?.({ userId: claims.sub, scopes: claims.scope.split(' ') });
    const scopes = await sessions.liveScopes(claims);
    if (!scopes) {
      throw new ApiError('invalid_token', { detail: 'The access token has been revoked or its session has ended.' });
    }
    const principal: Principal = {
      userId: claims.sub,
      // The token's claim as its session allows it now: an admin may have narrowed the session.
      scopes,
      clientId: claims.client_id,
      sessionId: claims.sid,
      tokenId: claims.jti,
      expiresAt: claims.exp,
    };
    return principal;
  };
}
