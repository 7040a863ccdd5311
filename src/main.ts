/**
 * Entry point: reads the config, opens the database and Redis, builds the app and listens (HTTPS
 * unless PLAIN_HTTP is set), and shuts down gracefully on SIGTERM/SIGINT.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { createApp } from './app';
import { ConfigError, loadConfig, type Config } from './core/config';
import { createLogger, type Logger } from './core/logger';
import { connectRedis } from './redis-client';
import { openDatabase, type Database } from './store/database';
import { migrate } from './store/migrate';

export interface Running {
  server: http.Server | https.Server;
  url: string;
  redis: Redis;
  db: Database;
  stop(): Promise<void>;
}

/** Redis eviction policies that may drop session keys (a revoked or live session could vanish). */
const EVICTING = /^(allkeys|volatile)-/;

/** Starts the service with a validated config. */
export async function start(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Running> {
  const db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: path.join(config.dataDir, 'pglite') });
  const applied = await migrate(db);
  logger.info({ database: db.kind, migrationsApplied: applied }, 'database ready');
  const redis = await connectRedis(config.redis, logger);
  await warnOnEvictingRedis(redis, logger);
  // The cache on its own Redis (it may evict freely); else on the session Redis.
  const cacheRedis = config.redis.cacheUrl
    ? await connectRedis({ ...config.redis, url: config.redis.cacheUrl, password: config.redis.cachePassword }, logger, { commandTimeoutMs: config.redis.cacheTimeoutMs, connectionName: 'specgate-cache' })
    : undefined;

  const app = await createApp({ config, logger, redis, db, cacheRedis });
  const server = config.tls
    ? https.createServer({ cert: fs.readFileSync(config.tls.certFile), key: fs.readFileSync(config.tls.keyFile) }, app.listener)
    : http.createServer(app.listener);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `${config.tls ? 'https' : 'http'}://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  logger.info({ url, docs: `${url}/docs` }, 'specgate listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await redis.quit().catch(() => redis.disconnect());
      await cacheRedis?.quit().catch(() => cacheRedis.disconnect());
      await db.close();
      logger.info('specgate stopped');
    })());
  return { server, url, redis, db, stop };
}

async function warnOnEvictingRedis(redis: Redis, logger: Logger): Promise<void> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown;
    const policy = Array.isArray(reply) ? String(reply[1]) : String(Object.values(reply as object)[0] ?? '');
    if (EVICTING.test(policy)) {
      logger.warn({ policy }, 'the Redis that holds sessions may evict keys: use maxmemory-policy noeviction (a dedicated instance)');
    }
  } catch {
    // CONFIG may be disabled (managed Redis, ACL): nothing to check then.
  }
}

/** Stops on the first SIGTERM/SIGINT; a second one forces exit. */
export function stopOnSignals(running: Running, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    running.stop().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** The config from the environment; on a ConfigError, prints every problem and exits 2. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(2);
  }
}

if (require.main === module) {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  start(config, logger).then(
    (running) => stopOnSignals(running, logger),
    (err) => {
      logger.fatal({ err: (err as Error).message }, 'specgate failed to start');
      process.exit(1);
    },
  );
}
