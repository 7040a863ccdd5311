/**
 * One server of bench:http / bench:login in a process of its own (started by servers.ts, which
 * documents the environment). `node … server.ts floor|service`:
 *   floor    bare node:http answering every request with one ioredis GET of BENCH_FLOOR_KEY;
 *   service  the real app (createApp), mounted on node:http as main.ts does: NODE_ENV from the
 *            parent, validateResponses off, log silent, production argon2id cost, in-memory PGlite
 *            with one user and BENCH_ITEMS items, the cache on a connection of its own
 *            (BENCH_NO_STORE=1: entries are never stored, see no-store-cache-redis.ts).
 * IPC with the parent: sends {port, itemIds} once listening; answers 'stats' with the responses
 * written so far, by X-Cache. Exits on SIGTERM or when the parent goes away (process.exit, so that
 * `--cpu-prof` writes its profile).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app';
import { PasswordHasher } from '../src/auth/passwords';
import { loadConfig } from '../src/core/config';
import { createLogger } from '../src/core/logger';
import { openDatabase } from '../src/store/database';
import { ItemsRepository } from '../src/store/items.repository';
import { migrate } from '../src/store/migrate';
import { connectRedis } from '../src/store/redis';
import { UsersRepository } from '../src/store/users.repository';
import { withoutCacheStores } from './no-store-cache-redis';

const env = process.env;
const logger = createLogger('silent');
const config = loadConfig({
  NODE_ENV: env.NODE_ENV ?? 'production',
  PLAIN_HTTP: 'true',
  REDIS_URL: env.BENCH_REDIS_URL,
  REDIS_PASSWORD: env.BENCH_REDIS_AUTH,
  JWT_SECRET: env.BENCH_JWT_KEY,
  LOG_LEVEL: 'silent',
  ...(JSON.parse(env.BENCH_CONFIG ?? '{}') as Record<string, string>),
});

async function floor(): Promise<{ listener: http.RequestListener; close: () => Promise<void> }> {
  const redis = await connectRedis(config.redis, logger); // the service's client settings
  const key = env.BENCH_FLOOR_KEY ?? 'bench:floor';
  const listener: http.RequestListener = (_req, res) => {
    redis.get(key).then(
      (value) => {
        res.writeHead(value === null ? 404 : 200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(value ?? ''),
        });
        res.end(value ?? '');
      },
      () => res.writeHead(503, { 'content-length': 0 }).end(),
    );
  };
  return { listener, close: async () => redis.disconnect() };
}

async function service(): Promise<{ listener: http.RequestListener; close: () => Promise<void>; itemIds: string[] }> {
  const db = await openDatabase({});
  await migrate(db);
  const passwords = new PasswordHasher();
  const user = {
    username: env.BENCH_USERNAME ?? 'bench',
    passwordHash: await passwords.hash(env.BENCH_PASSWORD ?? 'bench'),
    scopes: ['items:read'],
  };
  await new UsersRepository(db).create(user);
  const items = new ItemsRepository(db);
  const itemIds: string[] = [];
  for (let i = 0; i < Number(env.BENCH_ITEMS ?? 100); i++) {
    const item = await items.create({
      name: `Espresso cup ${String(i).padStart(4, '0')}`,
      description: 'Porcelain, 90 ml, dishwasher safe; a thick wall keeps the coffee warm.',
      category: ['kitchen', 'garden', 'office', 'tools'][i % 4]!,
      priceCents: 1250 + i,
      tags: ['porcelain', 'coffee'],
    });
    itemIds.push(item.id);
  }
  const redis = await connectRedis(config.redis, logger);
  const cacheConnection = await connectRedis(config.redis, logger, {
    commandTimeoutMs: config.redis.cacheTimeoutMs,
    connectionName: 'specgate-cache',
  });
  const cacheRedis = env.BENCH_NO_STORE === '1' ? withoutCacheStores(cacheConnection) : cacheConnection;
  const app = await createApp({ config, logger, redis, db, passwords, cacheRedis, validateResponses: false });
  const close = async () => {
    redis.disconnect();
    cacheConnection.disconnect();
    await db.close();
  };
  return { listener: app.listener, close, itemIds };
}

/** The X-Cache of a response as writeHead is called with it (an object or a flat [name, value] list). */
function xCacheOf(res: http.ServerResponse, headers: unknown): string {
  let v: unknown = res.getHeader('x-cache');
  if (Array.isArray(headers)) {
    const i = headers.findIndex((h, k) => k % 2 === 0 && String(h).toLowerCase() === 'x-cache');
    if (i >= 0) v = headers[i + 1];
  } else if (headers && typeof headers === 'object') v = (headers as Record<string, unknown>)['x-cache'] ?? v;
  return typeof v === 'string' ? v : '-';
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== 'floor' && mode !== 'service') throw new Error(`usage: server.ts floor|service (got ${mode})`);
  const s = mode === 'floor' ? { ...(await floor()), itemIds: [] } : await service();
  const byXCache: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: http.ServerResponse, ...args: unknown[]) {
      const key = xCacheOf(this, args[args.length - 1]);
      byXCache[key] = (byXCache[key] ?? 0) + 1;
      return (writeHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    s.listener(req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 3_000).unref();
    server.closeAllConnections();
    server.close();
    void s.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop).on('SIGINT', stop).on('disconnect', stop);
  process.on('message', (m) => m === 'stats' && process.send!({ ...byXCache }));
  process.send!({ port: (server.address() as AddressInfo).port, itemIds: s.itemIds });
}

main().catch((err) => {
  process.stderr.write(`bench server failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
