/**
 * The topology harnesses' failure helpers, for the failover tests built on them: a killed or a
 * frozen primary is replaced by its replica, as a real Cluster and a real Sentinel group do it.
 */
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster';
import { type RedisSentinelGroup, startRedisSentinel } from '../support/redis-sentinel';

/** Polls `check` until it holds (failovers take the node timeout plus an election). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 25_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('startRedisCluster', () => {
  let c: RedisCluster;
  beforeAll(async () => void (c = await startRedisCluster()), 60_000);
  afterAll(() => c?.stop());

  it('has three primaries, and a killed one is replaced by its replica', async () => {
    const before = await c.primaries();
    expect(before).toHaveLength(3);
    const killed = await c.killPrimary();
    await eventually(async () => {
      const now = await c.primaries();
      return now.length === 3 && !now.includes(killed);
    });
  }, 40_000);

  it('has a frozen primary replaced too, and it rejoins as a replica once resumed', async () => {
    const frozen = await c.freezePrimary();
    await eventually(async () => (await c.primaries()).length === 3);
    frozen.resume();
    await eventually(async () => {
      const admin = await c.admin(frozen.node);
      try {
        return ((await admin.call('ROLE')) as string[])[0] === 'slave';
      } finally {
        admin.disconnect();
      }
    });
  }, 60_000);
});

describe('startRedisSentinel', () => {
  let g: RedisSentinelGroup;
  beforeAll(async () => void (g = await startRedisSentinel()), 60_000);
  afterAll(() => g?.stop());

  it('names the started primary, and promotes the replica when the primary is killed', async () => {
    expect(await g.currentPrimary()).toBe(g.primary);
    await g.killPrimary();
    await eventually(async () => (await g.currentPrimary()) === g.replica);
  }, 40_000);
});

describe('a frozen Sentinel primary', () => {
  let g: RedisSentinelGroup;
  beforeAll(async () => void (g = await startRedisSentinel()), 60_000);
  afterAll(() => g?.stop());

  it('is replaced by the replica', async () => {
    const frozen = await g.freezePrimary();
    expect(frozen.node).toBe(g.primary);
    await eventually(async () => (await g.currentPrimary()) === g.replica);
    frozen.resume();
  }, 40_000);
});
