/**
 * ioredis connections built from {@link Config}, and the one way Lua scripts are registered on them
 * ({@link withScripts}). The keys written through them are built in ./redis-keys.ts.
 */
import fs from 'node:fs';
import net from 'node:net';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisNode, RedisSentinelSettings } from '../core/config';
import type { Logger } from '../core/logger';
import { coalesceWrites } from './redis-write-coalescing';

/** A Lua script registered as an ioredis command (EVALSHA, EVAL on NOSCRIPT). */
export interface ScriptDefinition {
  lua: string;
  /**
   * Fixed per command, never passed on each call: the first argument is then always a key, the way a
   * Cluster connection routes a script.
   */
  numberOfKeys: number;
}

const registered = new WeakMap<Redis, Set<string>>();

/**
 * `redis` with the scripts `defs` registered as commands, once per connection however often it is
 * called; typed by the caller as `T` (the commands' signatures).
 */
export function withScripts<T extends object>(redis: Redis, defs: Record<string, ScriptDefinition>): Redis & T {
  let names = registered.get(redis);
  if (!names) registered.set(redis, (names = new Set()));
  for (const [name, def] of Object.entries(defs)) {
    if (names.has(name)) continue;
    redis.defineCommand(name, def);
    names.add(name);
  }
  return redis as Redis & T;
}

/** The replies of a pipeline's `exec()`, or the first command error among them thrown. */
export function pipelineReplies(replies: [Error | null, unknown][] | null): [Error | null, unknown][] {
  const failed = replies?.find(([err]) => err);
  if (failed) throw failed[0];
  return replies ?? [];
}

/** Where a Redis is and how to reach it (the session Redis, or the cache's own). */
export interface RedisTarget {
  /** One node; ignored when `cluster` or `sentinel` is set. */
  url: string | undefined;
  /** Seed nodes of a Redis Cluster. */
  cluster?: readonly RedisNode[] | undefined;
  /** Sentinels and the name of the primary they watch. */
  sentinel?: RedisSentinelSettings | undefined;
  /** ACL user; else the user of `url`, else `default`. */
  username?: string | undefined;
  password: string | undefined;
  useTls: boolean;
  tlsCaFile: string | undefined;
}

export interface RedisConnectOptions {
  /** Fail a command after this many ms so a hung Redis becomes a 503, not a hung request. */
  commandTimeoutMs?: number;
  /** Name shown by CLIENT LIST. */
  connectionName?: string;
}

/** Whether `redis` is an ioredis Cluster handed around under the `Redis` type. */
export function isCluster(redis: Redis): boolean {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/** A command name (a built-in or a script registered by {@link withScripts}) and its arguments. */
export type BatchCommand = [command: string, ...args: (string | number)[]];

/**
 * Sends `commands` in one round trip and resolves to their replies in order (the first command
 * error is thrown). On one node that is an explicit pipeline; a Cluster refuses a pipeline whose
 * keys live on different nodes, so there each command goes on its own, issued in the same tick:
 * the connection's coalesced writes (./redis-write-coalescing.ts) still send them in one write per node.
 */
export async function sendBatch(redis: Redis, commands: BatchCommand[]): Promise<unknown[]> {
  if (commands.length === 0) return [];
  if (!isCluster(redis)) return pipelineReplies(await redis.pipeline(commands).exec()).map(([, reply]) => reply);
  const r = redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
  return Promise.all(
    commands.map(([name, ...args]) => {
      const command = r[name];
      if (!command) throw new Error(`unknown Redis command: ${name}`);
      return command.apply(redis, args);
    }),
  );
}

/** Resolves when Redis answers a PING (readiness); rejects when it does not. */
export async function pingRedis(redis: Redis): Promise<void> {
  await redis.ping();
}

/**
 * The `maxmemory-policy` of the Redis `redis` talks to (a Cluster: of one of its nodes), or
 * undefined when CONFIG is refused (a managed Redis, an ACL user without it).
 */
export async function evictionPolicy(redis: Redis): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown;
    // RESP2 answers [name, value]; RESP3 a map.
    return Array.isArray(reply) ? String(reply[1]) : String(Object.values(reply as object)[0] ?? '');
  } catch {
    return undefined;
  }
}

/**
 * Opens a connection (one node, a Sentinel-found primary, or a Cluster) and resolves once it
 * answers. Commands issued while disconnected fail at once (no offline queue): auth must fail
 * closed quickly rather than queue behind an outage. A Cluster is returned under the `Redis` type:
 * every command specgate sends exists on both (multi-key ones keep to one slot, see redis-keys.ts).
 */
