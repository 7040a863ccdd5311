/**
 * The `clientSecretBasic` scheme (RFC 6749 §2.3.1): it only says whether a request carries
 * `Authorization: Basic` credentials. Verifying them needs the client's address (the throttle
 * counts attempts per address) and may need the form, so the operation's handler does it
 * (src/auth/client-authentication.ts) and nothing here grants a scope: the principal holds none.
 */
import { ApiError } from '../../core/errors';
import type { Principal, SecurityScheme } from '../principal';

export function clientBasicScheme(): SecurityScheme {
  return {
    verify(request): Principal {
      const header = request.headers.authorization;
      if (header === undefined || !/^basic\s+\S/i.test(header))
        throw new ApiError('unauthorized', { detail: 'Authenticate the client with Authorization: Basic.' });
      return { kind: 'client', userId: '', scopes: [], clientId: '' };
    },
    challenge: () => 'Basic realm="specgate"',
  };
}
