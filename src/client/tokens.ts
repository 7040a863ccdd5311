/**
 * The tokens a typed client holds, and how a token response becomes them.
 */
import type { components } from '../../generated/openapi';

type TokenResponse = components['schemas']['TokenResponse'];

/** The tokens of one session, as the SDK holds them. */
export interface Tokens {
  /** The JWT sent as `Authorization: Bearer …`. */
  readonly accessToken: string;
  /**
   * Every refresh rotates it; reusing a rotated one (beyond a retry within seconds) ends the
   * session. Absent after the client credentials grant (RFC 6749 §4.4.3): a refresh then asks
   * for a new token with the same client credentials.
   */
  readonly refreshToken?: string;
  /** When the access token expires (milliseconds since the epoch, from `expires_in`). */
  readonly expiresAt: number;
  /** The scopes of the access token, space-separated. */
  readonly scope: string;
  /** `DPoP` when the access token is bound to the client's DPoP key (sent as `Authorization: DPoP …`). */
  readonly tokenType?: 'Bearer' | 'DPoP';
}

/** What {@link SpecgateClient.loginWithClientCredentials} authenticates with. */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for (default: every scope the client is allowed). */
  scope?: string;
  method?: 'basic' | 'post';
}

/** The tokens a client holds, and the one way to change them. */
export interface HeldTokens {
  current(): Tokens | undefined;
  /** Replaces the tokens; tells `onTokens` when they change. */
  setTokens(next: Tokens | undefined): void;
}

/** Holds the session's tokens, starting from `options.tokens`; every change reaches `options.onTokens`. */
export function holdTokens(options: { tokens?: Tokens; onTokens?: (tokens: Tokens | undefined) => void }): HeldTokens {
  let tokens = options.tokens;
  const current = (): Tokens | undefined => tokens;
  const setTokens = (next: Tokens | undefined): void => {
    if (next === tokens) return;
    tokens = next;
    options.onTokens?.(next);
  };
  return { current, setTokens };
}

/** The tokens of a token response (RFC 6749 §5.1), with `expires_in` made a time. */
export function toTokens(body: TokenResponse): Tokens {
  return {
    tokenType: body.token_type,
    accessToken: body.access_token,
    ...(body.refresh_token !== undefined ? { refreshToken: body.refresh_token } : {}),
    expiresAt: Date.now() + body.expires_in * 1000,
    scope: body.scope,
  };
}