export async function connectRedis(
  config: RedisTarget,
  logger: Logger,
  opts: RedisConnectOptions = {},
): Promise<Redis> {
  const where = describe(config);
  const common = nodeOptions(config, opts);
  let client: Redis | Cluster;
  if (config.cluster) {
    client = new Cluster(
      config.cluster.map((n) => ({ host: n.host, port: n.port })),
      {
        // Each node connection gets the credentials, TLS and command timeout; the Cluster itself
        // owns queueing and reconnection (it overrides those node options with its own below).
        redisOptions: common,
        // Sessions and revocations are read where they are written: a replica may lag a logout.
        scaleReads: 'master',
        // Batching is the sockets' own (coalesceWrites below), not ioredis's auto-pipeline.
        enableAutoPipelining: false,
        enableOfflineQueue: false,
        lazyConnect: true,
        clusterRetryStrategy: backoff,
        // A frozen primary (SIGSTOP, a hung host) keeps its sockets open: commands to it only time out,
        // and nothing else makes ioredis ask for the slots again, so it would never follow the replica
        // that took over. Asking every second finds the new primary about a second after its promotion.
        slotsRefreshInterval: CLUSTER_SLOTS_REFRESH_MS,
      },
    );
  } else if (config.sentinel) {
    const s = config.sentinel;
    client = new Redis({
      ...common,
      sentinels: s.nodes.map((n) => ({ host: n.host, port: n.port })),
      name: s.masterName,
      // Never a replica: a read there could miss a logout the primary already acknowledged.
      role: 'master',
      sentinelPassword: s.password,
      sentinelTLS: common.tls,
      enableTLSForSentinelMode: common.tls !== undefined,
      sentinelRetryStrategy: backoff,
      // Follows a promotion as soon as the sentinels announce it (+switch-master), not on the next error.
      failoverDetector: true,
    });
  } else {
    if (!config.url) throw new Error('REDIS_URL is not set');
    const url = new URL(config.url);
    const host = hostOf(url);
    client = new Redis({
      ...common,
      host,
      port: url.port ? Number(url.port) : 6379,
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
      // SNI carries host names only (RFC 6066 §3); certificates for IPs are matched by the IP itself.
      tls: common.tls ? { ...common.tls, servername: net.isIP(host) ? undefined : host } : undefined,
    });
  }
  let lastLogged = '';
  const onError = (err: Error & { code?: string }) => {
    // ioredis repeats the same error on every reconnect attempt; log each distinct one once.
    const summary = `${err.code ?? err.name}: ${redactMessage(err.message, config)}`;
    if (summary !== lastLogged) logger.warn({ redis: where, err: summary }, 'redis connection error');
    lastLogged = summary;
  };
  if (config.cluster) client.on('+node', coalesceWrites);
  else coalesceWrites(client as Redis);
  client.on('error', onError);
  client.on('node error', onError);
  client.on('ready', () => {
    if (lastLogged) logger.info({ redis: where }, 'redis connection restored');
    lastLogged = '';
  });
  if (config.sentinel) reviveAfterUnexpectedEnd(client as Redis);
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new Error(`cannot connect to Redis at ${where}: ${redactMessage((err as Error).message, config)}`);
  }
  return client as Redis;
}

/**
 * ioredis gives a Sentinel connection up for good when `+switch-master` arrives while it is
 * reconnecting: the failover detector closes the connector in the middle of asking the sentinels,
 * the reconnect's connect() rejects, and the status becomes `end` with no retry scheduled, so every
 * command fails from then on (test/topology/failover-sentinel.test.ts: 503 for good after about one
 * primary kill in five). Connect again, with the usual backoff, unless the application closed it.
 */
function reviveAfterUnexpectedEnd(client: Redis): void {
  let closing = false;
  let attempts = 0;
  const { disconnect, quit } = client;
  client.disconnect = (reconnect?: boolean) => {
    closing ||= !reconnect;
    return disconnect.call(client, reconnect);
  };
  client.quit = ((...args: Parameters<Redis['quit']>) => {
    closing = true;
    return quit.apply(client, args);
  }) as Redis['quit'];
  client.on('ready', () => {
    attempts = 0;
  });
  client.on('end', () => {
    if (closing) return;
    setTimeout(() => {
      if (!closing && client.status === 'end') client.connect().catch(() => undefined);
    }, backoff(++attempts));
  });
}

/** The options of every node connection, whatever the topology: the fail-fast settings and credentials. */
function nodeOptions(config: RedisTarget, opts: RedisConnectOptions): RedisOptions {
  const url = !config.cluster && !config.sentinel && config.url ? new URL(config.url) : undefined;
  const useTls = config.useTls || url?.protocol === 'rediss:';
  return {
    username: config.username ?? (url?.username ? decodeURIComponent(url.username) : undefined),
    password: config.password,
    tls: useTls ? { ca: config.tlsCaFile ? fs.readFileSync(config.tlsCaFile) : undefined } : undefined,
    connectionName: opts.connectionName ?? 'specgate',
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    connectTimeout: 3000,
    // One write per event-loop turn comes from coalesceWrites (see redis-write-coalescing.ts for
    // why not ioredis's auto-pipeline).
    enableAutoPipelining: false,
    retryStrategy: backoff,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  };
}

/**
 * How long a disconnect waits for the socket to close before destroying it. ioredis arms this
 * timer on every disconnect and clears it on the socket's 'close', which never comes again for a
 * socket that had already closed (a Redis that went away): the process is then held for the whole
 * timeout (2 s by default; it held jest workers past their exit). A live Redis closes in far less.
 */
const DISCONNECT_TIMEOUT_MS = 200;

/** How often a Cluster connection asks for the slot map (one CLUSTER SLOTS to one node). */
const CLUSTER_SLOTS_REFRESH_MS = 1000;

const backoff = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000);

/** Where the connection goes, for logs: never a credential. */
function describe(config: RedisTarget): string {
  const list = (nodes: readonly RedisNode[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (config.cluster) return `cluster ${list(config.cluster)}`;
  if (config.sentinel) return `sentinel ${config.sentinel.masterName}@${list(config.sentinel.nodes)}`;
  if (!config.url) return 'nowhere';
  const url = new URL(config.url);
  return `${url.hostname}:${url.port || 6379}`;
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

function redactMessage(message: string, config: RedisTarget): string {
  let out = message;
  for (const secret of [config.password, config.sentinel?.password])
    if (secret) out = out.split(secret).join('[redacted]');
  return out;
}
