/**
 * The typed client: openapi-fetch over the generated `paths`, plus the OAuth2 password-bearer
 * session (login, automatic bearer header, one transparent refresh-and-retry on 401, logout).
 * Browser-safe: only global fetch, Request, Headers and URLSearchParams.
 */
import createClient, { type Client, type HeadersOptions } from 'openapi-fetch';
import type { components, paths } from '../../generated/openapi';
import { type DpopOptions, dpopFetch } from './dpop';
import { isOAuthError, SpecgateError, toErrorBody } from './errors';

type TokenResponse = components['schemas']['TokenResponse'];

/** The tokens of one session, as the SDK holds them. */
export interface Tokens {
  /** The JWT sent as `Authorization: Bearer …`. */
  readonly accessToken: string;
  /** Every refresh rotates it; reusing a rotated one (beyond a retry within seconds) ends the session. */
  readonly refreshToken: string;
  /** When the access token expires (milliseconds since the epoch, from `expires_in`). */
  readonly expiresAt: number;
  /** The scopes of the access token, space-separated. */
  readonly scope: string;
  /** `DPoP` when the access token is bound to the client's DPoP key (sent as `Authorization: DPoP …`). */
  readonly tokenType?: 'Bearer' | 'DPoP';
}

/** Options of {@link createSpecgateClient}. */
export interface SpecgateClientOptions {
  /** The service's base URL, e.g. `https://api.example.com` (a trailing slash is ignored). */
  baseUrl: string;
  /** The fetch to send requests with (default: the global fetch), e.g. to log or to test. */
  fetch?: (request: Request) => Promise<Response>;
  /** Tokens of an earlier session (e.g. persisted through {@link SpecgateClientOptions.onTokens}). */
  tokens?: Tokens;
  /** Sent as `client_id` with the password grant; the service records it in the session. */
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
   * Exchanges the refresh token for new tokens now. Concurrent calls (and automatic refreshes)
   * share one request.
   * @throws {@link SpecgateError} when refused; on `invalid_grant` the session is over and the
   *   tokens are dropped.
   */
  refresh(): Promise<Tokens>;
  /**
   * Ends the session on the service (`POST /logout`) and drops the tokens. A session that has
   * already ended is not an error.
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

/** Options of a form-encoded request: the OAuth endpoints take application/x-www-form-urlencoded. */
const FORM = {
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  bodySerializer: (body: unknown) => new URLSearchParams(body as Record<string, string>).toString(),
};

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
  const refresh = sharedRefresh(oauth, held);
  const authFetch = bearerFetch(send, held, refresh);
  const api = createClient<paths>({ baseUrl: options.baseUrl, fetch: authFetch, headers: options.headers });

  return {
    ...api,
    login: passwordLogin(oauth, held, options),
    refresh,
    logout: endSession(api, held),
    get tokens() {
      return held.current();
    },
    setTokens: held.setTokens,
  };
}

type Send = (request: Request) => Promise<Response>;

/** The tokens a client holds, and the one way to change them. */
interface HeldTokens {
  current(): Tokens | undefined;
  /** Replaces the tokens; tells `onTokens` when they change. */
  setTokens(next: Tokens | undefined): void;
}

/** Holds the session's tokens, starting from `options.tokens`; every change reaches `options.onTokens`. */
function holdTokens(options: SpecgateClientOptions): HeldTokens {
  let tokens = options.tokens;
  const current = (): Tokens | undefined => tokens;
  const setTokens = (next: Tokens | undefined): void => {
    if (next === tokens) return;
    tokens = next;
    options.onTokens?.(next);
  };
  return { current, setTokens };
}

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

/** Refreshes through `oauth`; calls made while a refresh is under way share it, as refresh tokens are single use. */
function sharedRefresh(oauth: Client<paths>, held: HeldTokens): () => Promise<Tokens> {
  let refreshing: Promise<Tokens> | undefined;
  return function refresh(): Promise<Tokens> {
    refreshing ??= refreshOnce(oauth, held).finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
}

/** One refresh-token grant: holds the new tokens, or drops the old ones when the session is over. */
async function refreshOnce(oauth: Client<paths>, held: HeldTokens): Promise<Tokens> {
  const before = held.current();
  if (!before) throw new Error('Not logged in: there is no refresh token to use.');
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
function passwordLogin(oauth: Client<paths>, held: HeldTokens, options: SpecgateClientOptions) {
  return async function login(username: string, password: string, scope?: string): Promise<Tokens> {
    const { data, error, response } = await oauth.POST('/token', {
      body: {
        grant_type: 'password',
        username,
        password,
        ...(scope !== undefined ? { scope } : {}),
        ...(options.clientId !== undefined ? { client_id: options.clientId } : {}),
      },
      ...FORM,
    });
    if (!data) throw new SpecgateError(response.status, toErrorBody(error));
    const next = toTokens(data);
    held.setTokens(next);
    return next;
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

function toTokens(body: TokenResponse): Tokens {
  return {
    tokenType: body.token_type,
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: Date.now() + body.expires_in * 1000,
    scope: body.scope,
  };
}
