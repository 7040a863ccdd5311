/**
 * What every grant of the token endpoint (RFC 6749 §4, §6) is: a function from the token request
 * to the token response. One file per grant; ./index.ts binds them to their `grant_type`.
 */
import type { components } from '../../../generated/openapi';
import { OAuthError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { ClientsRepository } from '../../store/clients.repository';
import type { UsersRepository } from '../../store/users.repository';
import type { AuthorizationCodes } from '../codes/authorization-codes';
import type { LoginThrottle } from '../login-throttle';
import type { PasswordHasher } from '../passwords';
import type { SessionStore } from '../sessions';
import type { Clock, TokenService } from '../tokens';

/** The token request as a grant sees it: the validated form and what identifies the caller. */
export interface TokenRequest {
  body: components['schemas']['TokenRequest'];
  /** The validated header parameters the document names for /token. */
  headers: Record<string, unknown>;
  /**
   * The raw Authorization header: client authentication (RFC 6749 §2.3.1) is not a security
   * scheme of the document's, the token endpoint being public.
   */
  authorization: string | undefined;
  requestId: string;
  ip: string;
  /** The thumbprint of the request's valid DPoP proof key: the tokens issued are bound to it (RFC 9449 §5). */
  jkt?: string;
}

/** A successful token response (RFC 6749 §5.1) and the headers it carries besides no-store. */
export interface GrantResult {
  body: components['schemas']['TokenResponse'];
  headers?: Record<string, string>;
}

/** One grant type. Throws OAuthError (RFC 6749 §5.2) or ApiError on failure. */
export type Grant = (req: TokenRequest) => Promise<GrantResult>;

/** What grants may use: services the handlers share (src/api/deps.ts extends it). */
export interface GrantDeps {
  users: UsersRepository;
  clients: ClientsRepository;
  passwords: PasswordHasher;
  tokens: TokenService;
  sessions: SessionStore;
  throttle: LoginThrottle;
  logger: Logger;
  clock: Clock;
  /** The client_id recorded when a token request names none. */
  defaultClientId: string;
  /** Authorization codes: /authorize issues them, the authorization code grant redeems them. */
  codes: AuthorizationCodes;
  /** Whether /token serves the password grant (PASSWORD_GRANT; RFC 9700 §2.4 says it MUST NOT be used). */
  passwordGrant: boolean;
}

/** De-duplicated scopes of a space-separated string, in the order given. */
export function scopeList(scope: string): string[] {
  return [...new Set(scope.split(' ').filter(Boolean))];
}

/**
 * RFC 6749 §3.3: the requested scopes, each one `holder` holds (else `invalid_scope`); all it
 * holds when none is asked.
 */
export function requestedScopes(held: readonly string[], requested: string | undefined, holder: string): string[] {
  if (requested === undefined) return [...held];
  const asked = scopeList(requested);
  const refused = asked.filter((s) => !held.includes(s));
  if (refused.length)
    throw new OAuthError('invalid_scope', `Scope(s) not available to ${holder}: ${refused.join(' ')}.`);
  return asked;
}
