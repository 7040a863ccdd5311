/**
 * The `oauth2` scheme: a bearer access token from the Authorization header only (RFC 6750 §2.1;
 * never the query string). `verify` checks its signature and claims (memoised by TokenService);
 * `check` asks Redis whether its session and the token itself are still live, on every request.
 * Scopes are checked by the pipeline's authorize stage, from the operation's requirement.
 */
import { ApiError } from '../../core/errors';
import { bearerToken, type Principal, type SecurityScheme } from '../principal';
import type { SessionStore } from '../sessions';
import type { AccessClaims, TokenService } from '../tokens';

export function bearerScheme(tokens: TokenService, sessions: SessionStore): SecurityScheme {
  return {
    verify(headers) {
      const token = bearerToken(headers.authorization);
      // A signature verified before answers in this tick: no promise on the hot path.
      const known = tokens.memoized(token);
      return known ? principalOf(known) : tokens.verify(token).then(principalOf);
    },
    check(claimed): Promise<Principal> {
      const token = {
        sub: claimed.userId,
        sid: claimed.sessionId,
        jti: claimed.tokenId,
        scope: claimed.scopes.join(' '),
      };
      return sessions.live(token).then((live) => {
        if (!live)
          throw new ApiError('invalid_token', {
            detail: 'The access token has been revoked or its session has ended.',
          });
        // The token's claim as its session allows it now: an admin may have narrowed the session.
        // Whom it was issued to is the session's to say: the signed claims are the same for both.
        return { ...claimed, scopes: live.scopes, kind: live.kind };
      });
    },
  };
}

function principalOf(claims: AccessClaims): Principal {
  return {
    // Settled by `check` from the session, which every request runs.
    kind: 'user',
    userId: claims.sub,
    scopes: claims.scope.split(' '),
    clientId: claims.client_id,
    sessionId: claims.sid,
    tokenId: claims.jti,
    expiresAt: claims.exp,
  };
}
