/**
 * specgate on a real Sentinel group (1 primary, 1 replica, 3 sentinels that require a password):
 * the API round, and a connection that is always the primary's.
 */
import { startTestApp, type TestApp } from '../support/app';
import { startTopology, type TopologyServer } from '../support/redis-topology';
import { apiRound, failsClosedWhenGone } from './api-round';
import { authorizationServerRound } from './auth-server-round';

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

it('registers a client, uses, replays, introspects and revokes its DPoP token, disables it, and refreshes a bound login', async () => {
  await authorizationServerRound(t);
});

it('talks to the primary the sentinels name, never the replica', async () => {
  const role = (await t.redis.call('ROLE')) as [string, ...unknown[]];
  expect(role[0]).toBe('master');
  const port = Number(/tcp_port:(\d+)/.exec(await t.redis.info('server'))?.[1]);
  expect(port).toBe(group.port);
});

// Last: it kills the group.
it('answers 503 with Retry-After, never 200, when the primary and replica are gone', () => failsClosedWhenGone(t));
