/**
 * The typed client's `loginWithClientCredentials` against the real service over HTTP: both
 * client authentication methods, no refresh token, a renewal by the same grant on a 401, and
 * `invalid_client` as a SpecgateError. Every response is checked against the document.
 */
import { createSpecgateClient, isOAuthError, SpecgateError } from 'specgate/client';
import { newClientSecret } from '../../src/auth/client-secrets';
import { ClientsRepository } from '../../src/store/clients.repository';
import { fastPasswords, startTestApp, type TestApp } from '../support/app';
import { contractFetch } from './contract-fetch';

let t: TestApp;
let now = Math.floor(Date.now() / 1000);
const secret = newClientSecret();
let clientId: string;

beforeAll(async () => {
  t = await startTestApp({ clock: () => now });
  const registered = await new ClientsRepository(t.db).create({
    name: 'sdk service',
    secretHash: await fastPasswords().hash(secret),
    grantTypes: ['client_credentials'],
    scopes: ['items:read', 'items:write'],
    redirectUris: [],
    dpopBoundAccessTokens: false,
    firstParty: false,
  });
  clientId = registered!.id;
});
afterAll(() => t.stop());

function sdk() {
  const fetch = contractFetch();
  return { api: createSpecgateClient({ baseUrl: t.url, fetch }), exchanges: fetch.exchanges };
}

it('gets a token with client_secret_basic by default and calls the API with it', async () => {
  const { api, exchanges } = sdk();
  const tokens = await api.loginWithClientCredentials({ clientId, clientSecret: secret, scope: 'items:read' });
  expect(tokens.scope).toBe('items:read');
  expect(tokens.refreshToken).toBeUndefined();
  expect(exchanges[0]).toMatchObject({ path: '/token', status: 200, form: { grant_type: 'client_credentials' } });
  expect(exchanges[0]!.authorization).toMatch(/^Basic /);
  expect(exchanges[0]!.form).not.toHaveProperty('client_secret');
  const { response } = await api.GET('/v1/items');
  expect(response.status).toBe(200);
});

it('sends the credentials in the form with method post', async () => {
  const { api, exchanges } = sdk();
  await api.loginWithClientCredentials({ clientId, clientSecret: secret, method: 'post' });
  expect(exchanges[0]).toMatchObject({
    authorization: null,
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret },
  });
});

it('asks the grant again when the token has expired, then retries the request', async () => {
  const { api } = sdk();
  const first = await api.loginWithClientCredentials({ clientId, clientSecret: secret });
  now += 16 * 60;
  const { response } = await api.GET('/v1/items');
  expect(response.status).toBe(200);
  expect(api.tokens?.accessToken).not.toBe(first.accessToken);
});

it('throws a SpecgateError with invalid_client for a wrong secret', async () => {
  const { api } = sdk();
  const err = await api.loginWithClientCredentials({ clientId, clientSecret: 'wrong' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SpecgateError);
  const { status, body } = err as SpecgateError;
  expect(status).toBe(401);
  expect(isOAuthError(body) && body.error).toBe('invalid_client');
});
