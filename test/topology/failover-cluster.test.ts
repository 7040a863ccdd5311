/**
 * Failover under load on a real Redis Cluster (3 primaries, 3 replicas, node timeout 2 s): the
 * primary of the slot of a session key in use is killed, or frozen, while a client reads, writes
 * and refreshes; its replica takes over (see ../support/failover-scenario.ts for what is asserted).
 */
import { startTestApp } from '../support/app';
import { runFailover } from '../support/failover-scenario';
import { clusterPairFor, clusterServer, type StopMode } from '../support/failover-target';
import { startRedisCluster } from '../support/redis-cluster';

async function failover(mode: StopMode) {
  const cluster = await startRedisCluster();
  try {
    const app = await startTestApp({ redisServer: clusterServer(cluster) });
    try {
      await runFailover({ app, mode, label: `cluster ${mode}`, pairFor: (key) => clusterPairFor(cluster, key) });
    } finally {
      await app.stop();
    }
  } finally {
    await cluster.stop();
  }
}

it('fails closed and resumes within 10 s of promotion when the primary of a session is killed', async () => {
  await failover('kill');
}, 90_000);

it('fails closed and resumes within 10 s of promotion when the primary of a session freezes', async () => {
  await failover('freeze');
}, 90_000);
