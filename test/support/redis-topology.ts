/**
 * A Redis Cluster or Sentinel group for the topology tests (test/topology): {@link startTopology}
 * starts one and hands it back under the single node's {@link RedisServer} shape, so startTestApp
 * and the store contract take either.
 */
import type { Redis } from 'ioredis';
import { startRedisCluster } from './redis-cluster';
import { startRedisSentinel } from './redis-sentinel';
import type { RedisServer } from './redis-server';

export type TestTopology = 'single' | 'cluster' | 'sentinel';

/** A started Cluster or Sentinel group, as a RedisServer plus the environment that selects it. */
export interface TopologyServer extends RedisServer {
  topology: Exclude<TestTopology, 'single'>;
  /** REDIS_* variables for loadConfig. */
  env: Record<string, string>;
}

export function isTopologyServer(server: RedisServer): server is TopologyServer {
  return 'topology' in server;
}

/**
 * Starts a Cluster or a Sentinel group. `kill()` SIGKILLs every data node (Redis as a whole is
 * gone, as a killed single node is); `restart()` is single-node only and throws.
 */
export async function startTopology(
  topology: Exclude<TestTopology, 'single'>,
  opts: { sentinelPassword?: string } = {},
): Promise<TopologyServer> {
  const restart = () => Promise.reject(new Error(`restart() is single-node only, not for a ${topology}`));
  if (topology === 'cluster') {
    const c = await startRedisCluster();
    const first = c.nodes[0]!;
    return {
      ...first,
      topology,
      password: c.password,
      env: { REDIS_CLUSTER_NODES: c.seeds, REDIS_PASSWORD: c.password },
      stop: () => c.stop(),
      kill: async () => void (await Promise.all(c.nodes.map((n) => n.kill()))),
      restart,
    };
  }
  const g = await startRedisSentinel(opts);
  return {
    ...g.primary,
    topology,
    password: g.password,
    env: {
      REDIS_SENTINELS: g.sentinelAddresses,
      REDIS_SENTINEL_MASTER: g.masterName,
      REDIS_PASSWORD: g.password,
      ...(g.sentinelPassword ? { REDIS_SENTINEL_PASSWORD: g.sentinelPassword } : {}),
    },
    stop: () => g.stop(),
    kill: async () => void (await Promise.all([g.primary.kill(), g.replica.kill()])),
    restart,
  };
}

/**
 * KEYS on a Cluster client asks one node; tests that list keys (e.g. `t.redis.keys('cache:*')`)
 * mean the whole keyspace, so on a Cluster the test's client asks every primary.
 */
export function keysAcrossCluster(redis: Redis): void {
  const cluster = redis as unknown as { isCluster?: boolean; nodes(role: 'master'): Redis[] };
  if (!cluster.isCluster) return;
  redis.keys = (async (pattern: string) =>
    (await Promise.all(cluster.nodes('master').map((n) => n.keys(pattern)))).flat()) as Redis['keys'];
}
