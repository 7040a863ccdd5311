/**
 * POST /token with grant_type=client_credentials (RFC 6749 §4.4): client authentication by Basic
 * and by form, its failures, scope narrowing, no refresh token, and what a client's token may do.
 */
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;

beforeAll(async () => {
  t = await startTestApp({ env: { LOGIN_MAX_FAILURES_PER_USER_IP: '3' } });
  api = client(t.url);
  await t.createUser('client-admin', 'client-admin-password', ['clients:admin']);
  admin = await api.login('client-admin', 'client-admin-password');
});
afterAll(() => t.stop());

type Registered = { client_id: string; client_secret: string };
async function register(json: Record<string, unknown> = {}): Promise<Registered> {
  const res = await api.post('/v1/clients', {
    token: admin,
    json: { name: 'svc', grant_types: ['client_credentials'], scopes: ['items:read', 'items:write'], ...json },
  });
  expect(res.status).toBe(201);
  return res.body;
}
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const viaBasic = (c: Registered, form: Record<string, string> = {}) =>
  api.post('/token', {
    form: { grant_type: 'client_credentials', ...form },
    headers: { authorization: basic(c.client_id, c.client_secret) },
  });
const viaPost = (c: Registered, form: Record<string, string> = {}) =>
  api.post('/token', {
    form: { grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret, ...form },
  });

test('client_secret_basic gets a bearer token for the client, with no refresh token', async () => {
  const c = await register();
  const res = await viaBasic(c);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    access_token: expect.any(String),
    token_type: 'Bearer',
    expires_in: expect.any(Number),
    scope: 'items:read items:write',
  });
  expect(res.headers['cache-control']).toBe('no-store');
  expect((await api.get('/v1/items', { token: res.body.access_token })).status).toBe(200);
});

test('client_secret_post works too, and a scope asked for narrows the token', async () => {
  const c = await register();
  const res = await viaPost(c, { scope: 'items:read' });
  expect(res.status).toBe(200);
  expect(res.body.scope).toBe('items:read');
  const write = await api.post('/v1/items', {
    token: res.body.access_token,
    json: { name: 'Cup', category: 'kitchen', price_cents: 1 },
  });
  expect(write.status).toBe(403);
});

test('a scope the client is not allowed is invalid_scope', async () => {
  const res = await viaBasic(await register(), { scope: 'users:admin' });
  expect([res.status, res.body.error]).toEqual([400, 'invalid_scope']);
});

test('a wrong secret with Basic is a 401 invalid_client with the Basic challenge', async () => {
  const c = await register();
  const res = await viaBasic({ ...c, client_secret: 'wrong' });
  expect([res.status, res.body.error]).toEqual([401, 'invalid_client']);
  expect(res.headers['www-authenticate']).toBe('Basic realm="specgate"');
});

test('an unknown client gets the same answer as a wrong secret', async () => {
  const res = await viaBasic({ client_id: '6d0e8b2f-4a91-4c1e-9a57-3f1c7a4e2b8d', client_secret: 'x' });
  expect([res.status, res.body]).toEqual([401, { error: 'invalid_client', error_description: expect.any(String) }]);
  const post = await viaPost({ client_id: 'not-a-client', client_secret: 'x' });
  expect([post.status, post.body.error]).toEqual([400, 'invalid_client']);
});

test('two authentication methods at once, or no client authentication, are refused', async () => {
  const c = await register();
  const both = await api.post('/token', {
    form: { grant_type: 'client_credentials', client_secret: c.client_secret },
    headers: { authorization: basic(c.client_id, c.client_secret) },
  });
  expect([both.status, both.body.error]).toEqual([400, 'invalid_request']);
  const none = await api.post('/token', { form: { grant_type: 'client_credentials' } });
  expect([none.status, none.body.error]).toEqual([401, 'invalid_client']);
});

test('a client registered with dpop_bound_access_tokens must send a DPoP proof', async () => {
  const res = await viaBasic(await register({ dpop_bound_access_tokens: true }));
  expect([res.status, res.body.error]).toEqual([400, 'invalid_dpop_proof']);
});

test('taking a scope from a client narrows its live token at once', async () => {
  const c = await register();
  const { access_token } = (await viaBasic(c)).body;
  const cup = { name: 'Cup', category: 'kitchen', price_cents: 1 };
  expect((await api.post('/v1/items', { token: access_token, json: cup })).status).toBe(201);
  const patched = await api.request('PATCH', `/v1/clients/${c.client_id}`, {
    token: admin,
    json: { scopes: ['items:read'] },
    headers: { 'content-type': 'application/merge-patch+json' },
  });
  expect(patched.status).toBe(200);
  expect((await api.post('/v1/items', { token: access_token, json: cup })).status).toBe(403);
  expect((await api.get('/v1/items', { token: access_token })).status).toBe(200);
});

