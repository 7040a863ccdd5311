/**
 * Starts the real app for integration tests: a Redis database of its own on the jest worker's
 * shared redis-server (./shared-redis.ts) unless given one (a server of the test's own, a Cluster
 * or a Sentinel group: ./redis-topology.ts), a migrated PGlite database opened from the snapshot
 * (./pglite-snapshot.ts) unless given one, and the app listening on a free port over plain HTTP,
 * mounted either straight on node:http (as main.ts does) or inside a user's express application.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Tracer } from '@opentelemetry/api';
import express from 'express';
import type { Redis } from 'ioredis';
import { type App, type AppDeps, createApp } from '../../src/app';
import { PasswordHasher } from '../../src/auth/passwords';
import { type Config, loadConfig } from '../../src/core/config';
import { expressMiddleware } from '../../src/embed';
import { createServer } from '../../src/http/server';
import { internalSpans } from '../../src/observability/tracing/internal-span';
import { traceLogFields } from '../../src/observability/tracing/log-fields';
import type { OpenApiDocument } from '../../src/pipeline/compile/document';
import type { Database } from '../../src/store/database';
import { connectRedis } from '../../src/store/redis';
import { UsersRepository } from '../../src/store/users.repository';
import { capturingLogger } from './logs';
import { openTestPglite } from './pglite-snapshot';
import type { RedisServer } from './redis-server';
import { isTopologyServer, keysAcrossCluster } from './redis-topology';
import { sharedRedis } from './shared-redis';

/** Cheaper argon2id for tests that create many users; the production cost is tested separately. */
export const fastPasswords = (tracer?: Tracer) =>
  new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }, tracer && internalSpans(tracer));

/** A fresh 384-bit key per test process, as `openssl rand -base64 48` makes (production refuses weak keys). */
export const TEST_SECRET = randomBytes(48).toString('base64');

export interface TestAppOptions {
  mount?: 'node' | 'express';
  /** With the express mount: the path the host mounts specgate at (`host.use('/api', ...)`); `url` ends with it. */
  mountPath?: string;
  /** With the express mount: a cookie (`name=value`) the host sets with res.cookie before specgate answers. */
  hostCookie?: string;
  env?: Record<string, string>;
  document?: OpenApiDocument;
  /** Reuse a database (e.g. one opened per file) instead of opening a new in-memory PGlite. */
  db?: Database;
  /** A Redis of the test's own (one it kills, a Cluster...); default: a database on the worker's server. */
  redisServer?: RedisServer;
  /** The app's clock (seconds since the epoch), for lifetimes; Redis keeps real time. */
  clock?: () => number;
  /** A separate Redis for the response cache (REDIS_CACHE_URL). */
  cacheRedisServer?: RedisServer;
  cacheHooks?: AppDeps['cacheHooks'];
  /** The password hasher (default: {@link fastPasswords}); a test may wrap it to count verifications or pause a login. */
  passwords?: PasswordHasher;
  /**
   * Serve at PUBLIC_URL = http://127.0.0.1:<a free port>: for clients that check the issuer
   * against the URL they discovered it at (openid-client, RFC 8414 §3.3).
   */
  publicUrlIsOrigin?: boolean;
  /**
   * Trace the app with this tracer (an in-memory exporter's): its requests, Redis round trips,
   * queries, argon2 verifications (with the default hasher) and log lines.
   */
  tracer?: Tracer;
}

export interface TestApp {
  /** Where specgate answers: the server's origin, plus the mount path when mounted under one. */
  url: string;
  /** The server's origin (`http://127.0.0.1:port`). */
  origin: string;
  app: App;
  config: Config;
  /** The listening server, with the config's connection limits applied as main.ts applies them. */
  server: http.Server;
  db: Database;
  redis: Redis;
  redisServer: RedisServer;
  /** Every log line written while the app ran. */
  logs: string[];
  createUser(username: string, password: string, scopes: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * An application of a user's own that embeds specgate: a route before it, specgate mounted with
 * `app.use(expressMiddleware(app.pipeline))` (at `mountPath` when given), and the application's own
 * fallback for every other path; with `hostCookie`, a middleware of its own that sets that cookie.
 */
function embeddingApp(app: App, mountPath = '/', hostCookie?: string): express.Express {
  const host = express();
  host.get('/hello', (_req, res) => void res.type('text/plain').send('hello from the host'));
  if (hostCookie) {
    const [name = '', value = ''] = hostCookie.split('=');
    host.use((_req, res, next) => {
      res.cookie(name, value);
      next();
    });
  }
  host.use(mountPath, expressMiddleware(app.pipeline));
  host.use((_req, res) => void res.status(404).type('text/plain').send('not a route of the host'));
  return host;
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const redisServer = opts.redisServer ?? (await sharedRedis());
  const port = opts.publicUrlIsOrigin ? await freePort() : 0;
  const config = loadConfig({
    NODE_ENV: 'test',
    ...(isTopologyServer(redisServer)
      ? redisServer.env
      : { REDIS_URL: redisServer.url, REDIS_PASSWORD: redisServer.password }),
    JWT_SECRET: TEST_SECRET,
    PLAIN_HTTP: 'true',
    LOG_LEVEL: 'debug',
    // Tests assert HIT/MISS: a loaded CI machine must not turn a slow lookup into a BYPASS.
    // (test/cache/faults.test.ts sets its own short timeout to test exactly that.)
    CACHE_TIMEOUT_MS: '2000',
    ...(port ? { PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
    ...opts.env,
  });
  const logs: string[] = [];
  const logger = capturingLogger(config.logLevel, logs, opts.tracer ? traceLogFields : undefined);
  const db = opts.db ?? (await openTestPglite());
  const redis = await connectRedis(config.redis, logger);
  keysAcrossCluster(redis);
  const passwords = opts.passwords ?? fastPasswords(opts.tracer);
  const cacheRedis = opts.cacheRedisServer
    ? await connectRedis(
        {
          url: opts.cacheRedisServer.url,
          password: opts.cacheRedisServer.password,
          useTls: false,
          tlsCaFile: undefined,
        },
        logger,
        { commandTimeoutMs: config.redis.cacheTimeoutMs },
      )
    : undefined;
  const app = await createApp({
    config,
    logger,
    redis,
    db,
    passwords,
    document: opts.document,
    validateResponses: true,
    clock: opts.clock,
    cacheRedis,
    cacheHooks: opts.cacheHooks,
    tracer: opts.tracer,
  });
  const server = createServer(
    config,
    opts.mount === 'express' ? embeddingApp(app, opts.mountPath, opts.hostCookie) : app.listener,
    logger,
  ) as http.Server;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const users = new UsersRepository(db);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: opts.mount === 'express' && opts.mountPath ? origin + opts.mountPath : origin,
    origin,
    app,
    config,
    server,
    db,
    redis,
    redisServer,
    logs,
    async createUser(username, password, scopes) {
      const user = await users.create({ username, passwordHash: await passwords.hash(password), scopes });
      return user.id;
    },
    async stop() {
      app.keys.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
      cacheRedis?.disconnect();
      if (!opts.db) await db.close();
      if (!opts.redisServer) await redisServer.stop();
    },
  };
}

/** A TCP port nothing listens on now (the kernel's pick, released at once). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
