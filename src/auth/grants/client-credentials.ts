/**
 * The client credentials grant (RFC 6749 §4.4): a confidential client authenticates (§2.3.1) and
 * gets an access token for itself: `sub` and `client_id` are the client's id. No refresh token
 * (§4.4.3). Bound to the request's DPoP key when it sends a proof (RFC 9449 §5). The token still
 * has a session in Redis, of the token's own lifetime, so revocation, disabling and deletion end
 * it through the same liveness check as users' tokens.
 */
import { randomUUID } from 'node:crypto';
import { invalidClient } from '../client-authentication';
import { type Grant, type GrantDeps, requestedScopes } from './grant';
import { requestingClient, requireGrant } from './requesting-client';
import { tokenResponse } from './token-response';

/** The `client_credentials` grant, bound to the app's services. */
export function clientCredentialsGrant(deps: GrantDeps): Grant {
  const { tokens, sessions, clients, logger } = deps;
  return async (req) => {
    const requester = await requestingClient(deps, req);
    const client = requester.registered;
    // No credentials (a label or a public client): answered like a failed Basic attempt, with the
    // challenge that says how.
    if (!client || requester.method === undefined) throw invalidClient('client_secret_basic');
    requireGrant(requester, 'client_credentials', req.jkt);
    const scope = requestedScopes(client.scopes, req.body.scope, 'this client').join(' ');
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
      throw invalidClient(requester.method);
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
