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
import { tokenChallenge } from './challenge';

export interface BearerOptions {
  /** The protected resource's metadata URL (RFC 9728 §5.1), named in every challenge. */
  resourceMetadata?: string;
}

export function bearerScheme(
  tokens: TokenService,
  sessions: SessionStore,
  options: BearerOptions = {},
): SecurityScheme {
  const params = options.resourceMetadata ? [`resource_metadata="${options.resourceMetadata}"`] : [];
  return {
    verify(request) {
      const header = request.headers.authorization;
      // A signature verified before answers in this tick: no promise on the hot path. A token in
      // the memo is well-formed, so the usual spelling is looked up before the header's syntax is
      // checked (RFC 6750 §2.1's b64token), which only a token seen for the first time needs.
      const seen = header?.startsWith('Bearer ') ? tokens.memoized(header.slice(7)) : undefined;
      if (seen) return unbound(seen);
      // verify() answers from the memo too, for a token spelled otherwise ("bearer", extra spaces).
      return tokens.verify(bearerToken(header)).then(unbound);
    },
    check: (claimed) => liveSession(sessions, claimed),
    challenge: (err) => tokenChallenge('Bearer', err, params),
  };
}

/**
 * The principal of a token of specgate's own as its session allows it now, asked of Redis: an
 * admin may have narrowed the session, or ended it.
 */
export function liveSession(sessions: SessionStore, claimed: Principal): Promise<Principal> {
  const { sessionId, tokenId } = claimed;
  if (sessionId === undefined || tokenId === undefined) return Promise.reject(revoked());
  const token = { sub: claimed.userId, sid: sessionId, jti: tokenId, scope: claimed.scopes.join(' ') };
  return sessions.live(token).then((live) => {
    if (!live) throw revoked();
    // Whom the token was issued to is its session's to say: user and client tokens carry the same claims.
    return { ...claimed, scopes: live.scopes, kind: live.kind };
  });
}

const revoked = () =>
  new ApiError('invalid_token', { detail: 'The access token has been revoked or its session has ended.' });

/** RFC 9449 §7.2: a DPoP-bound token is no bearer token; sent as one, it is refused. */
function unbound(claims: AccessClaims): Principal {
  if (claims.cnf)
    throw new ApiError('invalid_token', {
      detail: 'The access token is DPoP-bound: send it as Authorization: DPoP with a proof.',
    });
  return principalOf(claims);
}

/** The principal an access token claims, before its session is asked. */
export function principalOf(claims: AccessClaims): Principal {
  return {
    kind: 'user',
    userId: claims.sub,
    scopes: claims.scope.split(' '),
    clientId: claims.client_id,
    sessionId: claims.sid,
    tokenId: claims.jti,
    expiresAt: claims.exp,
  };
}
