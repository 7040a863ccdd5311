/**
 * GET /authorize's parameters checked in the order RFC 6749 §4.1.2.1 sets: first the client and
 * its redirect URI, whose failures are shown to the user and never redirected (an unchecked
 * redirect URI would make specgate an open redirector, RFC 9700 §4.11); then the rest, whose
 * failures go back to the client's redirect URI.
 */
import type { operations } from '../../../generated/openapi';
import { ApiError } from '../../core/errors';
import type { ClientRecord, ClientsRepository } from '../../store/clients.repository';
import type { AuthorizationRequest } from './sealed-request';

/** The query of GET /authorize, as validated against the document. */
export type AuthorizeQuery = NonNullable<operations['authorize']['parameters']['query']>;

/** An error the client learns at its redirect URI (§4.1.2.1). */
export interface RedirectedError {
  error: 'invalid_request' | 'unsupported_response_type' | 'invalid_scope' | 'access_denied';
  description: string;
}

export type Checked =
  | { kind: 'ok'; client: ClientRecord; request: AuthorizationRequest }
  | { kind: 'error'; client: ClientRecord; redirectUri: string; state: string | undefined; error: RedirectedError };

/** RFC 7636 §4.2: BASE64URL(SHA-256(verifier)) is 43 characters of the base64url alphabet. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** The error page for a request that cannot go back to the client (400, never a redirect). */
const notRedirectable = (detail: string) => new ApiError('validation_failed', { detail });

/** Checks the authorization request; throws the error page when the client or redirect URI is wrong. */
export async function checkAuthorizationRequest(clients: ClientsRepository, q: AuthorizeQuery): Promise<Checked> {
  if (!q.client_id) throw notRedirectable('The sign-in link names no client (client_id).');
  const client = await clients.findById(q.client_id);
  if (!client || client.disabledAt !== null || !client.grantTypes.includes('authorization_code'))
    throw notRedirectable('The application that sent you here is not registered for browser sign-in.');
  // RFC 9700 §4.1.3: exact string comparison against a registered URI; no pattern, no default.
  if (!q.redirect_uri || !client.redirectUris.includes(q.redirect_uri))
    throw notRedirectable('The sign-in link does not name an address registered for this application.');
  const back = (error: RedirectedError['error'], description: string): Checked => ({
    kind: 'error',
    client,
    redirectUri: q.redirect_uri as string,
    state: q.state,
    error: { error, description },
  });
  if (q.response_type !== 'code') return back('unsupported_response_type', 'response_type must be code.');
  // RFC 9700 §2.1.1: PKCE with S256 for every client; `plain` shows the verifier to whoever sees the request.
  if (q.code_challenge === undefined) return back('invalid_request', 'code_challenge is required (PKCE, S256).');
  if (q.code_challenge_method !== 'S256')
    return back('invalid_request', 'code_challenge_method must be S256; plain is not accepted.');
  if (!CHALLENGE.test(q.code_challenge))
    return back('invalid_request', 'code_challenge must be the 43-character BASE64URL(SHA-256) of the verifier.');
  const asked = q.scope === undefined ? undefined : [...new Set(q.scope.split(' ').filter(Boolean))];
  const refused = (asked ?? []).filter((s) => !client.scopes.includes(s));
  if (refused.length) return back('invalid_scope', `Scope(s) not allowed to this client: ${refused.join(' ')}.`);
  return {
    kind: 'ok',
    client,
    request: {
      clientId: client.id,
      redirectUri: q.redirect_uri,
      scopes: asked ?? [...client.scopes],
      state: q.state,
      codeChallenge: q.code_challenge,
    },
  };
}

/**
 * The redirect URI with the authorization response added to its query (RFC 6749 §4.1.2: any
 * query it was registered with is kept), and `iss` (RFC 9207 §2) so the client can tell which
 * server answered (mix-up attacks, RFC 9700 §4.4).
 */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.append(name, value);
  return url.href;
}

/**
 * The origin a form on the page may end up at: Chromium checks CSP `form-action` on the redirect
 * after a POST too. A private-use scheme (RFC 8252 §7.1, `com.example.app:/cb`) has no origin: its
 * scheme is the source.
 */
export function formTarget(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.origin === 'null' ? url.protocol : url.origin;
}
