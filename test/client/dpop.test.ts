/**
 * The typed client with a DPoP key (RFC 9449) against the real service over HTTP, with server nonces
 * required: it logs in for bound tokens, calls protected operations and refreshes, each time
 * answering the service's `use_dpop_nonce` with one retry. The client addresses the service's
 * public URL; the test's fetch delivers to the listening port, as a reverse proxy would.
 */
import { decodeJwt } from 'jose';
import { createSpecgateClient } from 'specgate/client';
import { startTestApp, type TestApp } from '../support/app';

let t: TestApp;
const sent: Request[] = [];

beforeAll(async () => {
  t = await startTestApp({ env: { DPOP_NONCE: 'required' } });
  await t.createUser('sdk-dpop', 'dpop-password-3', ['items:read']);
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
