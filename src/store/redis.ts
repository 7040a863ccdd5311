/**
 * ioredis connections built from {@link Config}, and the one way Lua scripts are registered on them
 * ({@link withScripts}). The keys written through them are built in ./redis-keys.ts.
 */
import fs from 'node:fs';
import net from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../core/logger';

/** A Lua script registered as an ioredis command (EVALSHA, EVAL on NOSCRIPT). */
export interface ScriptDefinition {
  lua: string;
  /** Omitted: the caller passes the key count first on every call. */
  numberOfKeys?: number;
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
  url: string | undefined;
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

/**
 * Opens a connection and resolves once it answers. Commands issued while disconnected fail at once
 * (no offline queue): auth must fail closed quickly rather than queue behind an outage.
 */
export async function connectRedis(
  config: RedisTarget,
  logger: Logger,
  opts: RedisConnectOptions = {},
): Promise<Redis> {
  if (!config.url) throw new Error('REDIS_URL is not set');
  const url = new URL(config.url);
  const useTls = config.useTls || url.protocol === 'rediss:';
  const options: RedisOptions = {
    host: hostOf(url),
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: config.password,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    // SNI carries host names only (RFC 6066 §3); certificates for IPs are matched by the IP itself.
    tls: useTls
      ? {
          ca: config.tlsCaFile ? fs.readFileSync(config.tlsCaFile) : undefined,
          servername: net.isIP(hostOf(url)) ? undefined : hostOf(url),
        }
      : undefined,
    connectionName: opts.connectionName ?? 'specgate',
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    connectTimeout: 3000,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  };
  const client = new Redis(options);
  let lastLogged = '';
  client.on('error', (err: Error & { code?: string }) => {
    // ioredis repeats the same error on every reconnect attempt; log each distinct one once.
    const summary = `${err.code ?? err.name}: ${redactMessage(err.message, config.password)}`;
    if (summary !== lastLogged)
      logger.warn({ redis: `${url.hostname}:${options.port}`, err: summary }, 'redis connection error');
    lastLogged = summary;
  });
  client.on('ready', () => {
    if (lastLogged) logger.info({ redis: `${url.hostname}:${options.port}` }, 'redis connection restored');
    lastLogged = '';
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new Error(
      `cannot connect to Redis at ${url.hostname}:${options.port}: ${redactMessage((err as Error).message, config.password)}`,
    );
  }
  return client;
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

function redactMessage(message: string, password: string | undefined): string {
  return password ? message.split(password).join('[redacted]') : message;
}