test('a client not allowed the grant is unauthorized_client', async () => {
  const c = await register({ grant_types: ['authorization_code'] });
  const res = await viaBasic(c);
  expect([res.status, res.body.error]).toEqual([400, 'unauthorized_client']);
});

test("a client's token on the user's own operations gets 403 user_required", async () => {
  const { access_token } = (await viaBasic(await register())).body;
  for (const res of [
    await api.get('/me', { token: access_token }),
    await api.get('/me/sessions', { token: access_token }),
    await api.post('/logout', { token: access_token }),
    await api.request('DELETE', '/me/sessions/6d0e8b2f-4a91-4c1e-9a57-3f1c7a4e2b8d', { token: access_token }),
    await api.request('PUT', '/me/password', {
      token: access_token,
      json: { current_password: 'whatever-it-is', new_password: 'a much longer passphrase' },
    }),
  ]) {
    expect([res.status, res.body.code]).toEqual([403, 'user_required']);
  }
});

test('guessing a client secret hits 429 with Retry-After, even for the right secret', async () => {
  const c = await register();
  for (let i = 0; i < 3; i++) expect((await viaBasic({ ...c, client_secret: `guess-${i}` })).status).toBe(401);
  const res = await viaBasic(c);
  expect(res.status).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
});

test('rotating the secret makes the old one fail', async () => {
  const c = await register();
  const rotated = await api.post(`/v1/clients/${c.client_id}/secret`, { token: admin });
  expect((await viaBasic(c)).status).toBe(401);
  expect((await viaBasic({ ...c, client_secret: rotated.body.client_secret })).status).toBe(200);
});

describe('introspection and revocation with client authentication', () => {
  test('a client allowed tokens:introspect introspects user and client tokens', async () => {
    const rs = await register({ scopes: ['tokens:introspect'] });
    const other = (await viaBasic(await register())).body.access_token;
    await t.createUser('intro-user', 'intro-user-password', ['items:read']);
    const userToken = await api.login('intro-user', 'intro-user-password');
    const auth = { authorization: basic(rs.client_id, rs.client_secret) };
    const ofClient = await api.post('/introspect', { form: { token: other }, headers: auth });
    expect(ofClient.status).toBe(200);
    expect(ofClient.body).toMatchObject({ active: true, token_type: 'access_token' });
    expect(ofClient.body).not.toHaveProperty('username');
    expect(ofClient.body.sub).toBe(ofClient.body.client_id);
    const ofUser = await api.post('/introspect', { form: { token: userToken }, headers: auth });
    expect(ofUser.body).toMatchObject({ active: true, username: 'intro-user' });
  });

  test('a client without tokens:introspect, or with a wrong secret, is refused', async () => {
    const c = await register();
    const notAllowed = await api.post('/introspect', {
      form: { token: 'x' },
      headers: { authorization: basic(c.client_id, c.client_secret) },
    });
    expect([notAllowed.status, notAllowed.body.error]).toEqual([400, 'unauthorized_client']);
    const wrong = await api.post('/introspect', {
      form: { token: 'x' },
      headers: { authorization: basic(c.client_id, 'wrong') },
    });
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_client']);
    const revoke = await api.post('/revoke', {
      form: { token: 'x' },
      headers: { authorization: basic(c.client_id, 'wrong') },
    });
    expect([revoke.status, revoke.body.error]).toEqual([401, 'invalid_client']);
    expect(revoke.headers['www-authenticate']).toBe('Basic realm="specgate"');
  });

  test('an authenticated client revokes its own tokens and not another client’s', async () => {
    const a = await register();
    const b = await register();
    const tokenA = (await viaBasic(a)).body.access_token;
    const tokenB = (await viaBasic(b)).body.access_token;
    const auth = { authorization: basic(a.client_id, a.client_secret) };
    expect((await api.post('/revoke', { form: { token: tokenB }, headers: auth })).status).toBe(200);
    expect((await api.get('/v1/items', { token: tokenB })).status).toBe(200);
    expect((await api.post('/revoke', { form: { token: tokenA }, headers: auth })).status).toBe(200);
    expect((await api.get('/v1/items', { token: tokenA })).status).toBe(401);
  });
});
