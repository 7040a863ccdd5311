/**
 * Two app instances on one Redis and one database: an administrator's change through one
 * instance is honoured by the other on the user's very next request (nothing about a token's
 * validity or scopes lives in process memory). The database is PostgreSQL (a private schema)
 * when TEST_DATABASE_URL is set, else one PGlite shared by both instances.
 */
import { type AppPair, startAppPair } from '../../support/app-pair';
import { client } from '../../support/contract';

let pair: AppPair;
let a: AppPair['a'];
let b: AppPair['b'];
let apiA: ReturnType<typeof client>;
let apiB: ReturnType<typeof client>;
let adminOnB: string;

beforeAll(async () => {
  pair = await startAppPair();
  ({ a, b } = pair);
  apiA = client(a.url);
  apiB = client(b.url);
  await a.createUser('root-admin', 'root-admin-password', ['users:admin']);
  adminOnB = await apiB.login('root-admin', 'root-admin-password');
});
afterAll(() => pair.stop());

const MERGE = { 'content-type': 'application/merge-patch+json' };
let serial = 0;
/** A user with live tokens from logins on A. */
async function userWithTokens(count: number) {
  const name = `worker-${++serial}`;
  const id = await a.createUser(name, `${name}-password-1`, ['items:read', 'items:write']);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(await apiA.login(name, `${name}-password-1`));
  for (const token of tokens) expect((await apiA.get('/v1/items', { token })).status).toBe(200);
  return { id, tokens };
}

it("a disable through B ends the user's sessions on A at the very next item request", async () => {
  const u = await userWithTokens(3);
  expect(
    (await apiB.request('PATCH', `/v1/users/${u.id}`, { token: adminOnB, json: { disabled: true }, headers: MERGE }))
      .status,
  ).toBe(200);
  for (const token of u.tokens) {
    const res = await apiA.get('/v1/items', { token });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  }
});

it("a deletion through B ends the user's sessions on A at the very next request", async () => {
  const u = await userWithTokens(2);
  expect((await apiB.request('DELETE', `/v1/users/${u.id}`, { token: adminOnB })).status).toBe(204);
  for (const token of u.tokens) expect((await apiA.get('/v1/categories', { token })).status).toBe(401);
});

it('a scope taken away through B stops authorising on A at the very next request', async () => {
  const u = await userWithTokens(2);
  expect(
    (
      await apiB.request('PATCH', `/v1/users/${u.id}`, {
        token: adminOnB,
        json: { scopes: ['items:read'] },
        headers: MERGE,
      })
    ).status,
  ).toBe(200);
  for (const token of u.tokens) {
    const res = await apiA.post('/v1/items', { token, json: { name: 'Bowl', category: 'kitchen', price_cents: 5 } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
    expect((await apiA.get('/v1/items', { token })).status).toBe(200);
  }
});

it("ending a user's sessions through A is honoured by B", async () => {
  const u = await userWithTokens(2);
  const adminOnA = await apiA.login('root-admin', 'root-admin-password');
  expect((await apiA.request('DELETE', `/v1/users/${u.id}/sessions`, { token: adminOnA })).status).toBe(204);
  for (const token of u.tokens) expect((await apiB.get('/v1/items', { token })).status).toBe(401);
});

it('two admins on two instances disabling each other at once leave one enabled admin', async () => {
  const second = await a.createUser('second-admin', 'second-admin-password', ['users:admin']);
  const secondOnA = await apiA.login('second-admin', 'second-admin-password');
  const rootId = (await apiB.get('/v1/users?username_prefix=root-admin', { token: adminOnB })).body.users[0]
    .id as string;
  const [x, y] = await Promise.all([
    apiA.request('PATCH', `/v1/users/${rootId}`, { token: secondOnA, json: { disabled: true }, headers: MERGE }),
    apiB.request('PATCH', `/v1/users/${second}`, { token: adminOnB, json: { disabled: true }, headers: MERGE }),
  ]);
  // One wins; the other either meets the lock (409) or, if the winner disabled its caller first, 401.
  expect([x.status, y.status].filter((s) => s === 200)).toHaveLength(1);
  expect([x.status, y.status].every((s) => [200, 401, 409].includes(s))).toBe(true);
  const users = (
    await apiA.get('/v1/users', {
      token: await apiA.login(
        x.status === 200 ? 'second-admin' : 'root-admin',
        x.status === 200 ? 'second-admin-password' : 'root-admin-password',
      ),
    })
  ).body.users;
  expect(
    users.filter((u: { scopes: string[]; disabled: boolean }) => u.scopes.includes('users:admin') && !u.disabled),
  ).toHaveLength(1);
});
