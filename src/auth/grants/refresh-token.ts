/**
 * The refresh grant (RFC 6749 §6): the session's refresh token rotates on every use, atomically in
 * Redis; a rotated token presented again ends the session (RFC 9700 §4.14.2).
 */
import { randomUUID } from 'node:crypto';
import { OAuthError } from '../../core/errors';
import { requireSameKey } from '../dpop/token-binding';
import { hashRefreshToken, refreshTokenSession } from '../refresh-tokens';
import type { Grant, GrantDeps } from './grant';
import { scopeList } from './grant';
import { clientScopes, refreshingClient, requestingClient, requireGrant } from './requesting-client';
import { tokenResponse } from './token-response';

const INVALID = 'The refresh token is invalid, expired or revoked.';

export function refreshTokenGrant(deps: GrantDeps): Grant {
  const { users, tokens, sessions, logger } = deps;
  return async (req) => {
    const presented = req.body.refresh_token;
    if (presented === undefined) throw new OAuthError('invalid_request', 'refresh_token is required.');
    const requester = await requestingClient(deps, req);
    const sid = refreshTokenSession(presented);
    const session = sid === undefined ? null : await sessions.binding(sid);
    if (!sid || !session) throw new OAuthError('invalid_grant', INVALID);
    const { sub } = session;
    // §6: the client the token was issued to, held to its registration as it is now.
    const client = await refreshingClient(deps, requester, session.clientId);
    requireGrant(client, 'refresh_token', req.jkt);
    // RFC 9449 §5: a session bound to a key refreshes only with a proof by that key.
    requireSameKey(session.jkt, req.jkt);
    // The user is looked up before the rotation commits: a database outage answers 503 and the
    // presented token stays valid, so the client's retry works.
    const user = await users.findById(sub);
    if (!user || user.disabledAt) {
      await sessions.end(sid, sub);
      throw new OAuthError('invalid_grant', INVALID);
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
      // A scope taken from the user or from the client leaves the session here.
      heldScopes: clientScopes(client, user.scopes, false),
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
    if (result.kind !== 'ok') throw new OAuthError('invalid_grant', INVALID);
    // A retry gets the access token its rotation issued (result.jti), signed again: nothing new is stored.
    const { token, claims } = await tokens.issue({
      sub: result.sub,
      sid,
      jti: result.jti,
      scope: result.scope,
      clientId: result.clientId,
      iat: now,
      exp: result.accessExp,
      jkt: req.jkt,
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
  };
}
