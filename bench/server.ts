/**
 * One server of bench:http / bench:login in a process of its own (started by servers.ts, which
 * documents the environment). `node … server.ts floor|service`:
 *   floor    bare node:http answering every request with one ioredis GET of BENCH_FLOOR_KEY;
 *   service  the real app (createApp), mounted on node:http as main.ts does: NODE_ENV from the
 *            parent, validateResponses off, log silent, production argon2id cost; traced (the
 *            OpenTelemetry SDK started as main.ts starts it) when OTEL_* variables turn it on. The cache shares
 *            the session connection, as `npm start` does without REDIS_CACHE_URL (the session check
 *            and the entry then go out in one write), unless BENCH_CACHE_CONNECTION=separate gives
 *            it a connection of its own. BENCH_NO_STORE=1: entries are never stored (the cache store
 *            of no-store-cache.ts), so every read misses. Database: PostgreSQL at BENCH_PG_URL in schema
 *            BENCH_PG_SCHEMA (as each connection's search_path) when set (bench-postgres.ts),
 *            else in-memory PGlite; either way
 *            migrated at start-up, then, once listening, one user and BENCH_ITEMS items, and with
 *            BENCH_SESSIONS=n, n more users logged in once each (sessions-seed.ts), whose access
 *            tokens go back to the parent.
 * Start-up is timed in phases as main.ts goes through them; IPC and stats: child.ts.
 */
import type http from 'node:http';
import { createApp } from '../src/app';
import { PasswordHasher } from '../src/auth/passwords';
import { RedisCacheStore } from '../src/cache/redis-cache-store';
import { loadConfigWeighingSecretInThread } from '../src/core/config';
import { createLogger } from '../src/core/logger';
import type { Tracing } from '../src/observability/tracing/start-tracing';
import { type Database, openDatabase } from '../src/store/database';
import { ItemsRepository } from '../src/store/items.repository';
import { migrate } from '../src/store/migrate';
import { connectRedis } from '../src/store/redis';
import { UsersRepository } from '../src/store/users.repository';
import { type ChildApp, exitOnError, type Seeded, serveChild, timed } from './child';
import { NoStoreCache } from './no-store-cache';
import { benchConfigEnv } from './service-env';
import { openBenchSessions } from './sessions-seed';

const env = process.env;
const logger = createLogger('silent');
// As main.ts loads it: a production JWT_SECRET is weighed in a worker thread, so zxcvbn's dictionaries
// never enter this process's heap (what the GC table measures); awaited before listening.
const { config, secretWeighed } = loadConfigWeighingSecretInThread({
  ...benchConfigEnv(env),
  NODE_ENV: env.NODE_ENV ?? 'production',
  ...(JSON.parse(env.BENCH_CONFIG ?? '{}') as Record<string, string>),
});

async function floor(phases: Record<string, number>): Promise<ChildApp> {
  const redis = await timed(phases, 'redis', () => connectRedis(config.redis, logger)); // the service's client settings
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
  return { listener, close: async () => redis.disconnect(), phases };
}

/**
 * The process's tracing, as main.ts's observed() starts it: only when the config turns it on (a
 * traced scenario's OTEL_* variables), and only then is the SDK required. (main.ts also gives the
 * logger trace fields then; this one is silent, so they would never be written.)
 */
function startTracingIfOn(): Tracing | undefined {
  if (!config.tracing) return undefined;
  const { startTracing } =
    require('../src/observability/tracing/start-tracing') as typeof import('../src/observability/tracing/start-tracing');
  return startTracing(config.tracing, { logger });
}

async function service(phases: Record<string, number>): Promise<ChildApp> {
  const tracing = startTracingIfOn();
  const db = await timed(phases, 'database', async () => {
    const opened = await openDatabase(env.BENCH_PG_URL ? { url: benchDatabaseUrl(env.BENCH_PG_URL) } : {});
    if (env.BENCH_PG_SCHEMA) await opened.query(`CREATE SCHEMA IF NOT EXISTS "${env.BENCH_PG_SCHEMA}"`);
    await migrate(opened);
    return opened;
  });
  const { redis, cacheRedis } = await timed(phases, 'redis', async () => ({
    redis: await connectRedis(config.redis, logger),
    cacheRedis:
      env.BENCH_CACHE_CONNECTION === 'separate'
        ? await connectRedis(config.redis, logger, {
            commandTimeoutMs: config.redis.cacheTimeoutMs,
            connectionName: 'specgate-cache',
          })
        : undefined,
  }));
  const cache =
    env.BENCH_NO_STORE === '1'
      ? new NoStoreCache(new RedisCacheStore(cacheRedis ?? redis, config.redis.cacheTimeoutMs))
      : undefined;
  const passwords = new PasswordHasher();
  const app = await timed(phases, 'createApp', () =>
    createApp({
      config,
      logger,
      redis,
      db,
      passwords,
      cacheRedis,
      cache,
      validateResponses: false,
      tracer: tracing?.tracer,
    }),
  );
  const close = async () => {
    redis.disconnect();
    cacheRedis?.disconnect();
    await db.close();
    await tracing?.shutdown(); // last, as main.ts: the spans of the last requests are still queued
  };
  const seedAll = async (): Promise<Seeded> => {
    const itemIds = await seed(db, passwords);
    const sessions = Number(env.BENCH_SESSIONS ?? 0);
    if (!(sessions > 0)) return { itemIds };
    const { tokens, codes } = app;
    return {
      itemIds,
      tokens: await openBenchSessions({ config, logger, redis, db, passwords, tokens, codes }, sessions),
    };
  };
  return { listener: app.listener, close, phases, seed: seedAll };
}

/**
 * BENCH_PG_URL with the server's schema as the search_path of every connection, a startup setting:
 * the bench talks to PostgreSQL directly, so each statement is one round trip, as in production
 * (openDatabase's `schema` option wraps each statement in a transaction, so that it holds behind
 * PgBouncer, and the miss scenario would then measure three round trips per statement).
 */
function benchDatabaseUrl(url: string): string {
  if (!env.BENCH_PG_SCHEMA) return url;
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${env.BENCH_PG_SCHEMA}`);
  return withSchema.toString();
}

/** The bench user (BENCH_USER_SCOPES, default items:read) and BENCH_ITEMS items; resolves to the items' ids. */
async function seed(db: Database, passwords: PasswordHasher): Promise<string[]> {
  const user = {
    username: env.BENCH_USERNAME ?? 'bench',
    passwordHash: await passwords.hash(env.BENCH_PASSWORD ?? 'bench'),
    scopes: (env.BENCH_USER_SCOPES ?? 'items:read').split(' '),
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
  return itemIds;
}

async function main(): Promise<void> {
  // Since the process started: node itself, tsx and loading every module above.
  const phases: Record<string, number> = { modules: performance.now() };
  const mode = process.argv[2];
  if (mode !== 'floor' && mode !== 'service') throw new Error(`usage: server.ts floor|service (got ${mode})`);
  const app = mode === 'floor' ? await floor(phases) : await service(phases);
  await secretWeighed; // weighed meanwhile, as main.ts does: never served before
  await serveChild(app);
}

main().catch(exitOnError('bench server'));
