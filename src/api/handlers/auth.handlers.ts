/**
 * The `auth` tag: the token endpoint (its grants are in src/auth/grants/, one file each),
 * revocation (RFC 7009), introspection (RFC 7662) and logout.
 */
import { tokenBinding } from '../../auth/dpop/token-binding';
import { grants } from '../../auth/grants';
import { type AccessClaims, hashRefreshToken, refreshTokenSession } from '../../auth/tokens';
import { OAUTH_NO_STORE, OAuthError } from '../../core/errors';
import { callerOf } from '../caller';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';

export function authHandlers(deps: HandlerDeps) {
  const { users, tokens, sessions, logger } = deps;
  const byType = grants(deps);
  const supported = [...byType.keys()].join(', ');

  /** The claims of a valid access token with a live session, or undefined; `scope` as narrowed by its session. */
  async function liveAccessToken(token: string): Promise<AccessClaims | undefined> {
    const claims = await tokens.verify(token).catch(() => undefined);
    if (!claims) return undefined;
    const scopes = await sessions.liveScopes(claims);
    return scopes ? { ...claims, scope: scopes.join(' ') } : undefined;
  }

  const issueToken: Handler<'issueToken'> = async (req) => {
    const grant = byType.get(req.body.grant_type);
    if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type must be one of: ${supported}.`);
    const jkt = await tokenBinding(deps.dpop, { proof: req.headers.DPoP, path: req.base + req.path });
    const result = await grant({
      body: req.body,
      headers: req.headers,
      authorization: req.authorization,
      requestId: req.requestId,
      ip: req.ip,
      jkt,
    });
    // RFC 9449 §8.2: a fresh nonce with every answer, so the client's next proof has one.
    const nonce = deps.dpop.nonce();
    const headers = { ...OAUTH_NO_STORE, ...result.headers, ...(nonce === undefined ? {} : { 'dpop-nonce': nonce }) };
    return { status: 200, headers, body: result.body };
  };

  const revokeToken: Handler<'revokeToken'> = async (req) => {
    const { token } = req.body;
    const sid = refreshTokenSession(token);
    if (sid) {
      if (await sessions.revokeRefresh(sid, hashRefreshToken(token))) {
        logger.info(
          { requestId: req.requestId, sid, outcome: 'revoked', token_type: 'refresh_token' },
          'session ended by revocation',
        );
      }
    } else {
      const claims = await tokens.verify(token).catch(() => undefined);
      if (claims) await sessions.revokeAccess(claims.sid, claims.jti);
    }
    // RFC 7009 §2.2: 200 whether or not the token was valid, so the answer reveals nothing.
    return { status: 200, headers: OAUTH_NO_STORE };
  };

  const introspectToken: Handler<'introspectToken'> = async (req) => {
    const { token } = req.body;
    const inactive = {
      status: 200 as const,
      headers: { 'cache-control': 'no-store' },
      body: { active: false as const },
    };
    const sid = refreshTokenSession(token);
    if (sid) {
      const session = await sessions.get(sid);
      if (!session || session.refreshHash !== hashRefreshToken(token)) return inactive;
      const user = await users.findById(session.sub);
      if (!user || user.disabledAt) return inactive;
      return {
        status: 200,
        headers: { 'cache-control': 'no-store' },
        body: {
          active: true,
          sub: session.sub,
          username: user.username,
          scope: session.scope,
          client_id: session.clientId,
          token_type: 'refresh_token',
          exp: session.expiresAt,
          iat: session.rotatedAt,
          jti: session.sid,
        },
      };
    }
    const claims = await liveAccessToken(token);
    if (!claims) return inactive;
    const user = await users.findById(claims.sub);
    if (!user || user.disabledAt) return inactive;
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      body: {
        active: true,
        sub: claims.sub,
        username: user.username,
        scope: claims.scope,
        client_id: claims.client_id,
        token_type: 'access_token',
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
      },
    };
  };

  const logout: Handler<'logout'> = async (req) => {
    const principal = callerOf(req);
    if (req.body?.all_sessions === true) {
      await sessions.endAll(principal.userId);
      logger.info(
        { requestId: req.requestId, sub: principal.userId, outcome: 'all_sessions_ended' },
        'every session ended',
      );
    } else if (principal.sessionId !== undefined) {
      await sessions.end(principal.sessionId, principal.userId);
      logger.info({ requestId: req.requestId, sub: principal.userId, sid: principal.sessionId }, 'session ended');
    }
    return { status: 204 };
  };

  return { issueToken, revokeToken, introspectToken, logout };
}
