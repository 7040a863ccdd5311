/**
 * A client cannot make the server hold tokens without bound: each client-credentials token is a
 * session of the client's, and like a user's sessions they are capped at MAX_SESSIONS_PER_USER.
 * A new token ends the oldest; the client's session keys and its index stay at the cap.
 */
import { keys } from '../../../src/store/redis-keys';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';
import { registerClient, tokenRequest } from '../../support/registered-clients';

let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ env: { MAX_SESSIONS_PER_USER: '3' } });
  api = client(t.url);
  await t.createUser('cap-admin', 'cap-admin-password', ['clients:admin']);
});
afterAll(() => t.stop());

it('keeps at most MAX_SESSIONS_PER_USER live tokens per client: a new token ends the oldest', async () => {
  const admin = await api.login('cap-admin', 'cap-admin-password');
  const registered = await registerClient(api, admin, { grant_types: ['client_credentials'] });
  const tokens: string[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await tokenRequest(api, { grant_type: 'client_credentials' }, registered, true);
    expect(res.status).toBe(200);
    tokens.push(res.body.access_token);
  }
  const statuses = await Promise.all(tokens.map(async (token) => (await api.get('/v1/items', { token })).status));
  expect(statuses).toEqual([401, 401, 401, 200, 200, 200]);
  expect(await t.redis.zcard(keys.userSessionIndex(registered.client_id))).toBe(3);
  const live = await t.redis.keys(keys.session('*'));
  const owners = await Promise.all(live.map((key) => t.redis.hget(key, 'sub')));
  expect(owners.filter((sub) => sub === registered.client_id)).toHaveLength(3);
});
