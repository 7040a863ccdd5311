/**
 * createApp(deps): wires the pipeline from its dependencies. It never listens and never reads
 * process.env: main.ts and the tests hand it a config, Redis, a database and a logger.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import path from 'node:path';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import { createHandlers } from './api/handlers';
import { CacheBackend } from './cache/cache-backend';
import { HttpCache, type HttpCacheOptions } from './cache/http-cache';
import { LoginThrottle } from './auth/login-throttle';
import { PasswordHasher } from './auth/passwords';
import { bearerScheme } from './auth/security';
import { SessionStore } from './auth/sessions';
import { TokenService, systemClock, type Clock } from './auth/tokens';
import type { Config } from './core/config';
import { Lifecycle } from './core/lifecycle';
import { ApiError, renderError } from './core/errors';
import type { Logger } from './core/logger';
import { Metrics, metricsTokenScheme } from './observability/metrics';
import { loadDocument, type OpenApiDocument } from './pipeline/compile/document';
import { createPipeline, type Pipeline, type RawMiddleware, type RawHandler } from './pipeline/pipeline';
import type { Database } from './store/database';
import { UsersRepository } from './store/users.repository';

export interface AppDeps {
  config: Config;
  logger: Logger;
  redis: Redis;
  db: Database;
  /** Defaults to openapi/openapi.yaml. */
  document?: OpenApiDocument;
  clock?: Clock;
  /** Check every handler result against the document; defaults to on outside production. */
  validateResponses?: boolean;
  /** Argon2 parameters (tests may lower the cost; production uses the OWASP minimum). */
  passwords?: PasswordHasher;
  /** The response cache's Redis (REDIS_CACHE_URL); defaults to `redis`. */
  cacheRedis?: Redis;
  /** Test seams of the cache stage. */
  cacheHooks?: Pick<HttpCacheOptions, 'beforeFill' | 'lockWaitMs' | 'lockTtlMs'>;
  /** Serving state (draining on SIGTERM); main.ts passes the one it drains. Defaults to a new one. */
  lifecycle?: Lifecycle;
}

export interface App {
  /** express, with the pipeline as its first middleware: mount point for extra express routes. */
  express: Express;
  /** The pipeline alone. */
  pipeline: Pipeline;
  /** node:http listener: the spec's operations skip express entirely; anything else goes to express. */
  listener: RequestListener;
  passwords: PasswordHasher;
  tokens: TokenService;
  lifecycle: Lifecycle;
}

/** The Redoc bundle shipped in the redoc package, served locally (no CDN). */
const REDOC_BUNDLE = path.join(path.dirname(require.resolve('redoc/package.json')), 'bundles', 'redoc.standalone.js');
/** Redoc 2's sidebar footer draws its logo from a CDN; no option turns it off. */
export const REDOC_FOOTER_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
/** An empty SVG in its place, so the docs page asks nothing of another host. */
export const REDOC_FOOTER_LOGO_LOCAL = 'data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%20width%3D%221%22%20height%3D%221%22%2F%3E';

/** The bundle as served: read once, on first use, with the CDN logo replaced. */
let redocBundle: { body: Buffer; etag: string } | undefined;
function servedRedocBundle(): { body: Buffer; etag: string } {
  if (!redocBundle) {
    const body = Buffer.from(fs.readFileSync(REDOC_BUNDLE, 'utf8').split(REDOC_FOOTER_LOGO).join(REDOC_FOOTER_LOGO_LOCAL));
    redocBundle = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
  }
  return redocBundle;
}

/** The headers a connect-style middleware sets when it runs on a request with no particulars. */
function headersOf(middleware: RawMiddleware): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number | string[]) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  middleware({ headers: {}, method: 'GET', url: '/' } as never, res as never, () => undefined);
  return headers;
}

