/**
 * A new session (one login) in Redis with its first access and refresh tokens: what the password
 * grant ends with, and any later grant that signs a user in.
 */
import { randomUUID } from 'node:crypto';
import { OAuthError } from '../../core/errors';
import { confirmLogin } from '../login-confirmation';
import { newRefreshToken } from '../refresh-tokens';
import type { GrantDeps, GrantResult, TokenRequest } from './grant';
import { tokenResponse } from './token-response';

export interface SessionOpening {
  sub: string;
  scopes: string[];
  clientId: string;
  /** The grant_type, for the log line. */
  grant: string;
  /** The session id, when the grant must know it beforehand (a code records it at redemption). */
  sid?: string;
  /** The browser sign-in session the login came from (the code flow): recorded as `signin_sid`. */
  signInSid?: string;
}

export async function openSession(deps: GrantDeps, req: TokenRequest, s: SessionOpening): Promise<GrantResult> {
  const { tokens, sessions, logger } = deps;
  const { sub, clientId } = s;
  const now = deps.clock();
  const sid = s.sid ?? randomUUID();
  const refresh = newRefreshToken(sid);
  const { absExp, accessExp } = sessions.limits(now, tokens.lifetimeSeconds);
  const { token, claims } = await tokens.issue({
    sub,
    sid,
    scope: s.scopes.join(' '),
    clientId,
    iat: now,
    exp: accessExp,
    jkt: req.jkt,
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
    jkt: req.jkt,
    signInSid: s.signInSid,
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
          jkt: req.jkt,
        });
  const fields = { requestId: req.requestId, ip: req.ip, sub, sid, jti: claims.jti, outcome: 'issued', grant: s.grant };
  logger.info(fields, 'token issued');
  return tokenResponse(issued.token, issued.claims, refresh.token);
}
