/**
 * The resource owner password credentials grant (RFC 6749 §4.3): throttled before the password is
 * looked at, then a new session. RFC 9700 §2.4 says it MUST NOT be used; it stays for first-party
 * clients (README, "The password grant").
 */
import { OAuthError } from '../../core/errors';
import type { Grant, GrantDeps, TokenRequest } from './grant';
import { requestedScopes } from './grant';
import { clientScopes, requestingClient, requireGrant } from './requesting-client';
import { openSession } from './session-opening';

export function passwordGrant(deps: GrantDeps): Grant {
  const { users, passwords, throttle, logger } = deps;

  /** The user whose password this is; else invalid_grant, after the same work for every failure. */
  async function verifiedUser(username: string, password: string, req: TokenRequest) {
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

  return async (req) => {
    const form = req.body;
    if (form.username === undefined || form.password === undefined) {
      throw new OAuthError('invalid_request', 'username and password are required.');
    }
    // §3.2.1: the client first, so a client that may not ask costs no password verification.
    const client = await requestingClient(deps, req);
    requireGrant(client, 'password', req.jkt);
    const user = await verifiedUser(form.username, form.password, req);
    const scopes = clientScopes(
      client,
      requestedScopes(user.scopes, form.scope, 'this user'),
      form.scope !== undefined,
    );
    if (passwords.needsRehash(user.passwordHash)) {
      await users.updatePasswordHash(user.id, await passwords.hash(form.password));
    }
    return openSession(deps, req, { sub: user.id, scopes, clientId: client.id, grant: 'password' });
  };
}
