/**
 * The resource owner password credentials grant (RFC 6749 §4.3): throttled before the password is
 * looked at, then a new session. RFC 9700 §2.4 says it MUST NOT be used; it stays for first-party
 * clients (README, "The password grant").
 */
import { OAuthError } from '../../core/errors';
import { checkPassword } from '../password-check';
import type { Grant, GrantDeps } from './grant';
import { requestedScopes } from './grant';
import { clientScopes, requestingClient, requireGrant } from './requesting-client';
import { openSession } from './session-opening';

export function passwordGrant(deps: GrantDeps): Grant {
  const { logger } = deps;

  return async (req) => {
    const form = req.body;
    if (form.username === undefined || form.password === undefined) {
      throw new OAuthError('invalid_request', 'username and password are required.');
    }
    // §3.2.1: the client first, so a client that may not ask costs no password verification.
    const client = await requestingClient(deps, req);
    requireGrant(client, 'password', req.jkt);
    const user = await checkPassword(deps, form.username, form.password, req.ip);
    if (!user) {
      logger.info({ requestId: req.requestId, ip: req.ip, outcome: 'invalid_grant' }, 'token request refused');
      throw new OAuthError('invalid_grant', 'The username or password is incorrect.');
    }
    const scopes = clientScopes(
      client,
      requestedScopes(user.scopes, form.scope, 'this user'),
      form.scope !== undefined,
    );
    return openSession(deps, req, { sub: user.id, scopes, clientId: client.id, grant: 'password' });
  };
}
