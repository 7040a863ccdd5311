/**
 * A real Sentinel group for tests: one primary, one replica and three sentinels
 * (`redis-server <conf> --sentinel`), each started by {@link startRedis} (free port, temp dir,
 * watchdog, shutdown). Resolves once every sentinel watches the primary, knows the replica and the
 * two other sentinels. Always `stop()` it.
 */
import type { Redis } from 'ioredis';
import { adminConnection, processId, signal } from './redis-cluster';
import { type RedisServer, startRedis } from './redis-server';

export interface RedisSentinelGroup {
  /** The name the sentinels monitor the primary under (REDIS_SENTINEL_MASTER). */
  masterName: string;
  /** The data nodes' `default` password. */
  password: string;
  /** The sentinels' own password (REDIS_SENTINEL_PASSWORD), when started with one. */
  sentinelPassword: string | undefined;
  primary: RedisServer;
  replica: RedisServer;
  sentinels: RedisServer[];
  /** `host:port,...` of the sentinels: a value for REDIS_SENTINELS. */
  sentinelAddresses: string;
  /** An admin connection to a data node; the caller disconnects it. */
  admin(node: RedisServer): Promise<Redis>;
  /** The data node the sentinels name as primary now (a failover changes which). */
  currentPrimary(): Promise<RedisServer>;
  /** SIGKILLs the current primary; the sentinels promote the replica after `down-after`. */
  killPrimary(): Promise<RedisServer>;
  /** SIGSTOPs the current primary (alive but silent); `resume()` sends SIGCONT. */
  freezePrimary(): Promise<{ node: RedisServer; resume(): void }>;
  stop(): Promise<void>;
}

const MASTER_NAME = 'specgate-primary';
/** Short enough that a failover test finishes in seconds; the default is 30 s. */
const DOWN_AFTER_MS = 2000;
const READY_TIMEOUT_MS = 20_000;

export async function startRedisSentinel(
  opts: { password?: string; sentinelPassword?: string } = {},
): Promise<RedisSentinelGroup> {
  const password = opts.password ?? 'sentinel-group-password';
  const started: RedisServer[] = [];
  const frozen = new Map<number, number>();
  const stop = async () => {
    for (const pid of frozen.values()) signal(pid, 'SIGCONT');
    await Promise.all(started.map((n) => n.stop()));
  };
  const track = (server: RedisServer) => {
    started.push(server);
    return server;
  };
  try {
    // masterauth on both: after a failover the old primary becomes a replica and must authenticate.
    // No wait for more replicas before the first sync (repl-diskless-sync-delay): there is one.
    const dataArgs = ['--masterauth', password, '--repl-diskless-sync-delay', '0'];
    const primary = track(await startRedis({ password, args: dataArgs }));
    const replica = track(
      await startRedis({ password, args: [...dataArgs, '--replicaof', primary.host, String(primary.port)] }),
    );
    const sentinelArgs = [
      '--sentinel',
      ...['--sentinel', 'monitor', MASTER_NAME, primary.host, String(primary.port), '2'],
      ...['--sentinel', 'auth-pass', MASTER_NAME, password],
      ...['--sentinel', 'down-after-milliseconds', MASTER_NAME, String(DOWN_AFTER_MS)],
      ...['--sentinel', 'failover-timeout', MASTER_NAME, '10000'],
      // Sentinels that require a password must present it to each other too.
      ...(opts.sentinelPassword ? ['--sentinel', 'sentinel-pass', opts.sentinelPassword] : []),
    ];
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < 3; i++)
      sentinels.push(track(await startRedis({ password: opts.sentinelPassword, args: sentinelArgs })));
    const admin = (node: RedisServer, pass: string | undefined = password) => adminConnection(node, pass);
    await waitForGroup(sentinels, opts.sentinelPassword, admin);
    await waitForSync(replica, admin);
    const data = [primary, replica];
    const currentPrimary = async () => {
      const s = await admin(sentinels[0]!, opts.sentinelPassword);
      try {
        const [, port] = (await s.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
        return data.find((n) => n.port === Number(port))!;
      } finally {
        s.disconnect();
      }
    };
    return {
      masterName: MASTER_NAME,
      password,
      sentinelPassword: opts.sentinelPassword,
      primary,
      replica,
      sentinels,
      sentinelAddresses: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
      admin: (node) => admin(node),
      currentPrimary,
      async killPrimary() {
        const node = await currentPrimary();
        await node.kill();
        return node;
      },
      async freezePrimary() {
        const node = await currentPrimary();
        const pid = await processId(admin, node);
        signal(pid, 'SIGSTOP');
        frozen.set(node.port, pid);
        return {
          node,
          resume: () => {
            frozen.delete(node.port);
            signal(pid, 'SIGCONT');
          },
        };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Polls SENTINEL MASTER on every sentinel until each sees the replica and the two other sentinels. */
async function waitForGroup(
  sentinels: RedisServer[],
  sentinelPassword: string | undefined,
  admin: (n: RedisServer, pass?: string) => Promise<Redis>,
): Promise<void> {
  const clients = await Promise.all(sentinels.map((s) => admin(s, sentinelPassword)));
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const states = await Promise.all(
        clients.map(async (c) => {
          const flat = (await c.call('SENTINEL', 'MASTER', MASTER_NAME)) as string[];
          const field = (name: string) => flat[flat.indexOf(name) + 1];
          return { flags: field('flags'), replicas: field('num-slaves'), others: field('num-other-sentinels') };
        }),
      );
      if (states.every((s) => s.flags === 'master' && s.replicas === '1' && s.others === '2')) return;
      if (Date.now() > deadline)
        throw new Error(`sentinel group not ready within ${READY_TIMEOUT_MS} ms: ${JSON.stringify(states)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
}

/**
 * Polls the replica until its link to the primary is up. The sentinels count a replica as soon as
 * the primary lists it, which is while its first sync is still pending (the primary waits
 * repl-diskless-sync-delay, 5 s by default, for more replicas before it sends): a failover then
 * promotes a replica that holds nothing. Seen as every session lost when a failover came within
 * seconds of the group's start.
 */
async function waitForSync(replica: RedisServer, admin: (n: RedisServer) => Promise<Redis>): Promise<void> {
  const c = await admin(replica);
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!/master_link_status:up/.test(await c.info('replication'))) {
      if (Date.now() > deadline) throw new Error(`replica ${replica.port} not synced within ${READY_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    c.disconnect();
  }
}
