/**
 * Failover under load on a real Sentinel group (1 primary, 1 replica, 3 sentinels, down-after
 * 2 s): the primary is killed, or frozen, while a client reads, writes and refreshes; the
 * sentinels promote the replica (see ../support/failover-scenario.ts for what is asserted).
 */
import { startTestApp } from '../support/app';
import { runFailover } from '../support/failover-scenario';
import { type StopMode, sentinelPair, sentinelServer } from '../support/failover-target';
import { startRedisSentinel } from '../support/redis-sentinel';

async function failover(mode: StopMode) {
  const group = await startRedisSentinel();
  try {
    const app = await startTestApp({ redisServer: sentinelServer(group) });
    try {
      const pair = sentinelPair(group);
      await runFailover({ app, mode, label: `sentinel ${mode}`, pairFor: async () => pair });
    } finally {
      await app.stop();
    }
  } finally {
    await group.stop();
  }
}

it('fails closed and resumes within 10 s of promotion when the primary is killed', async () => {
  await failover('kill');
}, 90_000);

it('fails closed and resumes within 10 s of promotion when the primary freezes', async () => {
  await failover('freeze');
}, 90_000);
