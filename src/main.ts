/**
 * Entry point: reads the config, opens the database and Redis, builds the app and listens (HTTPS
 * unless PLAIN_HTTP is set), and drains gracefully on SIGTERM/SIGINT. With WORKERS above 1 this
 * process is a node:cluster primary instead (src/cluster/primary.ts), and each worker it forks
 * runs this file's service.
 */
// First: what begins before the modules load (node's compile cache, the JWT_SECRET thread).
import './core/early-start';
import cluster from 'node:cluster';
import type http from 'node:http';
import type https from 'node:https';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { createApp } from './app';
import { workerMetricsSource } from './cluster/cluster-metrics';
import { runPrimary } from './cluster/primary';
import { onShutdownRequest } from './cluster/shutdown-request';
import { type Config, ConfigError, loadConfig, loadConfigWeighingSecretInThread } from './core/config';
import { Lifecycle } from './core/lifecycle';
import { createLogger, type Logger, synchronousStdout } from './core/logger';
import { createServer } from './http/server';
import { Metrics } from './observability/metrics';
import type { Tracing } from './observability/tracing/start-tracing';
import { type Database, openDatabase } from './store/database';
import { migrate } from './store/migrate';
import { connectRedis, evictionPolicy } from './store/redis';

export interface Running {
  server: http.Server | https.Server;
  url: string;
  redis: Redis;
  db: Database;
  /**
   * Drains and stops: readiness 503 and `Connection: close` for SHUTDOWN_DRAIN_SECONDS, then no new
   * connections, idle ones closed, requests in flight awaited for at most SHUTDOWN_TIMEOUT_SECONDS,
   * then Redis and the database closed. Idempotent.
   */
  stop(): Promise<void>;
}

/** Redis eviction policies that may drop session keys (a revoked or live session could vanish). */
const EVICTING = /^(allkeys|volatile)-/;

/** The service's connections: the database (migrated), Redis, and the cache's Redis when separate. */
export interface Resources {
  db: Database;
  redis: Redis;
  cacheRedis: Redis | undefined;
  close(): Promise<void>;
}

/** Opens and migrates the database and connects Redis, as the config says. */
export async function openResources(config: Config, logger: Logger): Promise<Resources> {
  const db = await openDatabase(
    config.databaseUrl
      ? { url: config.databaseUrl, poolMax: config.databasePoolMax }
      : { dataDir: path.join(config.dataDir, 'pglite') },
  );
  const applied = await migrate(db);
  logger.info({ database: db.kind, migrationsApplied: applied }, 'database ready');
  const redis = await connectRedis(config.redis, logger);
  await warnOnEvictingRedis(redis, logger);
  // The cache on its own Redis (it may evict freely); else on the session Redis.
  const cacheRedis = config.redis.cacheUrl
    ? await connectRedis(
        // One node always: the cache's own Redis is never a Cluster or a Sentinel group; its user is its URL's.
        {
          ...config.redis,
          url: config.redis.cacheUrl,
          cluster: undefined,
          sentinel: undefined,
          username: undefined,
          password: config.redis.cachePassword,
        },
        logger,
        { commandTimeoutMs: config.redis.cacheTimeoutMs, connectionName: 'specgate-cache' },
      )
    : undefined;
  const close = async () => {
    await redis.quit().catch(() => redis.disconnect());
    await cacheRedis?.quit().catch(() => cacheRedis.disconnect());
    await db.close();
  };
  return { db, redis, cacheRedis, close };
}

/** What {@link start} takes besides the config and the logger. */
export interface StartOptions {
  /** What /metrics serves (a cluster worker's answers for every worker); a new registry of this process by default. */
  metrics?: Metrics;
  /**
   * The config check still running (loadConfigWeighingSecretInThread's JWT_SECRET): awaited before
   * listening, so a weak secret never serves; its ConfigError rejects the start.
   */
  secretWeighed?: Promise<void>;
  /** The process's tracing ({@link observed}), when the config turns it on: flushed last on stop. */
  tracing?: Tracing;
}

/** Starts the service with a validated config. */
export async function start(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  opts: StartOptions = {},
): Promise<Running> {
  const resources = await openResources(config, logger);
  const { db, redis, cacheRedis } = resources;
  const lifecycle = new Lifecycle();
  const app = await createApp({
    config,
    logger,
    redis,
    db,
    cacheRedis,
    lifecycle,
    metrics: opts.metrics,
    tracer: opts.tracing?.tracer,
  });
  await opts.secretWeighed;
  const server = createServer(config, app.listener, logger);
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
      const { shutdownDrainMs, shutdownTimeoutMs } = config.server;
      lifecycle.beginDrain();
      logger.info({ drainSeconds: shutdownDrainMs / 1000, timeoutSeconds: shutdownTimeoutMs / 1000 }, 'draining');
      await sleep(shutdownDrainMs);
      const unfinished = await closeServer(server, shutdownTimeoutMs);
      if (unfinished)
        logger.warn(
          { timeoutSeconds: shutdownTimeoutMs / 1000 },
          'requests still in flight at the shutdown timeout: their connections were closed',
        );
      app.keys.stop();
      await resources.close();
      // The spans of the last requests, drained above, are still queued for export.
      await opts.tracing?.shutdown().catch((err: Error) => logger.warn({ err: err.message }, 'tracing flush failed'));
      logger.info('specgate stopped');
    })());
  return { server, url, redis, db, stop };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stops accepting, closes idle connections and waits for the others to finish their requests
 * (each response closes its connection while draining). After `timeoutMs` the rest are closed.
 * Resolves true when it had to close connections with requests in flight.
 */
