/**
 * A real Redis Cluster for tests: 3 primaries and 3 replicas, each a `redis-server` started by
 * {@link startRedis} (free port, temp dir, watchdog, shutdown), joined with
 * `redis-cli --cluster create --cluster-replicas 1`. Always `stop()` it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { type RedisServer, startRedis } from './redis-server';

const run = promisify(execFile);

export interface RedisCluster {
  /** Every node, in the order they were created (redis-cli makes the first three primaries). */
  nodes: RedisServer[];
  /** The `default` user's password on every node. */
  password: string;
  /** `host:port,...` of every node: a value for REDIS_CLUSTER_NODES. */
  seeds: string;
  /** An admin connection to `node` (the `default` user); the caller disconnects it. */
  admin(node: RedisServer): Promise<Redis>;
  /** The nodes that are primaries now (a failover changes which). */
  primaries(): Promise<RedisServer[]>;
  /** SIGKILLs a primary (the first one now); its replica takes over after the node timeout. */
  killPrimary(): Promise<RedisServer>;
  /** SIGSTOPs a primary (a hung node that keeps its sockets open); `resume()` sends SIGCONT. */
  freezePrimary(): Promise<{ node: RedisServer; resume(): void }>;
  stop(): Promise<void>;
}

/** Short enough that a failover test finishes in seconds; the default is 15 s. */
const NODE_TIMEOUT_MS = 2000;
const READY_TIMEOUT_MS = 20_000;

export async function startRedisCluster(opts: { password?: string } = {}): Promise<RedisCluster> {
  const password = opts.password ?? 'cluster-test-password';
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-node-timeout',
    String(NODE_TIMEOUT_MS),
    '--masterauth',
    password,
    // A replica fails over however long its link was down: the tests decide when a node dies.
    '--cluster-replica-validity-factor',
    '0',
  ];
  const nodes: RedisServer[] = [];
  // Port → pid of each frozen node: a frozen node answers nothing, so it is never asked its role.
  const frozen = new Map<number, number>();
  const stop = async () => {
    for (const pid of frozen.values()) signal(pid, 'SIGCONT');
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < 6; i++) nodes.push(await startRedis({ password, args }));
    const addresses = nodes.map((n) => `${n.host}:${n.port}`);
    // The password reaches redis-cli through its environment, never its command line.
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'], {
      env: { ...process.env, REDISCLI_AUTH: password },
    });
    const admin = (node: RedisServer) => adminConnection(node, password);
    await waitForClusterOk(nodes, admin);
    const primaries = async () => {
      const roles = await Promise.all(
        nodes.map(async (n) => {
          if (frozen.has(n.port)) return 'frozen';
          const c = await admin(n).catch(() => undefined);
          if (!c) return 'down';
          try {
            return String(((await c.call('ROLE')) as unknown[])[0]);
          } finally {
            c.disconnect();
          }
        }),
      );
      return nodes.filter((_, i) => roles[i] === 'master');
    };
    return {
      nodes,
      password,
      seeds: addresses.join(','),
      admin,
      primaries,
      async killPrimary() {
        const [node] = await primaries();
        await node!.kill();
        return node!;
      },
      async freezePrimary() {
        const [node] = await primaries();
        const pid = await processId(admin, node!);
        signal(pid, 'SIGSTOP');
        frozen.set(node!.port, pid);
        return {
          node: node!,
          resume: () => {
            frozen.delete(node!.port);
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

/**
 * Polls every node until each says cluster_state:ok and knows all six nodes, and three replicas
 * have their link to their primary up (a failover test needs a replica that has synced).
 */
async function waitForClusterOk(nodes: RedisServer[], admin: (n: RedisServer) => Promise<Redis>): Promise<void> {
  const clients = await Promise.all(nodes.map(admin));
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
      const replication = await Promise.all(clients.map((c) => c.info('replication')));
      const synced = replication.filter((i) => /role:slave/.test(i) && /master_link_status:up/.test(i));
      if (infos.every((i) => /cluster_state:ok/.test(i) && /cluster_known_nodes:6\b/.test(i)) && synced.length === 3)
        return;
      if (Date.now() > deadline) throw new Error(`cluster not ok within ${READY_TIMEOUT_MS} ms:\n${infos.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
}

/** A node's process id, from INFO server (the harness does not hold the child of a restarted node). */
/** A connection to one node as its `default` user, with no reconnects; the caller disconnects it. */
export async function adminConnection(node: RedisServer, password: string | undefined): Promise<Redis> {
  const client = new Redis({
    host: node.host,
    port: node.port,
    password,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export async function processId(admin: (n: RedisServer) => Promise<Redis>, node: RedisServer): Promise<number> {
  const c = await admin(node);
  try {
    return Number(/process_id:(\d+)/.exec(await c.info('server'))?.[1]);
  } finally {
    c.disconnect();
  }
}

/** Signals a process that may be gone already. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone: nothing to stop or resume.
  }
}
