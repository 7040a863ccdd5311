/**
 * Two app instances sharing Redis and the database: disabling or deleting a client through one
 * ends its live tokens on the other at the very next request.
 */
import { type AppPair, startAppPair } from '../../support/app-pair';
import { client } from '../../support/contract';

let pair: AppPair;
let a: AppPair['a'];
let b: AppPair['b'];
let apiA: ReturnType<typeof client>;
let apiB: ReturnType<typeof client>;
let admin: string;

beforeAll(async () => {
  pair = await startAppPair();
  ({ a, b } = pair);
  apiA = client(a.url);
  apiB = client(b.url);
  await a.createUser('client-admin', 'client-admin-password', ['clients:admin']);
  admin = await apiA.login('client-admin', 'client-admin-password');
});
afterAll(() => pair.stop());

/** A client registered through A, and a live token of it used on B. */
async function clientWithToken() {
  const c = (
    await apiA.post('/v1/clients', {
      token: admin,
      json: { name: 'svc', grant_types: ['client_credentials'], scopes: ['items:read'] },
    })
  ).body;
  const form = { grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret };
  const token = (await apiB.post('/token', { form })).body.access_token as string;
  expect((await apiB.get('/v1/items', { token })).status).toBe(200);
  return { ...c, token, form };
}

test('disabling a client on A refuses its live token on B at once, and its authentication', async () => {
  const c = await clientWithToken();
  const res = await apiA.request('PATCH', `/v1/clients/${c.client_id}`, {
    token: admin,
    json: { disabled: true },
    headers: { 'content-type': 'application/merge-patch+json' },
  });
  expect(res.status).toBe(200);
  expect((await apiB.get('/v1/items', { token: c.token })).status).toBe(401);
  expect((await apiB.post('/token', { form: c.form })).body.error).toBe('invalid_client');
});

test('deleting a client on A refuses its live token on B at once', async () => {
  const c = await clientWithToken();
  expect((await apiA.request('DELETE', `/v1/clients/${c.client_id}`, { token: admin })).status).toBe(204);
  expect((await apiB.get('/v1/items', { token: c.token })).status).toBe(401);
  expect((await apiB.post('/token', { form: c.form })).body.error).toBe('invalid_client');
});
