/**
 * One specgate instance for scripts/bench-http.ts, run as its own process: the real app from
 * createApp, mounted on node:http as main.ts does, with production-like settings (NODE_ENV as given
 * by the parent, response validation off, log level silent, the production argon2id cost), an
 * in-memory PGlite database and the bench's private redis-server.
 *
 * Environment:
 *   BENCH_REDIS_URL, BENCH_REDIS_AUTH   the bench's private redis-server
 *   BENCH_JWT_KEY                        HS256 key (same rules as JWT_SECRET)
 *   BENCH_USERNAME, BENCH_PASSWORD          the user created for the password-grant login (items:read)
 *   BENCH_ITEMS                             how many items to create (default 100)
 *   BENCH_CACHE_MODE                        `store` (the real cache) or `no-store` (entries are never
 *                                           stored, see no-store-cache-redis.ts: every read misses)
 * Prints `BENCH_READY {"port","pid","itemIds","cacheMode"}` when listening (child-protocol.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app';
import { PasswordHasher } from '../../src/auth/passwords';
import { loadConfig } from '../../src/core/config';
import { createLogger } from '../../src/core/logger';
import { connectRedis } from '../../src/store/redis';
import { openDatabase } from '../../src/store/database';
import { ItemsRepository } from '../../src/store/items.repository';
import { migrate } from '../../src/store/migrate';
import { UsersRepository } from '../../src/store/users.repository';
import { announce, countResponses, serveParent } from './child-protocol';
import { withoutCacheStores } from './no-store-cache-redis';

const CATEGORIES = ['kitchen', 'garden', 'office', 'tools'];

async function main(): Promise<void> {
  const env = process.env;
  const mode = env.BENCH_CACHE_MODE === 'no-store' ? 'no-store' : 'store';
  const itemCount = Number(env.BENCH_ITEMS ?? 100);
  const config = loadConfig({
    NODE_ENV: env.NODE_ENV ?? 'production',
    PLAIN_HTTP: 'true',
    REDIS_URL: env.BENCH_REDIS_URL,
    REDIS_PASSWORD: env.BENCH_REDIS_AUTH,
    JWT_SECRET: env.BENCH_JWT_KEY,
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger('silent');

  const db = await openDatabase({});
  await migrate(db);
  const passwords = new PasswordHasher(); // production cost: only the login pays it
  await new UsersRepository(db).create({
    username: env.BENCH_USERNAME ?? 'bench',
    passwordHash: await passwords.hash(env.BENCH_PASSWORD ?? 'bench-password'),
    scopes: ['items:read'],
  });
  const items = new ItemsRepository(db);
  const itemIds: string[] = [];
  for (let i = 0; i < itemCount; i++) {
    const item = await items.create({
      name: `Espresso cup ${String(i).padStart(4, '0')}`,
      description: 'Porcelain, 90 ml, dishwasher safe; a thick wall keeps the coffee warm.',
      category: CATEGORIES[i % CATEGORIES.length]!,
      priceCents: 1250 + i,
      tags: ['porcelain', 'coffee'],
    });
    itemIds.push(item.id);
  }

  const redis = await connectRedis(config.redis, logger);
  // The cache on a connection of its own, as main.ts does with REDIS_CACHE_URL.
  const cacheConnection = await connectRedis(config.redis, logger, { commandTimeoutMs: config.redis.cacheTimeoutMs, connectionName: 'specgate-cache' });
  const cacheRedis = mode === 'no-store' ? withoutCacheStores(cacheConnection).client : cacheConnection;

  const app = await createApp({ config, logger, redis, db, passwords, cacheRedis, validateResponses: false });
  const counted = countResponses(app.listener);
  const server = http.createServer(counted.listener);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  serveParent(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    redis.disconnect();
    cacheConnection.disconnect();
    await db.close();
  }, () => counted.stats);
  announce({ port: (server.address() as AddressInfo).port, pid: process.pid, cacheMode: mode, nodeEnv: config.nodeEnv, itemIds });
}

main().catch((err) => {
  process.stderr.write(`service server failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
