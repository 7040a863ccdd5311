/**
 * Signing in from a browser with the authorization code grant and PKCE (RFC 6749 §4.1, RFC 7636):
 * `start` sends the user to the service's login page with a fresh `state` and S256 challenge,
 * `finish` checks the callback (`state`, then `iss` per RFC 9207 §2.4, then `error`) and exchanges
 * the code for tokens, which the client then holds as after a password login. The verifier never
 * leaves this browser but for the one /token request, and never outlives the callback.
 * Browser-safe: URL, WebCrypto and Web Storage only.
 */
import type { Client } from 'openapi-fetch';
import type { paths } from '../../generated/openapi';
import { SignInError, SpecgateError, toErrorBody } from './errors';
import type { CodeExchange } from './grants';
import { randomValue, s256Challenge } from './pkce';
import { SIGN_IN_LIFETIME_MS, type SignInStorage, savePending, takePending } from './sign-in-storage';
import type { Tokens } from './tokens';

/** What to ask the authorization endpoint for (RFC 6749 §4.1.1). */
export interface SignInRequest {
  /** Where the service sends the browser back: exactly one of the client's registered redirect URIs. */
  redirectUri: string;
  /** Space-separated scopes to ask for (default: what the service grants the client by default). */
  scope?: string;
  /** `login`: show the login form even when the browser is signed in already. */
  prompt?: 'login';
  /** The registered client (default: the client's `clientId` option). */
  clientId?: string;
}

/** The browser sign-in of one typed client. */
export interface BrowserSignIn {
  /** Builds the authorization URL to navigate to, and remembers the request until its callback. */
  start(request: SignInRequest): Promise<string>;
  /** Checks the callback URL, exchanges its code and answers the tokens now held. */
  finish(callbackUrl: string | URL): Promise<Tokens>;
}

interface Options {
  clientId?: string;
  /** Where pending sign-ins wait (default: `sessionStorage`, looked up when first needed). */
  storage?: SignInStorage;
}

/** The sign-in of a client that reaches the service through `oauth` and exchanges codes with `exchange`. */
export function browserSignIn(
  oauth: Client<paths>,
  exchange: (c: CodeExchange) => Promise<Tokens>,
  options: Options,
): BrowserSignIn {
  const now = Date.now;

  async function start(request: SignInRequest): Promise<string> {
    const clientId = request.clientId ?? options.clientId;
    if (clientId === undefined)
      throw new TypeError('A browser sign-in needs a clientId (an option of the client or of start).');
    const storage = storageOf(options);
    const { data, error, response } = await oauth.GET('/.well-known/oauth-authorization-server');
    if (!data) throw new SpecgateError(response.status, toErrorBody(error));
    if (!data.authorization_endpoint)
      throw new SignInError('unsupported', 'The service names no authorization endpoint in its metadata.');

    const state = randomValue();
    const verifier = randomValue();
    const url = new URL(data.authorization_endpoint);
    const query: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: request.redirectUri,
      scope: request.scope,
      state,
      code_challenge: await s256Challenge(verifier),
      code_challenge_method: 'S256',
      prompt: request.prompt,
    };
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);

    savePending(
      storage,
      state,
      {
        verifier,
        clientId,
        redirectUri: request.redirectUri,
        issuer: data.issuer,
        issRequired: data.authorization_response_iss_parameter_supported === true,
        expiresAt: now() + SIGN_IN_LIFETIME_MS,
      },
      now(),
    );
    return url.href;
  }

  async function finish(callbackUrl: string | URL): Promise<Tokens> {
    const params = new URL(callbackUrl).searchParams;
    const state = params.get('state');
    // Taken out first: whatever follows, the verifier is gone from the storage.
    const pending = state === null ? undefined : takePending(storageOf(options), state, now());
    if (!pending)
      throw new SignInError('state_mismatch', 'The callback answers no sign-in started here (or one that expired).');

    // RFC 9207 §2.4: checked before the response is used at all, error responses included.
    const iss = params.get('iss');
    if (iss === null && pending.issRequired)
      throw new SignInError('issuer_missing', 'The callback has no iss although the service always sends it.');
    if (iss !== null && iss !== pending.issuer)
      throw new SignInError('issuer_mismatch', 'The callback comes from another issuer than the one asked.');

    const error = params.get('error');
    if (error !== null) {
      const description = params.get('error_description');
      throw new SpecgateError(0, { error, ...(description !== null ? { error_description: description } : {}) });
    }
    const code = params.get('code');
    if (code === null) throw new SignInError('invalid_callback', 'The callback has neither a code nor an error.');
    return exchange({
      code,
      redirectUri: pending.redirectUri,
      codeVerifier: pending.verifier,
      clientId: pending.clientId,
    });
  }

  return { start, finish };
}

function storageOf(options: Options): SignInStorage {
  if (options.storage) return options.storage;
  let storage: SignInStorage | undefined;
  try {
    storage = (globalThis as { sessionStorage?: SignInStorage }).sessionStorage;
  } catch {
    // A sandboxed document may throw on access to its storage: the same as having none.
  }
  if (!storage) throw new SignInError('no_storage', 'No sessionStorage here: pass signInStorage to the client.');
  return storage;
}
