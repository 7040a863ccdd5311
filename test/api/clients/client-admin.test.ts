/**
 * The /v1/clients operations: register, list, read, change, rotate the secret and delete; the
 * secret is shown only in the answers that make it, and every operation needs clients:admin.
 */
import { MAX_CLIENTS } from '../../../src/store/clients.repository';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('client-admin', 'client-admin-password', ['clients:admin']);
  admin = await api.login('client-admin', 'client-admin-password');
});
afterAll(() => t.stop());

const MERGE = { 'content-type': 'application/merge-patch+json' };
const register = (json: unknown) => api.post('/v1/clients', { token: admin, json });
const service = { name: 'billing', grant_types: ['client_credentials'], scopes: ['items:read'] };

test('registering a confidential client answers its secret once, with a Location', async () => {
  const res = await register(service);
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ ...service, public: false, disabled: false, redirect_uris: [] });
  expect(res.body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(res.headers.location).toBe(`/v1/clients/${res.body.client_id}`);

  const read = await api.get(`/v1/clients/${res.body.client_id}`, { token: admin });
  expect(read.status).toBe(200);
  expect(read.body.client_secret).toBeUndefined();
  expect(read.text).not.toContain(res.body.client_secret);
  expect(read.text).not.toContain('argon2');
});

test('a public client has no secret', async () => {
  const res = await register({ ...service, grant_types: ['authorization_code'], public: true });
  expect(res.status).toBe(201);
  expect(res.body.public).toBe(true);
  expect(res.body).not.toHaveProperty('client_secret');
});

test('listing pages through every client without secrets', async () => {
  const made = new Set<string>();
  for (let i = 0; i < 3; i++) made.add((await register({ ...service, name: `page-${i}` })).body.client_id);
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const res = await api.get(`/v1/clients?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      token: admin,
    });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('client_secret');
    seen.push(...res.body.clients.map((c: { client_id: string }) => c.client_id));
    cursor = res.body.next_cursor ?? undefined;
  } while (cursor);
  for (const id of made) expect(seen).toContain(id);
  expect(new Set(seen).size).toBe(seen.length);
});

test('a cursor this service did not issue is a 400', async () => {
  const res = await api.get('/v1/clients?cursor=WyJ4Il0.AAAAAAAAAAAAAAAAAAAAAA', { token: admin });
  expect(res.status).toBe(400);
  expect(res.body.code).toBe('validation_failed');
});

test('a patch changes only the members it names', async () => {
  const { client_id } = (await register(service)).body;
  const res = await api.request('PATCH', `/v1/clients/${client_id}`, {
    token: admin,
    headers: MERGE,
    json: { scopes: ['items:read', 'items:write'], redirect_uris: ['http://127.0.0.1:8080/cb'], first_party: true },
  });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    name: 'billing',
    scopes: ['items:read', 'items:write'],
    redirect_uris: ['http://127.0.0.1:8080/cb'],
    first_party: true,
    dpop_bound_access_tokens: false,
  });
});

test.each([
  ['a plain http redirect URI', 'http://app.example/cb'],
  ['a fragment', 'https://app.example/cb#x'],
  ['a relative URI', '/cb'],
])('a redirect URI with %s is a 400', async (_, uri) => {
  const res = await register({ ...service, redirect_uris: [uri] });
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([expect.objectContaining({ pointer: '/redirect_uris/0' })]);
});

test('unknown grant types and scopes are a 400', async () => {
  expect((await register({ ...service, grant_types: ['implicit'] })).status).toBe(400);
  expect((await register({ ...service, scopes: ['everything'] })).status).toBe(400);
});

test('rotating the secret answers a new one', async () => {
  const created = (await register(service)).body;
  const res = await api.post(`/v1/clients/${created.client_id}/secret`, { token: admin });
  expect(res.status).toBe(200);
  expect(res.body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(res.body.client_secret).not.toBe(created.client_secret);
});

test('delete removes the client; a second delete and a read are 404', async () => {
  const { client_id } = (await register(service)).body;
  expect((await api.request('DELETE', `/v1/clients/${client_id}`, { token: admin })).status).toBe(204);
  expect((await api.request('DELETE', `/v1/clients/${client_id}`, { token: admin })).status).toBe(404);
  expect((await api.get(`/v1/clients/${client_id}`, { token: admin })).status).toBe(404);
  expect((await api.post(`/v1/clients/${client_id}/secret`, { token: admin })).status).toBe(404);
});

test('a patch of an unknown client is a 404', async () => {
  const res = await api.request('PATCH', '/v1/clients/6d0e8b2f-4a91-4c1e-9a57-3f1c7a4e2b8d', {
    token: admin,
    headers: MERGE,
    json: { name: 'x' },
  });
  expect([res.status, res.body.code]).toEqual([404, 'not_found']);
});

test('a full registry refuses another client with 409', async () => {
  const counted = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM clients');
  const n = Number(counted[0]?.n ?? 0);
  await t.db.query(`INSERT INTO clients (name) SELECT 'filler' FROM generate_series(1, $1::int)`, [MAX_CLIENTS - n]);
  try {
    const res = await register(service);
    expect([res.status, res.body.code]).toEqual([409, 'conflict']);
  } finally {
    await t.db.query(`DELETE FROM clients WHERE name = 'filler'`);
  }
});

test('every operation needs clients:admin', async () => {
  await t.createUser('plain-admin', 'plain-admin-password', ['users:admin']);
  const token = await api.login('plain-admin', 'plain-admin-password');
  const res = await api.post('/v1/clients', { token, json: service });
  expect(res.status).toBe(403);
  expect((await api.get('/v1/clients', { token })).status).toBe(403);
});
