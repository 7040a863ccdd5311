/**
 * The typed client: openapi-fetch over the generated `paths`, plus the OAuth2 session (password
 * login or a browser sign-in with the code flow, automatic bearer header, one transparent
 * refresh-and-retry on 401, logout).
 * Browser-safe: only global fetch, Request, Headers and URLSearchParams.
 */
import createClient, { type Client, type HeadersOptions } from 'openapi-fetch';
import type { paths } from '../../generated/openapi';
import { browserSignIn, type SignInRequest } from './browser-sign-in';
import { type DpopOptions, dpopFetch } from './dpop';
import { SpecgateError, toErrorBody } from './errors';
import { clientCredentialsLogin, codeLogin, passwordLogin, sharedRefresh } from './grants';
import type { SignInStorage } from './sign-in-storage';
import { type ClientCredentials, type HeldTokens, holdTokens, type Tokens } from './tokens';

export type { ClientCredentials, Tokens } from './tokens';

/** Options of {@link createSpecgateClient}. */
export interface SpecgateClientOptions {
  /** The service's base URL, e.g. `https://api.example.com` (a trailing slash is ignored). */
  baseUrl: string;
  /** The fetch to send requests with (default: the global fetch), e.g. to log or to test. */
  fetch?: (request: Request) => Promise<Response>;
  /** Tokens of an earlier session (e.g. persisted through {@link SpecgateClientOptions.onTokens}). */
  tokens?: Tokens;
  /**
   * Sent as `client_id` with the password grant (the service records it in the session); the
   * registered client a browser sign-in asks for.
   */
  clientId?: string;
  /** Headers sent with every request. */
  headers?: HeadersOptions;
  /** Called whenever the tokens change: after login and refresh, and with `undefined` when the session ends. */
  onTokens?: (tokens: Tokens | undefined) => void;
  /**
   * Sender-constrained tokens (RFC 9449): every request, `/token` included, carries a DPoP proof
   * signed with this key pair (generated when `true` or no `keyPair` is given).
   */
  dpop?: true | DpopOptions;
  /**
   * Where a browser sign-in keeps its `state` and PKCE verifier until the callback (default:
   * `sessionStorage`). Entries are keyed by `state`: sign-ins in several tabs do not clash.
   */
  signInStorage?: SignInStorage;
}

/**
 * The openapi-fetch client typed by the document (`GET`, `POST`, `PUT`, `PATCH`, `DELETE`, …:
 * paths, parameters, bodies and responses are all checked at compile time), plus the session.
 *
 * While tokens are held, requests carry `Authorization: Bearer <access token>` (unless the call
 * sets its own `Authorization`). A 401 to such a request triggers one refresh (shared by all
 * requests failing at the same time, as refresh tokens are single use) and one retry with the new
 * access token; if the refresh is refused the tokens are dropped and the 401 is returned.
 */
export interface SpecgateClient extends Client<paths> {
  /**
   * Logs in with the password grant and holds the tokens.
   * @param scope - Space-separated scopes to ask for (default: every scope the user holds).
   * @throws {@link SpecgateError} with an {@link OAuthError} body (e.g. `invalid_grant`) when refused.
   */
  login(username: string, password: string, scope?: string): Promise<Tokens>;
  /**
   * Gets a token for the client itself with the client credentials grant (RFC 6749 §4.4) and
   * holds it; later refreshes (automatic on a 401) repeat the grant with the same credentials.
   * @param credentials.method - `basic` (default: `Authorization: Basic`, client_secret_basic)
   *   or `post` (client_id and client_secret in the form, client_secret_post).
   * @throws {@link SpecgateError} with an {@link OAuthError} body (e.g. `invalid_client`) when refused.
   */
  loginWithClientCredentials(credentials: ClientCredentials): Promise<Tokens>;
  /**
   * Starts a browser sign-in (authorization code grant with PKCE, RFC 6749 §4.1, RFC 7636):
   * reads the service's metadata, remembers a fresh `state` and code verifier in the sign-in
   * storage, and answers the authorization URL to navigate to (`location.assign(url)`).
   * @throws {@link SignInError} `unsupported` when the service has no authorization endpoint.
   */
  startSignIn(request: SignInRequest): Promise<string>;
  /**
   * Completes a browser sign-in on its redirect URI: checks `state` and `iss` (RFC 9207), turns an
   * `error` into a {@link SpecgateError}, exchanges the code with the verifier and holds the tokens
   * as {@link SpecgateClient.login} does. The stored verifier is removed whatever happens.
   * @param callbackUrl - The URL the service redirected to (`location.href`).
   * @throws {@link SignInError} when the callback fails a check (`state_mismatch`, `issuer_mismatch`, …).
   * @throws {@link SpecgateError} with the authorization error (status 0, e.g. `access_denied`) or
   *   the token endpoint's refusal (e.g. `invalid_grant`).
   */
  finishSignIn(callbackUrl: string | URL): Promise<Tokens>;
  /**
   * Exchanges the refresh token for new tokens now. Concurrent calls (and automatic refreshes)
   * share one request.
   * @throws {@link SpecgateError} when refused; on `invalid_grant` the session is over and the
   *   tokens are dropped.
   */
  refresh(): Promise<Tokens>;
  /**
   * Ends the session on the service (`POST /logout`) and drops the tokens. A session that has
   * already ended is not an error. Tokens from a browser sign-in also end the browser's sign-in
   * session at the service: the next sign-in shows the login form again.
   * @param options.allSessions - End every session of the user, not only this one.
   * @throws {@link SpecgateError} when the service could not end the session (the tokens are dropped anyway).
   */
  logout(options?: { allSessions?: boolean }): Promise<void>;
  /** The tokens held, or `undefined` when not logged in. */
  readonly tokens: Tokens | undefined;
  /** Replaces the tokens held (e.g. to restore a session), or drops them with `undefined`. */
  setTokens(tokens: Tokens | undefined): void;
}

