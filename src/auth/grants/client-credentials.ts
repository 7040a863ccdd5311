/**
 * The client credentials grant (RFC 6749 §4.4): a confidential client authenticates (§2.3.1) and
 * gets an access token for itself: `sub` and `client_id` are the client's id. No refresh token
 * (§4.4.3). Bound to the request's DPoP key when it sends a proof (RFC 9449 §5). The token still
 * has a session in Redis, of the token's own lifetime, so revocation, disabling and deletion end
 * it through the same liveness check as users' tokens.
 */
import { randomUUID } from 'node:crypto';
import { OAuthError } from '../../core/errors';
import { authenticateClient, invalidClient, presentedClient } from '../client-authentication';
import type { Grant, GrantDeps } from './grant';
import { tokenResponse } from './token-response';

/** RFC 6749 §3.3: the requested scopes, all allowed to the client; every allowed scope when none is asked. */
function grantedScopes(allowed: readonly string[], requested: string | undefined): string[] {
  if (requested === undefined) return [...allowed];
  const asked = [...new Set(requested.split(' ').filter(Boolean))];
  const refused = asked.filter((s) => !allowed.includes(s));
  if (refused.length)
    throw new OAuthError('invalid_scope', `Scope(s) not allowed to this client: ${refused.join(' ')}.`);
  return asked;
}

/** The `client_credentials` grant, bound to the app's services. */
export function clientCredentialsGrant(deps: GrantDeps): Grant {
  const { tokens, sessions, clients, logger } = deps;
  return async (req) => {
    const presented = presentedClient({ authorization: req.authorization, form: req.body });
    // No credentials at all: answered like a failed Basic attempt, with the challenge that says how.
    if (!presented) throw invalidClient('client_secret_basic');
    const client = await authenticateClient(deps, presented, req.ip);
    if (!client.grantTypes.includes('client_credentials'))
      throw new OAuthError('unauthorized_client', 'This client may not use the client_credentials grant.');
    // RFC 9449 §5.2: a client registered with dpop_bound_access_tokens gets bound tokens only.
    if (client.dpopBoundAccessTokens && req.jkt === undefined)
      throw new OAuthError('invalid_dpop_proof', 'This client must send a DPoP proof.');
    const scope = grantedScopes(client.scopes, req.body.scope).join(' ');
    const now = deps.clock();
    const sid = randomUUID();
    const accessExp = now + tokens.lifetimeSeconds;
    const { token, claims } = await tokens.issue({
      sub: client.id,
      sid,
      scope,
      clientId: client.id,
      iat: now,
      exp: accessExp,
      jkt: req.jkt,
    });
    await sessions.create({
      sid,
      sub: client.id,
      clientId: client.id,
      scope,
      jti: claims.jti,
      accessExp,
      now,
      absExp: accessExp,
      jkt: req.jkt,
    });
    // An administrator may have disabled or deleted the client since we read it; their endAll
    // ran before this session existed, so look again now that it does.
    const current = await clients.findById(client.id);
    if (!current || current.disabledAt) {
      await sessions.end(sid, client.id);
      throw invalidClient(presented.method);
    }
    logger.info(
      {
        requestId: req.requestId,
        ip: req.ip,
        sub: client.id,
        sid,
        jti: claims.jti,
        outcome: 'issued',
        grant: 'client_credentials',
      },
      'token issued',
    );
    return tokenResponse(token, claims);
  };
}
