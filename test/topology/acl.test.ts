/**
 * The least-privilege ACL user documented in the README ("Redis topologies"), taken from the
 * README itself: on one node, a Cluster and a Sentinel group, the API round and the authorization
 * server's round (DPoP replay keys, clients' sessions) run with exactly those rules and Redis
 * refuses nothing; a command or key outside them is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { startTestApp, type TestApp } from '../support/app';
import { startRedisCluster } from '../support/redis-cluster';
import { startRedisSentinel } from '../support/redis-sentinel';
import { type RedisServer, startRedis } from '../support/redis-server';
import type { TopologyServer } from '../support/redis-topology';
import { apiRound } from './api-round';
import { authorizationServerRound } from './auth-server-round';

const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
const documented = /^user specgate on >CHANGE-ME (.+)$/m.exec(readme)?.[1];
const USER = 'specgate';
const PASSWORD = 'acl-user-password';

/** Where the ACL user lives: the nodes to give it to and to read ACL LOG from, and how to start the app. */
interface AclTarget {
  nodes: RedisServer[];
  admin(node: RedisServer): Promise<Redis>;
  redisServer: RedisServer;
  stop(): Promise<void>;
}

const targets: Record<string, () => Promise<AclTarget>> = {
  'one node': async () => {
    const server = await startRedis({ password: 'admin-password' });
    const admin = await import('ioredis').then(
      ({ Redis }) =>
        async (n: RedisServer) =>
          new Redis({ host: n.host, port: n.port, password: 'admin-password' }),
    );
    return { nodes: [server], admin, redisServer: server, stop: () => server.stop() };
  },
  cluster: async () => {
    const c = await startRedisCluster();
    const env = { REDIS_CLUSTER_NODES: c.seeds };
    const server: TopologyServer = { ...c.nodes[0]!, topology: 'cluster', env, stop: () => c.stop() };
    return { nodes: c.nodes, admin: c.admin, redisServer: server, stop: () => c.stop() };
  },
  sentinel: async () => {
    const g = await startRedisSentinel();
    const env = { REDIS_SENTINELS: g.sentinelAddresses, REDIS_SENTINEL_MASTER: g.masterName };
    const server: TopologyServer = { ...g.primary, topology: 'sentinel', env, stop: () => g.stop() };
    return { nodes: [g.primary, g.replica], admin: g.admin, redisServer: server, stop: () => g.stop() };
  },
};

it('documents one ACL line for the service user', () => {
  expect(documented).toMatch(/^resetkeys ~auth:\* ~rl:\* ~cache:\* resetchannels -@all /);
});

describe.each(Object.keys(targets))('the documented ACL user on %s', (name) => {
  let target: AclTarget;
  let t: TestApp;
  const aclLogs = async () => {
    const logs = await Promise.all(
      target.nodes.map(async (n) => {
        const admin = await target.admin(n);
        try {
          return (await admin.call('ACL', 'LOG')) as unknown[];
        } finally {
          admin.disconnect();
        }
      }),
    );
    return logs.flat();
  };

  beforeAll(async () => {
    target = await targets[name]!();
    for (const node of target.nodes) {
      const admin = await target.admin(node);
      await admin.call('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, ...documented!.split(' '));
      admin.disconnect();
    }
    t = await startTestApp({
      redisServer: target.redisServer,
      env: { REDIS_USERNAME: USER, REDIS_PASSWORD: PASSWORD },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await target?.stop();
  });

  it('runs the API round with nothing refused', async () => {
    await apiRound(t, `acl-${name.replace(' ', '-')}`);
    expect(await aclLogs()).toEqual([]);
  });

  it('runs the authorization server round with nothing refused', async () => {
    await authorizationServerRound(t, { name: `acl-${name.replace(' ', '-')}` });
    expect(await aclLogs()).toEqual([]);
  });

  it('is refused a command and a key outside the rules', async () => {
    await expect(t.redis.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
    await expect(t.redis.get('elsewhere:key')).rejects.toThrow(/NOPERM/);
    expect((await aclLogs()).length).toBeGreaterThanOrEqual(2);
  });
});
