/**
 * The `auth` tag: the token endpoint (password and refresh grants, RFC 6749 §4.3 and §6),
 * revocation (RFC 7009), introspection (RFC 7662) and logout.
 */
import { randomUUID } from 'node:crypto';
import { authenticateClient, presentedClient } from '../../auth/client-authentication';
import { clientCredentialsGrant } from '../../auth/grants/client-credentials';
import { confirmLogin } from '../../auth/login-confirmation';
import { type AccessClaims, hashRefreshToken, newRefreshToken, refreshTokenSession } from '../../auth/tokens';
import { OAUTH_NO_STORE, OAuthError } from '../../core/errors';
import { userCallerOf } from '../caller';
import type { HandlerDeps } from '../deps';
import type { Handler, HandlerRequest } from '../types';

/** Sorted, de-duplicated scopes of a space-separated string. */
function scopeList(scope: string): string[] {
  return [...new Set(scope.split(' ').filter(Boolean))];
}

export function authHandlers(deps: HandlerDeps) {
  const { users, passwords, tokens, sessions, throttle, logger } = deps;

  /** RFC 6749 §4.3: the resource owner's password, throttled, then a new session. */
  async function passwordGrant(req: HandlerRequest<'issueToken'>) {
    const form = req.body;
    if (form.username === undefined || form.password === undefined) {
      throw new OAuthError('invalid_request', 'username and password are required.');
    }
    const user = await verifiedUser(form.username, form.password, req);
    const scopes = grantedScopes(user.scopes, form.scope);
    if (passwords.needsRehash(user.passwordHash)) {
      await users.updatePasswordHash(user.id, await passwords.hash(form.password));
    }
    return openSession(user.id, scopes, form.client_id ?? deps.defaultClientId, req);
  }

  /** The user whose password this is; else invalid_grant, after the same work for every failure. */
  async function verifiedUser(username: string, password: string, req: HandlerRequest<'issueToken'>) {
    // Counted before the password is looked at (reserve first): over the limit, even the right
    // password gets 429, and parallel attempts cannot all slip past a limit they have not yet hit.
    const attempt = await throttle.reserve(username, req.ip);
    const user = await users.findByUsername(username).catch(async (err: unknown) => {
      // No verdict (e.g. the database is down): the attempt must not count as a failure. If Redis
      // is down as well the unit stays reserved, which errs on the safe side.
      await attempt.released().catch(() => undefined);
      throw err;
    });
    // An unknown user, a disabled one and a wrong password get the same answer after the same work.
    const valid =
      user && !user.disabledAt
        ? await passwords.verify(user.passwordHash, password)
        : await passwords.verifyDummy(password);
    if (!user || !valid || user.disabledAt) {
      // Only the in-flight mark goes: the unit stays either way, so a Redis error here changes nothing.
      await attempt.failed().catch(() => undefined);
      logger.info({ requestId: req.requestId, ip: req.ip, outcome: 'invalid_grant' }, 'token request refused');
      throw new OAuthError('invalid_grant', 'The username or password is incorrect.');
    }
    await attempt.succeeded();
    return user;
  }

  /** RFC 6749 §3.3: the requested scopes, all held by the user; the user's scopes when none is asked. */
  function grantedScopes(held: string[], requestedScope: string | undefined): string[] {
    if (requestedScope === undefined) return held;
    const requested = scopeList(requestedScope);
    const notHeld = requested.filter((s) => !held.includes(s));
    if (notHeld.length)
      throw new OAuthError('invalid_scope', `Scope(s) not available to this user: ${notHeld.join(' ')}.`);
    return requested;
  }

  /** A new session in Redis with its first access and refresh tokens. */
  async function openSession(sub: string, scopes: string[], clientId: string, req: HandlerRequest<'issueToken'>) {
    const now = deps.clock();
    const sid = randomUUID();
    const refresh = newRefreshToken(sid);
    const { absExp, accessExp } = sessions.limits(now, tokens.lifetimeSeconds);
    const { token, claims } = await tokens.issue({
      sub,
      sid,
      scope: scopes.join(' '),
      clientId,
      iat: now,
      exp: accessExp,
    });
    const evicted = await sessions.create({
      sid,
      sub,
      clientId: claims.client_id,
      scope: claims.scope,
      jti: claims.jti,
      accessExp,
      refreshHash: refresh.hash,
      now,
      absExp,
    });
    // Logged before the confirmation below: these sessions ended whether or not this login stands.
    // One line per session, so a search by `sid` finds its end like every other event of it.
    for (const ended of evicted) {
      logger.info(
        { requestId: req.requestId, sub, sid: ended, outcome: 'session_evicted' },
        'oldest session ended by the per-user session cap',
      );
    }
    // An administrator may have disabled the user or taken a scope since we read it: see confirmLogin.
    const confirmed = await confirmLogin(deps, { sid, sub, scope: claims.scope });
    if (confirmed.kind === 'refused') throw new OAuthError('invalid_grant', 'The username or password is incorrect.');
    const issued =
      confirmed.scope === claims.scope
        ? { token, claims }
        : await tokens.issue({
            sub,
            sid,
            jti: claims.jti,
            scope: confirmed.scope,
            clientId: claims.client_id,
            iat: now,
            exp: accessExp,
          });
    const fields = {
      requestId: req.requestId,
      ip: req.ip,
      sub,
      sid,
      jti: claims.jti,
      outcome: 'issued',
      grant: 'password',
    };
    logger.info(fields, 'token issued');
    return tokenResponse(issued.token, issued.claims, refresh.token);
  }

  async function refreshGrant(req: HandlerRequest<'issueToken'>) {
    const presented = req.body.refresh_token;
    if (presented === undefined) throw new OAuthError('invalid_request', 'refresh_token is required.');
    const sid = refreshTokenSession(presented);
    const sub = sid === undefined ? null : await sessions.subject(sid);
    if (!sid || !sub) throw new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
    // The user is looked up before the rotation commits: a database outage answers 503 and the
    // presented token stays valid, so the client's retry works.
    const user = await users.findById(sub);
    if (!user || user.disabledAt) {
      await sessions.end(sid, sub);
      throw new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
    }
    const successor = tokens.successorRefreshToken(presented);
    const jti = randomUUID();
    const now = deps.clock();
    const result = await sessions.rotate(sid, {
      presentedHash: hashRefreshToken(presented),
      successorHash: successor.hash,
      jti,
      accessExp: now + tokens.lifetimeSeconds,
      now,
      heldScopes: user.scopes,
      scope: req.body.scope === undefined ? undefined : scopeList(req.body.scope).join(' '),
    });
    if (result.kind === 'reused') {
      // RFC 9700 §4.14.2: a rotated token came back, so one of its two holders is an attacker.
      logger.warn(
        { requestId: req.requestId, ip: req.ip, sub: result.sub, sid, outcome: 'refresh_reuse' },
        'refresh token reused: session ended',
      );
    }
    if (result.kind === 'invalid_scope')
      throw new OAuthError('invalid_scope', 'A refresh may only narrow the scopes the session holds.');
    if (result.kind !== 'ok')
      throw new OAuthError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
    // A retry gets the access token its rotation issued (result.jti), signed again: nothing new is stored.
    const { token, claims } = await tokens.issue({
      sub: result.sub,
      sid,
      jti: result.jti,
      scope: result.scope,
      clientId: result.clientId,
      iat: now,
      exp: result.accessExp,
    });
    logger.info(
      {
        requestId: req.requestId,
        ip: req.ip,
        sub: result.sub,
        sid,
        jti: result.jti,
        outcome: 'issued',
        grant: 'refresh_token',
        retry: result.retry,
      },
      'token issued',
    );
    return tokenResponse(token, claims, successor.token);
  }

  function tokenResponse(accessToken: string, claims: AccessClaims, refreshToken: string) {
    return {
      status: 200 as const,
      headers: OAUTH_NO_STORE,
      body: {
        access_token: accessToken,
        token_type: 'Bearer' as const,
        expires_in: claims.exp - claims.iat,
        scope: claims.scope,
        refresh_token: refreshToken,
      },
    };
  }

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

  const clientCredentials = clientCredentialsGrant(deps);

  const issueToken: Handler<'issueToken'> = async (req) => {
    switch (req.body.grant_type) {
      case 'password':
        return passwordGrant(req);
      case 'refresh_token':
        return refreshGrant(req);
      case 'client_credentials':
        return clientCredentials(req);
      default:
        throw new OAuthError(
          'unsupported_grant_type',
          'grant_type must be password, refresh_token or client_credentials.',
        );
    }
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
    } else {
      await sessions.end(principal.sessionId, principal.userId);
      logger.info({ requestId: req.requestId, sub: principal.userId, sid: principal.sessionId }, 'session ended');
    }
    return { status: 204 };
  };

  return { issueToken, revokeToken, introspectToken, logout };
}
