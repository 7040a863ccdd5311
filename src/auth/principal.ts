/**
 * Who a request is authenticated as, and the shape of a security scheme as the pipeline uses it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../core/errors';

/**
 * Who a request is authenticated as, produced by a security scheme. Only `kind`, `userId`,
 * `scopes` and `clientId` are every scheme's; the rest describe a token of specgate's own and are
 * absent where a scheme has no such thing (a static metrics token).
 */
export interface Principal {
  /** A person (a user) or a machine client acting for itself (RFC 6749 §4.4). */
  kind: 'user' | 'client';
  /** The subject (a token's `sub`): the user's id, or the client's id when `kind` is 'client'. */
  userId: string;
  scopes: string[];
  clientId: string;
  /** The session (login) the credentials belong to. */
  sessionId?: string;
  /** The access token's own id (jti). */
  tokenId?: string;
  /** Token expiry, seconds since the epoch. */
  expiresAt?: number;
  /** The JWK thumbprint a sender-constrained token is bound to (RFC 9449 §6). */
  jkt?: string;
}

/** What a scheme may read of the request: its headers, and for proofs its method and path. */
export interface CredentialRequest {
  readonly headers: IncomingHttpHeaders;
  readonly method: string;
  /** Where the service is mounted ('' on its own server): the public path is `base + path`. */
  readonly base: string;
  /** The path below the mount point, without the query. */
  readonly path: string;
}

/**
 * One security scheme of the document, in two steps so the pipeline can start other Redis reads
 * between them (the cache lookup shares the session check's round trip):
 *
 * - `verify` reads the credentials and checks what needs no store (a token's signature and claims).
 *   Its principal carries the scopes the credentials claim.
 * - `check`, when present, asks the store whether those credentials are still live and returns the
 *   principal as the store allows it now (a session may have been narrowed).
 * - `challenge`, when present, is the scheme's `WWW-Authenticate` challenge (RFC 9110 §11.6.1) for
 *   a 401 or 403, given the error that scheme met (or the request's, for a 403 or a handler's
 *   401). A scheme without one adds nothing to the header.
 *
 * `verify` and `check` throw an ApiError: `unauthorized` (no credentials), `invalid_token`, or
 * `unavailable`. `verify` may instead return the ApiError of a refusal it knows at once (a request
 * with no credentials of its scheme): a throw costs microseconds, and every Bearer request to an
 * operation that also accepts DPoP would pay one.
 */
export interface SecurityScheme {
  verify(request: CredentialRequest): Principal | ApiError | Promise<Principal>;
  check?(claimed: Principal): Promise<Principal>;
  challenge?(err: ApiError): string | undefined;
}

/** The credentials of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or why there are none. */
export function bearerCredentials(
  header: string | undefined,
): { token: string } | { missing: 'header' | 'scheme' } | { malformed: true } {
  if (!header) return { missing: 'header' };
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  // The scheme name is case-insensitive (RFC 9110 §11.1); other schemes carry no bearer credentials.
  if (scheme.toLowerCase() !== 'bearer') return { missing: 'scheme' };
  const token = header.slice(space + 1).trim();
  if (space === -1 || !B64TOKEN.test(token)) return { malformed: true };
  return { token };
}

/**
 * The token of an `Authorization: Bearer <token>` header. Throws an ApiError: `unauthorized` when
 * there is no header or it names another scheme, `invalid_token` when the token is malformed.
 */
export function bearerToken(header: string | undefined): string {
  const credentials = bearerCredentials(header);
  if ('token' in credentials) return credentials.token;
  if ('malformed' in credentials) throw new ApiError('invalid_token', { detail: 'The access token is malformed.' });
  const detail =
    credentials.missing === 'header'
      ? 'This operation needs an access token: Authorization: Bearer <token>.'
      : 'Use the Bearer authentication scheme.';
  throw new ApiError('unauthorized', { detail });
}

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