function closeServer(server: http.Server | https.Server, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve(true);
    }, timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve(false);
    });
    // A connection idle now would otherwise stay open until its keep-alive timeout.
    server.closeIdleConnections();
  });
}

async function warnOnEvictingRedis(redis: Redis, logger: Logger): Promise<void> {
  // CONFIG may be disabled (managed Redis, ACL): nothing to check then.
  const policy = await evictionPolicy(redis);
  if (policy !== undefined && EVICTING.test(policy)) {
    logger.warn(
      { policy },
      'the Redis that holds sessions may evict keys: use maxmemory-policy noeviction (a dedicated instance)',
    );
  }
}

/** Time beyond the drain and shutdown timeout for closing Redis and the database. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Drains and stops on the first SIGTERM/SIGINT and exits 0; a second one forces exit 1, as does a
 * stop that outlasts the drain, the shutdown timeout and a few seconds to close the stores.
 * Returns the same shutdown for a request that is not a signal (a cluster primary's); it is
 * idempotent, and only signals count towards the second one.
 */
export function stopOnSignals(
  running: Promise<Running>,
  config: Config,
  logger: Logger,
): (reason: NodeJS.Signals | 'primary') => void {
  const { shutdownDrainMs, shutdownTimeoutMs } = config.server;
  let signals = 0;
  let stopping = false;
  const shutdown = (reason: NodeJS.Signals | 'primary') => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason }, 'shutting down');
    const force = setTimeout(() => process.exit(1), shutdownDrainMs + shutdownTimeoutMs + CLOSE_GRACE_MS).unref();
    // A signal during start-up waits for the start to finish, then drains like any other.
    running
      .then((r) => r.stop())
      .then(
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
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return shutdown;
}

/** The config from the environment; on a ConfigError, prints every problem and exits 2. */
export function loadConfigOrExit(): Config {
  return orExit(loadConfig);
}

/** `load()`'s config; on an error, prints it (every problem of a ConfigError) and exits 2. */
function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    exitOnConfigError(err);
  }
}

function exitOnConfigError(err: unknown): never {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}

/**
 * Runs the service in this process until a signal drains it (exit 0) or the start fails (exit 1).
 * Returns the shutdown, for a cluster worker's primary to call.
 */
function serve(config: Config, logger: Logger, opts: StartOptions = {}): (reason: 'primary') => void {
  const running = start(config, logger, opts);
  // The handlers go in before the server listens: installed after "specgate listening", a SIGTERM
  // sent the moment that line appears could still meet node's default action (killed, no drain).
  const shutdown = stopOnSignals(running, config, logger);
  running.catch(async (err: unknown) => {
    // A weak JWT_SECRET, weighed while the service started, is refused as loadConfigOrExit refuses,
    // and before any other failure: it would have stopped the start before the database was tried.
    await opts.secretWeighed?.catch(exitOnConfigError);
    logger.fatal({ err: (err as Error).message }, 'specgate failed to start');
    process.exit(1);
  });
  return shutdown;
}

/**
 * A serving process's logger and, when the config turns tracing on, its tracing: the SDK is
 * required only then, and log lines then carry the trace of the request they were written in.
 */
export function observed(config: Config, workerId?: number): { logger: Logger; tracing?: Tracing } {
  if (!config.tracing) return { logger: createLogger(config.logLevel) };
  const { traceLogFields } =
    require('./observability/tracing/log-fields') as typeof import('./observability/tracing/log-fields');
  const { startTracing } =
    require('./observability/tracing/start-tracing') as typeof import('./observability/tracing/start-tracing');
  const logger = createLogger(config.logLevel, undefined, traceLogFields);
  return { logger, tracing: startTracing(config.tracing, { logger, workerId }) };
}

if (require.main === module) {
  const { config, secretWeighed } = orExit(() => loadConfigWeighingSecretInThread());
  // WORKERS=1 is one plain process, no cluster primary: run one per pod, the orchestrator restarts it
  // (README, Deploying on Kubernetes).
  if (config.workers === 1) {
    const { logger, tracing } = observed(config);
    serve(config, logger, { secretWeighed, tracing });
  } else if (cluster.isPrimary)
    secretWeighed.then(
      () => runPrimary(config, createLogger(config.logLevel, synchronousStdout()).child({ pid: process.pid })),
      exitOnConfigError,
    );
  else {
    // A worker: today's service, whose /metrics answers for all workers and which drains when the primary asks.
    const metrics = new Metrics({ aggregate: workerMetricsSource });
    const { logger, tracing } = observed(config, cluster.worker?.id);
    onShutdownRequest(serve(config, logger.child({ pid: process.pid }), { metrics, secretWeighed, tracing }));
  }
}
