/**
 * The node a failover test stops and the replica that takes over: for a Cluster, the primary of the
 * slot of a given key (a session key in use) and its replica; for a Sentinel group, the primary.
 * Stopping is a SIGKILL or a SIGSTOP (a hung node: its sockets stay open, nothing answers), and
 * promotion is seen on the replica itself (ROLE turns `master`), the earliest moment it can serve.
 */
import type { Redis } from 'ioredis';
import { processId, type RedisCluster, signal } from './redis-cluster';
import type { RedisSentinelGroup } from './redis-sentinel';
import type { RedisServer } from './redis-server';
import type { TopologyServer } from './redis-topology';

export type StopMode = 'kill' | 'freeze';

export interface FailoverPair {
  primary: RedisServer;
  replica: RedisServer;
  /** An admin connection to a data node; the caller disconnects it. */
  admin(node: RedisServer): Promise<Redis>;
}

/** `cluster` as the app's Redis (what startTopology hands startTestApp), keeping the Cluster in reach. */
export function clusterServer(cluster: RedisCluster): TopologyServer {
  return {
    ...cluster.nodes[0]!,
    topology: 'cluster',
    password: cluster.password,
    env: { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_PASSWORD: cluster.password },
    stop: () => cluster.stop(),
    kill: async () => void (await Promise.all(cluster.nodes.map((n) => n.kill()))),
    restart: () => Promise.reject(new Error('restart() is single-node only')),
  };
}

/** `group` as the app's Redis, as {@link clusterServer} does for a Cluster. */
export function sentinelServer(group: RedisSentinelGroup): TopologyServer {
  return {
    ...group.primary,
    topology: 'sentinel',
    password: group.password,
    env: {
      REDIS_SENTINELS: group.sentinelAddresses,
      REDIS_SENTINEL_MASTER: group.masterName,
      REDIS_PASSWORD: group.password,
    },
    stop: () => group.stop(),
    kill: async () => void (await Promise.all([group.primary.kill(), group.replica.kill()])),
    restart: () => Promise.reject(new Error('restart() is single-node only')),
  };
}

/** The primary serving `key`'s slot (CLUSTER KEYSLOT, CLUSTER SLOTS) and its replica. */
export async function clusterPairFor(cluster: RedisCluster, key: string): Promise<FailoverPair> {
  const c = await cluster.admin(cluster.nodes[0]!);
  try {
    const slot = Number(await c.call('CLUSTER', 'KEYSLOT', key));
    const ranges = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const range = ranges.find(([from, to]) => from <= slot && slot <= to);
    const primary = cluster.nodes.find((n) => n.port === range?.[2][1]);
    if (!primary) throw new Error(`no node serves slot ${slot}`);
    return { primary, replica: await syncedReplica(cluster, primary), admin: cluster.admin };
  } finally {
    c.disconnect();
  }
}

/**
 * The replica of `primary` once its link is up (ROLE: slave, …, connected): only a replica that
 * has synced can take over, and a freshly created Cluster may not list it in CLUSTER SLOTS yet.
 */
async function syncedReplica(cluster: RedisCluster, primary: RedisServer): Promise<RedisServer> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    for (const node of cluster.nodes) {
      if (node === primary) continue;
      const c = await cluster.admin(node);
      try {
        const [role, , port, state] = (await c.call('ROLE')) as [string, string, number, string];
        if (role === 'slave' && port === primary.port && state === 'connected') return node;
      } finally {
        c.disconnect();
      }
    }
    if (Date.now() > deadline) throw new Error(`no synced replica of ${primary.port} within 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function sentinelPair(group: RedisSentinelGroup): FailoverPair {
  return { primary: group.primary, replica: group.replica, admin: group.admin };
}

/**
 * Stops the pair's primary; the returned function undoes a freeze (SIGCONT) so the harness can stop
 * the node, and does nothing after a kill.
 */
export async function stopPrimary(pair: FailoverPair, mode: StopMode): Promise<() => void> {
  if (mode === 'kill') {
    await pair.primary.kill();
    return () => undefined;
  }
  const pid = await processId(pair.admin, pair.primary);
  signal(pid, 'SIGSTOP');
  return () => signal(pid, 'SIGCONT');
}

/**
 * Resolves to the time (Date.now()) the pair's replica first answers ROLE as a primary. Each poll
 * opens its own connection: a promotion by the sentinels kills the promoted node's clients.
 */
export async function promotion(pair: FailoverPair, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await roleOf(pair)) === 'master') return Date.now();
    if (Date.now() > deadline) throw new Error(`replica ${pair.replica.port} not promoted within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function roleOf(pair: FailoverPair): Promise<string | undefined> {
  const c = await pair.admin(pair.replica).catch(() => undefined);
  try {
    return ((await c?.call('ROLE').catch(() => undefined)) as [string] | undefined)?.[0];
  } finally {
    c?.disconnect();
  }
}
