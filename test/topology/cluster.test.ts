/**
 * specgate on a real Redis Cluster (3 primaries, 3 replicas): the API round, keys spread over
 * the primaries, and the connection settings that keep auth on primaries and failing fast.
 */
import type { Cluster } from 'ioredis';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { startTopology, type TopologyServer } from '../support/redis-topology';
import { apiRound } from './api-round';

let cluster: TopologyServer;
let t: TestApp;

beforeAll(async () => {
  cluster = await startTopology('cluster');
  t = await startTestApp({ redisServer: cluster });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await cluster?.stop();
});

it('runs login, cached read, write, invalidation, refresh, session list and logout', async () => {
  await apiRound(t, 'cluster-user');
});

it('spreads sessions over the primaries and reads them only from primaries', async () => {
  const api = client(t.url);
  await t.createUser('spread-user', 'spread-user-password-1', []);
  for (let i = 0; i < 8; i++) await api.login('spread-user', 'spread-user-password-1');
  const redis = t.redis as unknown as Cluster;
  expect(redis.isCluster).toBe(true);
  expect(redis.options.scaleReads).toBe('master');
  const perPrimary = await Promise.all(redis.nodes('master').map((n) => n.keys('auth:session:*')));
  expect(perPrimary).toHaveLength(3);
  // Eight random session ids: no hash tag pins them, so more than one primary holds some.
  expect(perPrimary.filter((k) => k.length > 0).length).toBeGreaterThan(1);
});

it('answers 503 with Retry-After, never 200, when every node is gone', async () => {
  const down = await startTestApp({ db: t.db });
  try {
    const api = client(down.url);
    await down.createUser('gone-user', 'gone-user-password-1', ['items:read']);
    const token = await api.login('gone-user', 'gone-user-password-1');
    await down.redisServer.kill();
    const res = await api.get('/me', { token });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
  } finally {
    await down.stop();
  }
});
