/**
 * The `auth` tag: the OAuth2 password grant (RFC 6749 §4.3) and logout.
 */
import { OAuthError } from '../../core/errors';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';

/** RFC 6749 §5.1: token responses must not be stored by any cache. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

export function authHandlers(deps: HandlerDeps) {
  const issueToken: Handler<'issueToken'> = async (req) => {
    const form = req.body;
    if (form.grant_type !== 'password') {
      throw new OAuthError('unsupported_grant_type', 'Only grant_type=password is supported.');
    }
    if (form.username === undefined || form.password === undefined) {
      throw new OAuthError('invalid_request', 'username and password are required.');
    }
    const user = await deps.users.findByUsername(form.username);
    // An unknown user, a disabled one and a wrong password get the same answer after the same work.
    const valid = user && !user.disabledAt ? await deps.passwords.verify(user.passwordHash, form.password) : await deps.passwords.verifyDummy(form.password);
    if (!user || !valid || user.disabledAt) {
      deps.logger.info({ requestId: req.requestId, ip: req.ip, outcome: 'invalid_grant' }, 'token request refused');
      throw new OAuthError('invalid_grant', 'The username or password is incorrect.');
    }
    let scopes = user.scopes;
    if (form.scope !== undefined) {
      const requested = [...new Set(form.scope.split(' ').filter(Boolean))];
      const notHeld = requested.filter((s) => !user.scopes.includes(s));
      if (notHeld.length) throw new OAuthError('invalid_scope', `Scope(s) not available to this user: ${notHeld.join(' ')}.`);
      scopes = requested;
    }
    if (deps.passwords.needsRehash(user.passwordHash)) {
      await deps.users.updatePasswordHash(user.id, await deps.passwords.hash(form.password));
    }
    const { token, claims } = await deps.tokens.issue({ sub: user.id, scopes, clientId: form.client_id ?? deps.defaultClientId });
    await deps.sessions.create(claims);
    deps.logger.info({ requestId: req.requestId, ip: req.ip, sub: user.id, jti: claims.jti, outcome: 'issued' }, 'token issued');
    return {
      status: 200,
      headers: NO_STORE,
      body: { access_token: token, token_type: 'Bearer', expires_in: claims.exp - claims.iat, scope: claims.scope },
    };
  };

  const logout: Handler<'logout'> = async (req) => {
    const principal = req.principal!;
    await deps.sessions.end(principal.sessionId, principal.userId);
    deps.logger.info({ requestId: req.requestId, sub: principal.userId, jti: principal.sessionId }, 'session ended');
    return { status: 204 };
  };

  return { issueToken, logout };
}
