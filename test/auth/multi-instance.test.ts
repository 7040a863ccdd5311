/**
 * Two app instances on one Redis: whatever ends a session through one is honoured by the other on
 * its very next request (nothing about token validity lives in process memory).
 */
import type { Database } from '../../src/store/database';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { openTestPglite } from '../support/pglite-snapshot';
import { type RedisServer, startRedis } from '../support/redis-server';

let redis: RedisServer;
let db: Database;
let a: TestApp;
let b: TestApp;
let apiA: ReturnType<typeof client>;
let apiB: ReturnType<typeof client>;

beforeAll(async () => {
  redis = await startRedis({ password: 'shared-redis' });
  db = await openTestPglite();
  a = await startTestApp({ redisServer: redis, db });
  b = await startTestApp({ redisServer: redis, db });
  apiA = client(a.url);
  apiB = client(b.url);
  await a.createUser('amy', 'amy-password-1', ['items:read']);
});
afterAll(async () => {
  await a.stop();
  await b.stop();
  await db.close();
  await redis.stop();
});

const login = async () =>
  (await apiA.post('/token', { form: { grant_type: 'password', username: 'amy', password: 'amy-password-1' } }))
    .body as { access_token: string; refresh_token: string };

it('a logout through A is honoured by B', async () => {
  const { access_token } = await login();
  expect((await apiB.get('/me', { token: access_token })).status).toBe(200);
  await apiA.post('/logout', { token: access_token });
  expect((await apiB.get('/me', { token: access_token })).status).toBe(401);
});

it('a revocation through B is honoured by A', async () => {
  const { access_token, refresh_token } = await login();
  expect((await apiA.get('/me', { token: access_token })).status).toBe(200);
  await apiB.post('/revoke', { form: { token: refresh_token } });
  expect((await apiA.get('/me', { token: access_token })).status).toBe(401);
  expect((await apiA.post('/token', { form: { grant_type: 'refresh_token', refresh_token } })).body.error).toBe(
    'invalid_grant',
  );
});

it('a password change through A ends the other sessions on B', async () => {
  const mine = await login();
  const other = await login();
  expect((await apiB.get('/me', { token: other.access_token })).status).toBe(200);
  await apiA.request('PUT', '/me/password', {
    token: mine.access_token,
    json: { current_password: 'amy-password-1', new_password: 'amy new long password' },
  });
  expect((await apiB.get('/me', { token: other.access_token })).status).toBe(401);
  expect((await apiB.get('/me', { token: mine.access_token })).status).toBe(200);
});

it('a refresh-token reuse detected on B ends the session on A', async () => {
  const { access_token, refresh_token } = await apiB
    .post('/token', { form: { grant_type: 'password', username: 'amy', password: 'amy new long password' } })
    .then((r) => r.body);
  const rotated = (await apiA.post('/token', { form: { grant_type: 'refresh_token', refresh_token } })).body;
  // A retry on B of the token A just rotated is answered with A's successor (the reuse leeway).
  expect((await apiB.post('/token', { form: { grant_type: 'refresh_token', refresh_token } })).body.refresh_token).toBe(
    rotated.refresh_token,
  );
  const twice = (
    await apiA.post('/token', { form: { grant_type: 'refresh_token', refresh_token: rotated.refresh_token } })
  ).body;
  // Two rotations back: theft, whichever instance sees it.
  expect((await apiB.post('/token', { form: { grant_type: 'refresh_token', refresh_token } })).body.error).toBe(
    'invalid_grant',
  );
  expect((await apiA.get('/me', { token: twice.access_token })).status).toBe(401);
  expect((await apiA.get('/me', { token: access_token })).status).toBe(401);
});
