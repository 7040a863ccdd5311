/**
 * specgate on a real Redis Cluster (3 primaries, 3 replicas): the API round, keys spread over
 * the primaries, and the connection settings that keep auth on primaries and failing fast.
 */
import type { Cluster } from 'ioredis';
import { loadConfig } from '../../src/core/config';
import { connectRedis } from '../../src/store/redis';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { capturingLogger } from '../support/logs';
import { startTopology, type TopologyServer } from '../support/redis-topology';
import { type TestKeyFile, testKeyFile } from '../support/signing-keys';
import { apiRound, failsClosedWhenGone } from './api-round';
import { authorizationServerRound } from './auth-server-round';

let cluster: TopologyServer;
let t: TestApp;
let keyFile: TestKeyFile;

beforeAll(async () => {
  cluster = await startTopology('cluster');
  // An ES256 key file: asymmetric signing runs on the Cluster too.
  keyFile = await testKeyFile(['ES256']);
  t = await startTestApp({ redisServer: cluster, env: { JWT_SIGNING_KEYS_FILE: keyFile.file } });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await cluster?.stop();
  keyFile?.remove();
});

it('runs login, cached read, write, invalidation, refresh, session list and logout', async () => {
  await apiRound(t, 'cluster-user');
});

it('registers a client, uses, replays, introspects and revokes its DPoP token, disables it, and refreshes a bound login', async () => {
  await authorizationServerRound(t, { signingKey: { kid: keyFile.keys[0]!.kid, alg: 'ES256' } });
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

it('fails fast on a wrong password, naming the nodes and never the password', async () => {
  const config = loadConfig({
    REDIS_CLUSTER_NODES: cluster.env.REDIS_CLUSTER_NODES!,
    REDIS_PASSWORD: 'not-the-pw-4711',
  });
  const lines: string[] = [];
  const err = await connectRedis(config.redis, capturingLogger('debug', lines)).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(/^cannot connect to Redis at cluster 127\.0\.0\.1:\d+/);
  expect(lines.join('')).toMatch(/WRONGPASS/);
  expect(`${(err as Error).message}${lines.join('')}`).not.toContain('not-the-pw-4711');
});

// Last: it kills the Cluster.
it('answers 503 with Retry-After, never 200, when every node is gone', () => failsClosedWhenGone(t));
