/**
 * The refresh grant for tokens issued to a registered client (RFC 6749 §6): a confidential client
 * authenticates as the client the token was issued to, the client's registration as it is now
 * rules the refresh, and taking client_credentials from a client ends its own tokens at once.
 */
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';
import { patchClient, type Registered, registerClient, tokenRequest } from '../../support/registered-clients';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;

const login = { grant_type: 'password', username: 'rf-user', password: 'rf-user-password' };

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('rf-admin', 'rf-admin-password', ['clients:admin']);
  await t.createUser('rf-user', 'rf-user-password', ['items:read', 'items:write']);
  admin = await api.login('rf-admin', 'rf-admin-password');
});
afterAll(() => t.stop());

const register = (json: Record<string, unknown> = {}) => registerClient(api, admin, json);

/** A refresh token issued to `c` (or to the default label). */
async function refreshTokenOf(c?: Registered): Promise<string> {
  const res = await tokenRequest(api, login, c, true);
  expect(res.status).toBe(200);
  return res.body.refresh_token;
}
const refresh = (token: string, c?: Registered, basic = false) =>
  tokenRequest(api, { grant_type: 'refresh_token', refresh_token: token }, c, basic);

test.each([
  ['client_secret_basic', true],
  ['client_secret_post', false],
])('a confidential client refreshes its own token authenticating by %s', async (_, basic) => {
  const c = await register();
  const res = await refresh(await refreshTokenOf(c), c, basic);
  expect(res.status).toBe(200);
  expect(res.body.scope).toBe('items:read');
});

test("a confidential client's refresh token without client authentication is invalid_client, and stays usable", async () => {
  const c = await register();
  const token = await refreshTokenOf(c);
  const bare = await refresh(token);
  expect([bare.status, bare.body.error]).toEqual([401, 'invalid_client']);
  const named = await refresh(token, { client_id: c.client_id });
  expect([named.status, named.body.error]).toEqual([401, 'invalid_client']);
  expect((await refresh(token, c)).status).toBe(200);
});

test("a confidential client's refresh token is invalid_grant for another client", async () => {
  const a = await register();
  const b = await register();
  const token = await refreshTokenOf(a);
  const other = await refresh(token, b, true);
  expect([other.status, other.body.error]).toEqual([400, 'invalid_grant']);
  const wrongSecret = await refresh(token, { ...a, client_secret: 'not-the-secret' }, true);
  expect([wrongSecret.status, wrongSecret.body.error]).toEqual([401, 'invalid_client']);
});

test("a registered client presenting a label's or another public client's refresh token is invalid_grant", async () => {
  const pub = await register({ public: true });
  const conf = await register();
  const ofLabel = await refreshTokenOf();
  expect((await refresh(ofLabel, pub)).body.error).toBe('invalid_grant');
  expect((await refresh(ofLabel, conf)).body.error).toBe('invalid_grant');
  const ofPublic = await refreshTokenOf(pub);
  expect((await refresh(ofPublic, await register({ public: true }))).body.error).toBe('invalid_grant');
});

test("a public client's token refreshes with or without its client_id", async () => {
  const c = await register({ public: true });
  const first = await refresh(await refreshTokenOf(c), c);
  expect(first.status).toBe(200);
  expect((await refresh(first.body.refresh_token)).status).toBe(200);
});

test('taking refresh_token from a client refuses its next refresh, leaving the access token live', async () => {
  const c = await register({ public: true });
  const res = await tokenRequest(api, login, c);
  expect((await patchClient(api, admin, c.client_id, { grant_types: ['password'] })).status).toBe(200);
  const refused = await refresh(res.body.refresh_token);
  expect([refused.status, refused.body.error]).toEqual([400, 'unauthorized_client']);
  expect((await api.get('/v1/items', { token: res.body.access_token })).status).toBe(200);
});

test("disabling a client refuses refreshes of its users' tokens with invalid_client", async () => {
  const c = await register({ public: true });
  const token = await refreshTokenOf(c);
  expect((await patchClient(api, admin, c.client_id, { disabled: true })).status).toBe(200);
  expect((await refresh(token)).body.error).toBe('invalid_client');
});

test("a scope taken from a client leaves its users' sessions at their next refresh", async () => {
  const c = await register({ public: true, scopes: ['items:read', 'items:write'] });
  const token = await refreshTokenOf(c);
  expect((await patchClient(api, admin, c.client_id, { scopes: ['items:read'] })).status).toBe(200);
  expect((await refresh(token)).body.scope).toBe('items:read');
});

test('the default label refreshes as before, with or without a client_id label', async () => {
  const first = await refresh(await refreshTokenOf());
  expect(first.status).toBe(200);
  expect((await refresh(first.body.refresh_token, { client_id: 'some-label' })).status).toBe(200);
});

test("taking client_credentials from a client ends its own tokens at once; taking password ends no user's", async () => {
  const c = await register({ grant_types: ['client_credentials', 'password', 'refresh_token'] });
  const own = await tokenRequest(api, { grant_type: 'client_credentials' }, c, true);
  const users = await tokenRequest(api, login, c, true);
  expect((await patchClient(api, admin, c.client_id, { grant_types: ['client_credentials'] })).status).toBe(200);
  expect((await api.get('/v1/items', { token: users.body.access_token })).status).toBe(200);
  expect((await api.get('/v1/items', { token: own.body.access_token })).status).toBe(200);
  expect((await patchClient(api, admin, c.client_id, { grant_types: ['password'] })).status).toBe(200);
  expect((await api.get('/v1/items', { token: own.body.access_token })).status).toBe(401);
  expect((await api.get('/v1/items', { token: users.body.access_token })).status).toBe(200);
});