export async function createApp(deps: AppDeps): Promise<App> {
  const { config, logger, redis, db } = deps;
  if (!config.jwt.secret) throw new Error('JWT secret missing: set JWT_SECRET');
  const document = deps.document ?? loadDocument();
  const passwords = deps.passwords ?? new PasswordHasher();
  const tokens = new TokenService(
    { secret: config.jwt.secret, issuer: config.jwt.issuer, audience: config.jwt.audience, lifetimeSeconds: config.jwt.accessTokenSeconds },
    deps.clock ?? systemClock,
  );
  const clock = deps.clock ?? systemClock;
  const sessions = new SessionStore(
    redis,
    {
      idleSeconds: config.jwt.refreshIdleSeconds,
      absoluteSeconds: config.jwt.refreshMaxSeconds,
      reuseLeewaySeconds: config.jwt.refreshReuseLeewaySeconds,
      maxPerUser: config.maxSessionsPerUser,
    },
    clock,
  );
  const throttle = new LoginThrottle(redis, config.loginLimits);
  const metrics = new Metrics();
  const lifecycle = deps.lifecycle ?? new Lifecycle();
  const handlers = createHandlers({ lifecycle, metrics, db, redis, users: new UsersRepository(db), passwords, tokens, sessions, throttle, clock, document, logger, defaultClientId: 'specgate' });

  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        // Redoc renders with inline styles and runs its search index in a blob: worker.
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'worker-src': ["'self'", 'blob:'],
        'img-src': ["'self'", 'data:'],
      },
    },
    strictTransportSecurity: config.plainHttp && !config.tls ? false : { maxAge: 31536000, includeSubDomains: true },
  });
  const middlewares: RawMiddleware[] = [];
  if (config.corsOrigins.length > 0) {
    middlewares.push(
      cors({
        origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
        exposedHeaders: ['X-Request-Id', 'WWW-Authenticate', 'Retry-After', 'RateLimit-Policy', 'RateLimit', 'Location', 'ETag'],
        maxAge: 600,
      }) as unknown as RawMiddleware,
    );
  }

  const cache = new HttpCache({
    backend: new CacheBackend(deps.cacheRedis ?? redis, config.redis.cacheTimeoutMs),
    logger,
    metrics,
    ...deps.cacheHooks,
  });

  const pipeline = await createPipeline({
    document,
    handlers: handlers as unknown as Record<string, RawHandler>,
    securitySchemes: { oauth2: bearerScheme(tokens, sessions), metricsToken: metricsTokenScheme(config.metricsToken) },
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    validateResponses: deps.validateResponses ?? config.nodeEnv !== 'production',
    trustProxy: config.trustProxy,
    middlewares,
    // helmet's headers do not vary per request: computed once, written with every response.
    staticHeaders: headersOf(securityHeaders as unknown as RawMiddleware),
    cache,
    onResponse: (operationId, method, status, seconds) => metrics.observe(operationId, method, status, seconds),
    onUnanswered: (operationId, outcome) => metrics.unanswered(operationId, outcome),
    lifecycle,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(pipeline.middleware);
  app.use(securityHeaders);
  app.get('/docs/redoc.standalone.js', (req, res) => {
    const { body, etag } = servedRedocBundle();
    res.set({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400', etag });
    if (req.headers['if-none-match'] === etag) return void res.status(304).end();
    res.send(body);
  });
  app.use((req, _res, next) => next(new ApiError('not_found', { detail: `No operation at ${req.path}.` })));
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const requestId = String(res.getHeader('x-request-id') ?? req.headers['x-request-id'] ?? '');
    if (!(err instanceof ApiError)) logger.error({ err, requestId }, 'express route failed');
    const rendered = renderError(err, { format: 'problem', instance: req.path, requestId });
    if (res.headersSent) return void res.destroy();
    res.status(rendered.status).set(rendered.headers).send(rendered.body);
  });

  const listener: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    void pipeline.handle(req, res, () => app(req as express.Request, res as express.Response));
  };

  await passwords.warmUp();
  return { express: app, pipeline, listener, passwords, tokens, lifecycle };
}
