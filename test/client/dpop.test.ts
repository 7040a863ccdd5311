/**
 * The typed client with a DPoP key (RFC 9449) against the real service over HTTP, with server nonces
 * required: it logs in for bound tokens, calls protected operations and refreshes, each time
 * answering the service's `use_dpop_nonce` with one retry. The client addresses the service's
 * public URL; the test's fetch delivers to the listening port, as a reverse proxy would. A browser
 * sign-in's code exchange is bound too; its code is minted with the app's code store, as GET
 * /authorize does after the login page.
 */
import { decodeJwt } from 'jose';
import { createSpecgateClient, type SignInStorage } from 'specgate/client';
import { ClientsRepository } from '../../src/store/clients.repository';
import { startTestApp, type TestApp } from '../support/app';

let t: TestApp;
let userId: string;
const sent: Request[] = [];

beforeAll(async () => {
  t = await startTestApp({ env: { DPOP_NONCE: 'required' } });
  userId = await t.createUser('sdk-dpop', 'dpop-password-3', ['items:read']);
});
afterAll(() => t.stop());

function viaProxy(request: Request): Promise<Response> {
  sent.push(request.clone());
  return fetch(new Request(request.url.replace(t.config.publicUrl, t.url), request));
}

it('logs in for DPoP-bound tokens, calls a protected operation and refreshes, retrying once for a nonce', async () => {
  const api = createSpecgateClient({ baseUrl: t.config.publicUrl, fetch: viaProxy, dpop: true });
  const tokens = await api.login('sdk-dpop', 'dpop-password-3');
  expect(tokens.tokenType).toBe('DPoP');
  const { jkt } = decodeJwt(tokens.accessToken).cnf as { jkt: string };
  // The first proof had no nonce: the service asked for one, and the client retried with it.
  expect(sent.map((r) => new URL(r.url).pathname)).toEqual(['/token', '/token']);

  const me = await api.GET('/me');
  expect(me.response.status).toBe(200);
  expect(me.data?.username).toBe('sdk-dpop');
  expect(sent.at(-1)?.headers.get('authorization')).toBe(`DPoP ${tokens.accessToken}`);
  expect(sent.at(-1)?.headers.get('dpop')).toEqual(expect.any(String));

  const refreshed = await api.refresh();
  expect(refreshed.tokenType).toBe('DPoP');
  expect(decodeJwt(refreshed.accessToken).cnf).toEqual({ jkt });
  expect((await api.GET('/me')).response.status).toBe(200);
});

it('signs in from a browser for DPoP-bound tokens: the code exchange carries a proof, and the public client refreshes', async () => {
  const redirectUri = 'https://app.example.com/callback';
  const registered = await new ClientsRepository(t.db).create({
    name: 'SDK browser app',
    secretHash: null,
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['items:read'],
    redirectUris: [redirectUri],
    dpopBoundAccessTokens: false,
    firstParty: true,
  });
  const entries = new Map<string, string>();
  const storage: SignInStorage = {
    getItem: (k) => entries.get(k) ?? null,
    setItem: (k, v) => void entries.set(k, v),
    removeItem: (k) => void entries.delete(k),
  };
  const api = createSpecgateClient({
    baseUrl: t.config.publicUrl,
    fetch: viaProxy,
    dpop: true,
    clientId: registered!.id,
    signInStorage: storage,
  });
  const authorize = new URL(await api.startSignIn({ redirectUri, scope: 'items:read' }));
  expect(authorize.href.startsWith(`${t.config.publicUrl}/authorize?`)).toBe(true);
  // What GET /authorize does once the user has signed in: a code for the request's challenge.
  const code = await t.app.codes.issue({
    clientId: registered!.id,
    redirectUri,
    sub: userId,
    scopes: ['items:read'],
    codeChallenge: authorize.searchParams.get('code_challenge')!,
    authTime: Math.floor(Date.now() / 1000),
  });
  const callback = new URL(redirectUri);
  callback.search = new URLSearchParams({
    code,
    state: authorize.searchParams.get('state')!,
    iss: t.config.publicUrl,
  }).toString();

  const tokens = await api.finishSignIn(callback);
  expect(tokens.tokenType).toBe('DPoP');
  expect(decodeJwt(tokens.accessToken)).toMatchObject({ client_id: registered!.id, sub: userId });
  expect(entries.size).toBe(0);
  expect((await api.GET('/me')).data?.username).toBe('sdk-dpop');
  const refreshed = await api.refresh();
  expect(refreshed.refreshToken).not.toBe(tokens.refreshToken);
  expect(decodeJwt(refreshed.accessToken).cnf).toEqual(decodeJwt(tokens.accessToken).cnf);
});
