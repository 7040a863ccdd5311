/**
 * specgate on a real Sentinel group (1 primary, 1 replica, 3 sentinels that require a password):
 * the API round, and a connection that is always the primary's.
 */
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { startTopology, type TopologyServer } from '../support/redis-topology';
import { apiRound } from './api-round';

let group: TopologyServer;
let t: TestApp;

beforeAll(async () => {
  group = await startTopology('sentinel', { sentinelPassword: 'sentinel-only-password' });
  t = await startTestApp({ redisServer: group });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await group?.stop();
});

it('runs login, cached read, write, invalidation, refresh, session list and logout', async () => {
  expect(t.config.redis.sentinel?.password).toBe('sentinel-only-password');
  await apiRound(t, 'sentinel-user');
});

it('talks to the primary the sentinels name, never the replica', async () => {
  const role = (await t.redis.call('ROLE')) as [string, ...unknown[]];
  expect(role[0]).toBe('master');
  const port = Number(/tcp_port:(\d+)/.exec(await t.redis.info('server'))?.[1]);
  expect(port).toBe(group.port);
});

it('answers 503 with Retry-After, never 200, when the primary and replica are gone', async () => {
  // Its own sentinel, this test kills: the file's stays up for the others.
  const doomed = await startTopology('sentinel');
  const down = await startTestApp({ db: t.db, redisServer: doomed });
  try {
    const api = client(down.url);
    await down.createUser('gone-user', 'gone-user-password-1', ['items:read']);
    const token = await api.login('gone-user', 'gone-user-password-1');
    await doomed.kill();
    const res = await api.get('/me', { token });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
  } finally {
    await down.stop();
    await doomed.stop();
  }
});
