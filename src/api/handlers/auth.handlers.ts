/**
 * The `auth` tag: the token endpoint (its grants are in src/auth/grants/, one file each),
 * revocation (RFC 7009), introspection (RFC 7662) and logout.
 */
import { authenticateClient, presentedClient } from '../../auth/client-authentication';
import { tokenBinding } from '../../auth/dpop/token-binding';
import { grants } from '../../auth/grants';
import { hashRefreshToken, refreshTokenSession } from '../../auth/refresh-tokens';
import { OAUTH_NO_STORE, OAuthError } from '../../core/errors';
import { userCallerOf } from '../caller';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';

export function authHandlers(deps: HandlerDeps) {
  const { users, tokens, sessions, logger } = deps;
  const byType = grants(deps);
  const supported = [...byType.keys()].join(', ');

  /**
   * The claims of a valid access token with a live session, or undefined; `scope` as narrowed by
   * its session, and whom it was issued to.
   */
  async function liveAccessToken(token: string) {
    const claims = await tokens.verify(token).catch(() => undefined);
    if (!claims) return undefined;
    const live = await sessions.live(claims);
    return live ? { claims: { ...claims, scope: live.scopes.join(' ') }, kind: live.kind } : undefined;
  }

  /** The client a request authenticates as (RFC 6749 §2.3.1), or undefined when it presents no credentials. */
  async function requestClient(
    req: { authorization: string | undefined; ip: string },
    form: { client_id?: string; client_secret?: string },
  ) {
    const presented = presentedClient({ authorization: req.authorization, form });
    return presented ? authenticateClient(deps, presented, req.ip) : undefined;
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
    // RFC 7009 §2.1: an authenticated client may revoke only the tokens issued to it.
    const client = await requestClient(req, req.body);
    const ours = (clientId: string | undefined) => client === undefined || clientId === client.id;
    const sid = refreshTokenSession(token);
    if (sid) {
      const owner = client ? (await sessions.get(sid))?.clientId : undefined;
      if (ours(owner) && (await sessions.revokeRefresh(sid, hashRefreshToken(token)))) {
        logger.info(
          { requestId: req.requestId, sid, outcome: 'revoked', token_type: 'refresh_token' },
          'session ended by revocation',
        );
      }
    } else {
      const claims = await tokens.verify(token).catch(() => undefined);
      if (claims && ours(claims.client_id)) await sessions.revokeAccess(claims.sid, claims.jti);
    }
    // RFC 7009 §2.2: 200 whether or not the token was valid, so the answer reveals nothing.
    return { status: 200, headers: OAUTH_NO_STORE };
  };

  const introspectToken: Handler<'introspectToken'> = async (req) => {
    const { token } = req.body;
    // The clientSecretBasic alternative of the requirement only saw Basic credentials: check them.
    if (req.authorization !== undefined && /^basic\s/i.test(req.authorization)) {
      const client = await requestClient(req, {});
      if (!client?.scopes.includes('tokens:introspect'))
        throw new OAuthError('unauthorized_client', 'This client may not introspect tokens.');
    }
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
    const live = await liveAccessToken(token);
    if (!live) return inactive;
    const { claims } = live;
    // A client's token names no user; its client must still be registered and enabled.
    const owner = live.kind === 'client' ? await deps.clients.findById(claims.sub) : await users.findById(claims.sub);
    if (!owner || owner.disabledAt) return inactive;
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      body: {
        active: true,
        sub: claims.sub,
        ...('username' in owner ? { username: owner.username } : {}),
        scope: claims.scope,
        client_id: claims.client_id,
        token_type: 'access_token',
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        ...(claims.cnf ? { cnf: { jkt: claims.cnf.jkt } } : {}),
      },
    };
  };

  const logout: Handler<'logout'> = async (req) => {
    const principal = userCallerOf(req);
    if (req.body?.all_sessions === true) {
      await sessions.endAll(principal.userId);
      logger.info(
        { requestId: req.requestId, sub: principal.userId, outcome: 'all_sessions_ended' },
        'every session ended',
      );
    } else if (principal.sessionId !== undefined) {
      // Signing out of an app signs the browser out: a code-flow session ends its sign-in session too.
      const signIn = await sessions.signInSession(principal.sessionId);
      await sessions.end(principal.sessionId, principal.userId);
      if (signIn !== undefined) await sessions.end(signIn, principal.userId);
      logger.info(
        { requestId: req.requestId, sub: principal.userId, sid: principal.sessionId, signInSid: signIn },
        'session ended',
      );
    }
    return { status: 204 };
  };

  return { issueToken, revokeToken, introspectToken, logout };
}
