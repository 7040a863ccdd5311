/**
 * The password grant for a client that names a registered client (RFC 6749 §4.3.2, §2.3.1): a
 * confidential client authenticates, a public one is named by client_id, a disabled one is
 * refused, and grants, scopes and DPoP binding follow the registration. A client_id that names no
 * registered client stays a label, as before the registry.
 */
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';
import { dpopKey } from '../../support/dpop';
import { patchClient, type Registered, registerClient, tokenRequest } from '../../support/registered-clients';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;

const login = { grant_type: 'password', username: 'rc-user', password: 'rc-user-password' };

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('rc-admin', 'rc-admin-password', ['clients:admin']);
  await t.createUser('rc-user', 'rc-user-password', ['items:read', 'items:write']);
  admin = await api.login('rc-admin', 'rc-admin-password');
});
afterAll(() => t.stop());

const register = (json: Record<string, unknown> = {}) => registerClient(api, admin, json);
const claimsOf = (res: { body: { access_token: string } }) => decodeJwt(res.body.access_token);

test.each([
  ['client_secret_basic', true],
  ['client_secret_post', false],
])('a confidential client authenticating by %s gets tokens recording its id, within its scopes', async (_, basic) => {
  const c = await register();
  const res = await tokenRequest(api, login, c, basic);
  expect(res.status).toBe(200);
  expect(res.body.scope).toBe('items:read');
  expect(claimsOf(res)).toMatchObject({ client_id: c.client_id, scope: 'items:read' });
  expect(typeof res.body.refresh_token).toBe('string');
});

test('a confidential client named by client_id alone is a 401 invalid_client with the Basic challenge', async () => {
  const c = await register();
  const res = await tokenRequest(api, { ...login, client_id: c.client_id });
  expect([res.status, res.body.error]).toEqual([401, 'invalid_client']);
  expect(res.headers['www-authenticate']).toBe('Basic realm="specgate"');
});

test('a wrong secret is invalid_client: 401 by Basic, 400 in the form', async () => {
  const c = await register();
  const wrong: Registered = { ...c, client_secret: 'not-the-secret' };
  const basic = await tokenRequest(api, login, wrong, true);
  expect([basic.status, basic.body.error]).toEqual([401, 'invalid_client']);
  const post = await tokenRequest(api, login, wrong);
  expect([post.status, post.body.error]).toEqual([400, 'invalid_client']);
});

test('a public client is identified by its client_id alone', async () => {
  const c = await register({ public: true });
  expect(c.client_secret).toBeUndefined();
  const res = await tokenRequest(api, login, c);
  expect(res.status).toBe(200);
  expect(claimsOf(res).client_id).toBe(c.client_id);
});

test('a disabled client, public or confidential, is invalid_client', async () => {
  const pub = await register({ public: true });
  const conf = await register();
  for (const c of [pub, conf])
    expect((await patchClient(api, admin, c.client_id, { disabled: true })).status).toBe(200);
  expect((await tokenRequest(api, login, pub)).body.error).toBe('invalid_client');
  expect((await tokenRequest(api, login, conf, true)).body.error).toBe('invalid_client');
});

test('a client not allowed the password grant is unauthorized_client', async () => {
  for (const c of [
    await register({ grant_types: ['refresh_token'] }),
    await register({ public: true, grant_types: [] }),
  ]) {
    const res = await tokenRequest(api, login, c);
    expect([res.status, res.body.error]).toEqual([400, 'unauthorized_client']);
  }
});

test('a scope the user holds but the client may not have is invalid_scope', async () => {
  const c = await register();
  const res = await tokenRequest(api, { ...login, scope: 'items:read items:write' }, c);
  expect([res.status, res.body.error]).toEqual([400, 'invalid_scope']);
  expect((await tokenRequest(api, { ...login, scope: 'items:read' }, c)).body.scope).toBe('items:read');
});

test('a client allowed scopes the user does not hold gets only those the user holds', async () => {
  const c = await register({ scopes: ['items:read', 'users:admin'] });
  expect((await tokenRequest(api, login, c)).body.scope).toBe('items:read');
  const asked = await tokenRequest(api, { ...login, scope: 'users:admin' }, c);
  expect([asked.status, asked.body.error]).toEqual([400, 'invalid_scope']);
});

test('a client registered with dpop_bound_access_tokens must send a DPoP proof, and then gets DPoP tokens', async () => {
  const c = await register({ public: true, dpop_bound_access_tokens: true });
  const bare = await tokenRequest(api, login, c);
  expect([bare.status, bare.body.error]).toEqual([400, 'invalid_dpop_proof']);
  const key = await dpopKey();
  const proof = await key.proof({ method: 'POST', uri: `${t.config.publicUrl}/token` });
  const bound = await api.post('/token', { form: { ...login, client_id: c.client_id }, headers: { dpop: proof } });
  expect(bound.status).toBe(200);
  expect(bound.body.token_type).toBe('DPoP');
  expect(claimsOf(bound).cnf).toEqual({ jkt: key.jkt });
});

test('a client_id naming no registered client is a label recorded in the token, as before', async () => {
  for (const label of ['first-party-app', '6d0e8b2f-4a91-4c1e-9a57-3f1c7a4e2b8d']) {
    const res = await tokenRequest(api, { ...login, client_id: label });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('items:read items:write');
    expect(claimsOf(res).client_id).toBe(label);
  }
  expect(claimsOf(await tokenRequest(api, login)).client_id).toBe('specgate');
});
