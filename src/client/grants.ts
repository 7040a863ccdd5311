/**
 * The grants a typed client asks for at `/token` (password, refresh, client credentials,
 * authorization code), each holding the tokens it gets.
 */
import type { Client } from 'openapi-fetch';
import type { paths } from '../../generated/openapi';
import { isOAuthError, SpecgateError, toErrorBody } from './errors';
import { type ClientCredentials, type HeldTokens, type Tokens, toTokens } from './tokens';

/** Options of a form-encoded request: the OAuth endpoints take application/x-www-form-urlencoded. */
const FORM = {
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  bodySerializer: (body: unknown) => new URLSearchParams(body as Record<string, string>).toString(),
};

/** Refreshes through `oauth`; calls made while a refresh is under way share it, as refresh tokens are single use. */
export function sharedRefresh(oauth: Client<paths>, held: HeldTokens, clientLogin: ClientLogin): () => Promise<Tokens> {
  let refreshing: Promise<Tokens> | undefined;
  return function refresh(): Promise<Tokens> {
    // A client credentials token has no refresh token: the grant is asked again instead.
    const renew = held.current()?.refreshToken === undefined && clientLogin.active();
    refreshing ??= (renew ? clientLogin.renew() : refreshOnce(oauth, held)).finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
}

/** One refresh-token grant: holds the new tokens, or drops the old ones when the session is over. */
async function refreshOnce(oauth: Client<paths>, held: HeldTokens): Promise<Tokens> {
  const before = held.current();
  if (!before?.refreshToken) throw new Error('Not logged in: there is no refresh token to use.');
  const { data, error, response } = await oauth.POST('/token', {
    body: { grant_type: 'refresh_token', refresh_token: before.refreshToken },
    ...FORM,
  });
  if (data) {
    const next = toTokens(data);
    // A login or logout meanwhile wins over this refresh.
    if (held.current() === before) held.setTokens(next);
    return next;
  }
  if (isOAuthError(error) && error.error === 'invalid_grant' && held.current() === before) held.setTokens(undefined);
  throw new SpecgateError(response.status, toErrorBody(error));
}

/** The client's `login`: the password grant through `oauth`, holding the tokens it returns. */
export function passwordLogin(oauth: Client<paths>, held: HeldTokens, clientId: string | undefined) {
  return async function login(username: string, password: string, scope?: string): Promise<Tokens> {
    const { data, error, response } = await oauth.POST('/token', {
      body: {
        grant_type: 'password',
        username,
        password,
        ...(scope !== undefined ? { scope } : {}),
        ...(clientId !== undefined ? { client_id: clientId } : {}),
      },
      ...FORM,
    });
    if (!data) throw new SpecgateError(response.status, toErrorBody(error));
    const next = toTokens(data);
    held.setTokens(next);
    return next;
  };
}

/** What the callback of a browser sign-in exchanges at `/token` (RFC 6749 §4.1.3, RFC 7636 §4.5). */
export interface CodeExchange {
  code: string;
  redirectUri: string;
  codeVerifier: string;
  clientId: string;
}

/** The authorization code grant through `oauth` (a public client: `client_id`, no secret), holding the tokens it returns. */
export function codeLogin(oauth: Client<paths>, held: HeldTokens) {
  return async function exchange(c: CodeExchange): Promise<Tokens> {
    const { data, error, response } = await oauth.POST('/token', {
      body: {
        grant_type: 'authorization_code',
        code: c.code,
        redirect_uri: c.redirectUri,
        code_verifier: c.codeVerifier,
        client_id: c.clientId,
      },
      ...FORM,
    });
    if (!data) throw new SpecgateError(response.status, toErrorBody(error));
    const next = toTokens(data);
    held.setTokens(next);
    return next;
  };
}

export interface ClientLogin {
  login(credentials: ClientCredentials): Promise<Tokens>;
  /** The grant again with the last credentials; throws when they are refused (tokens dropped). */
  renew(): Promise<Tokens>;
  /** Whether the tokens held came from this grant. */
  active(): boolean;
}

/** The client credentials grant through `oauth`, remembering the credentials for renewals. */
export function clientCredentialsLogin(oauth: Client<paths>, held: HeldTokens): ClientLogin {
  let last: ClientCredentials | undefined;
  async function grant(c: ClientCredentials): Promise<Tokens> {
    const basic = (c.method ?? 'basic') === 'basic';
    // RFC 6749 §2.3.1: each part form-urlencoded before Basic's base64.
    const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    const { data, error, response } = await oauth.POST('/token', {
      body: {
        grant_type: 'client_credentials',
        ...(c.scope !== undefined ? { scope: c.scope } : {}),
        ...(basic ? {} : { client_id: c.clientId, client_secret: c.clientSecret }),
      },
      ...FORM,
      headers: {
        ...FORM.headers,
        ...(basic ? { Authorization: `Basic ${btoa(`${encode(c.clientId)}:${encode(c.clientSecret)}`)}` } : {}),
      },
    });
    if (!data) {
      if (last === c) held.setTokens(undefined);
      throw new SpecgateError(response.status, toErrorBody(error));
    }
    const next = toTokens(data);
    held.setTokens(next);
    return next;
  }
  return {
    login(credentials) {
      last = credentials;
      return grant(credentials);
    },
    renew() {
      if (!last) return Promise.reject(new Error('Not logged in with client credentials.'));
      return grant(last);
    },
    active: () => last !== undefined && held.current() !== undefined,
  };
}