const MERGE_PATCH = 'application/merge-patch+json';

/**
 * Creates a client for a specgate service.
 *
 * @example
 * ```ts
 * const api = createSpecgateClient({ baseUrl: 'http://localhost:3000' });
 * await api.login('alice', process.env.PASSWORD!);
 * const { data, error } = await api.POST('/v1/items', { body: { name: 'Cup', category: 'kitchen', price_cents: 1250 } });
 * ```
 */
export function createSpecgateClient(options: SpecgateClientOptions): SpecgateClient {
  const plain = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const send = options.dpop ? dpopFetch(plain, options.dpop === true ? {} : options.dpop) : plain;
  const held = holdTokens(options);
  // The OAuth endpoints: no bearer header, no refresh-and-retry.
  const oauth = createClient<paths>({ baseUrl: options.baseUrl, fetch: send, headers: options.headers });
  const clientLogin = clientCredentialsLogin(oauth, held);
  const refresh = sharedRefresh(oauth, held, clientLogin);
  const authFetch = bearerFetch(send, held, refresh);
  const api = createClient<paths>({ baseUrl: options.baseUrl, fetch: authFetch, headers: options.headers });
  const signIn = browserSignIn(oauth, codeLogin(oauth, held), {
    ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
    ...(options.signInStorage ? { storage: options.signInStorage } : {}),
  });

  return {
    ...api,
    login: passwordLogin(oauth, held, options.clientId),
    loginWithClientCredentials: clientLogin.login,
    startSignIn: signIn.start,
    finishSignIn: signIn.finish,
    refresh,
    logout: endSession(api, held),
    get tokens() {
      return held.current();
    },
    setTokens: held.setTokens,
  };
}

type Send = (request: Request) => Promise<Response>;

/**
 * The fetch of the typed API: sends PATCH bodies as merge patches and, while tokens are held, the
 * bearer header, refreshing and retrying once on a 401.
 */
function bearerFetch(send: Send, held: HeldTokens, refresh: () => Promise<Tokens>): Send {
  return async function authFetch(request: Request): Promise<Response> {
    // openapi-fetch labels every body application/json; the document's PATCH takes a merge patch.
    if (request.method === 'PATCH' && request.headers.get('content-type') === 'application/json') {
      request.headers.set('content-type', MERGE_PATCH);
    }
    const sent = held.current();
    if (!sent || request.headers.has('authorization')) return send(request);
    // The body is a stream that sending consumes: keep a copy for the retry.
    const retry = request.clone();
    request.headers.set('authorization', authorizationOf(sent));
    const response = await send(request);
    if (response.status !== 401) return response;

    if (held.current()?.accessToken === sent.accessToken) {
      try {
        await refresh();
      } catch (err) {
        if (err instanceof SpecgateError) return response;
        throw err;
      }
    }
    // Either this refresh or one that finished while the request was under way.
    const fresh = held.current();
    if (!fresh || fresh.accessToken === sent.accessToken) return response;
    await response.body?.cancel();
    retry.headers.set('authorization', authorizationOf(fresh));
    return send(retry);
  };
}

/** The client's `logout`: `POST /logout` through `api`, then the tokens dropped whatever the answer. */
function endSession(api: Client<paths>, held: HeldTokens) {
  return async function logout(opts: { allSessions?: boolean } = {}): Promise<void> {
    if (!held.current()) return;
    try {
      const { error, response } = await api.POST(
        '/logout',
        opts.allSessions !== undefined ? { body: { all_sessions: opts.allSessions } } : {},
      );
      // 401: the session had ended already.
      if (!response.ok && response.status !== 401) throw new SpecgateError(response.status, toErrorBody(error));
    } finally {
      held.setTokens(undefined);
    }
  };
}

/** `Authorization` for the access token, in the scheme its token type names. */
function authorizationOf(tokens: Tokens): string {
  return `${tokens.tokenType ?? 'Bearer'} ${tokens.accessToken}`;
}
