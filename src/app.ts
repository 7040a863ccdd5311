/**
 * createApp(deps): wires the pipeline from its dependencies. It never listens and never reads
 * process.env: main.ts and the tests hand it a config, Redis, a database and a logger.
 */

import type { RequestListener } from 'node:http';
import type { Tracer } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { CursorSeal } from './api/cursor';
import { boundHandlers, createHandlers } from './api/handlers';
import { AuthorizationCodes } from './auth/codes/authorization-codes';
import { ConsentStore } from './auth/consents';
import { DpopVerifier } from './auth/dpop/dpop-verifier';
import { jwksMaxAge } from './auth/keys/jwks';
import { type KeySource, openKeySource } from './auth/keys/key-source';
import { LoginThrottle } from './auth/login-throttle';
import { CsrfGuard } from './auth/pages/csrf';
import { RequestSeal } from './auth/pages/sealed-request';
import { SignInFlow } from './auth/pages/sign-in-flow';
import { SignInSessions } from './auth/pages/sign-in-sessions';
import { ARGON2_PARAMS, PasswordHasher } from './auth/passwords';
import { bearerScheme } from './auth/schemes/bearer';
import { clientBasicScheme } from './auth/schemes/client-basic';
import { dpopScheme } from './auth/schemes/dpop';
import { metricsTokenScheme } from './auth/schemes/metrics-token';
import { documentScopeWords } from './auth/scopes';
import { SessionStore } from './auth/sessions';
import { CLOCK_TOLERANCE_SECONDS, type Clock, systemClock, TokenService } from './auth/tokens';
import type { CacheStore } from './cache/cache-store';
import { HttpCache, type HttpCacheOptions } from './cache/http-cache';
import { RedisCacheStore } from './cache/redis-cache-store';
import type { Config } from './core/config';
import type { InSpan } from './core/in-span';
import { Lifecycle } from './core/lifecycle';
import type { Logger } from './core/logger';
import { loadRedocBundle, REDOC_BUNDLE_PATH } from './docs/redoc-bundle';
import { securityHeaders } from './http/security-headers';
import { Metrics } from './observability/metrics';
import type { Instrumented } from './observability/tracing/instrument';
import { loadDocument, type OpenApiDocument } from './pipeline/compile/document';
import { createPipeline, type Pipeline } from './pipeline/pipeline';
import { ClientsRepository } from './store/clients.repository';
import type { Database } from './store/database';
import { UsersRepository } from './store/users.repository';

export { REDOC_FOOTER_LOGO, REDOC_FOOTER_LOGO_LOCAL } from './docs/redoc-bundle';

export interface AppDeps {
  config: Config;
  logger: Logger;
  redis: Redis;
  db: Database;
  /** Defaults to openapi/openapi.yaml. */
  document?: OpenApiDocument;
  clock?: Clock;
  /** Check every response against the document; defaults to on outside production. */
  validateResponses?: boolean;
  /** Argon2 parameters (tests may lower the cost; production uses the OWASP minimum). */
  passwords?: PasswordHasher;
  /** The response cache's Redis (REDIS_CACHE_URL); defaults to `redis`. */
  cacheRedis?: Redis;
  /** Where the response cache keeps its entries; defaults to Redis: `cacheRedis`, else `redis`. */
  cache?: CacheStore;
  /** Test seams of the cache stage. */
  cacheHooks?: Pick<HttpCacheOptions, 'beforeFill' | 'lockWaitMs' | 'lockTtlMs'>;
  /** Serving state (draining on SIGTERM); main.ts passes the one it drains. Defaults to a new one. */
  lifecycle?: Lifecycle;
  /** The metrics /metrics serves; a cluster worker passes one that answers for all workers. Defaults to a new one. */
  metrics?: Metrics;
  /**
   * Traces every request, its Redis round trips, queries, argon2 verifications and cache fills
   * (src/observability/tracing/); absent: nothing is traced and no tracing code runs.
   */
  tracer?: Tracer;
}

export interface App {
  /** node:http listener: every request runs the pipeline once; a path outside the document is 404. */
  listener: RequestListener;
  /** The pipeline itself; `expressMiddleware(app.pipeline)` (specgate/embed) mounts it in express. */
  pipeline: Pipeline;
  passwords: PasswordHasher;
  tokens: TokenService;
  /** The signing keys and the key file they follow (src/auth/keys/). */
  keys: KeySource;
  lifecycle: Lifecycle;
  /** The authorization code store (tests mint codes with it). */
  codes: AuthorizationCodes;
}

export async function createApp(untraced: AppDeps): Promise<App> {
  const traced = instrumented(untraced);
  const deps = traced ? { ...untraced, db: traced.db } : untraced;
  const { config, logger } = deps;
  const document = deps.document ?? loadDocument();
  const services = createServices(deps, await openKeys(deps), traced?.inSpan);
  // On libuv's thread pool while the document's validators compile on this thread.
  const passwordsWarm = services.passwords.warmUp();
  const { metrics } = services;
  const handlers = createHandlers({
    ...services,
    db: deps.db,
    redis: deps.redis,
    document,
    logger,
    signingKeys: {
      ring: services.keys.ring,
      maxAgeSeconds: jwksMaxAge(config.jwt.signing.noticeSeconds, config.jwt.signing.pollMs),
    },
    publicUrl: config.publicUrl,
    signInFlow: signInFlow(config, deps, services, document),
    defaultClientId: 'specgate',
    passwordGrant: config.passwordGrant,
  });
  const cache = new HttpCache({
    store: deps.cache ?? new RedisCacheStore(deps.cacheRedis ?? deps.redis, config.redis.cacheTimeoutMs),
    logger,
    metrics,
    maxEntryBytes: config.redis.cacheMaxEntryBytes,
    inSpan: traced?.inSpan,
    ...deps.cacheHooks,
  });

  const pipeline = createPipeline({
    document,
    handlers: boundHandlers(handlers),
    securitySchemes: {
      oauth2: bearerScheme(services.tokens, services.sessions, {
        resourceMetadata: protectedResourceMetadataUrl(config),
      }),
      dpop: dpopScheme(services.tokens, services.sessions, services.dpop, {
        resourceMetadata: protectedResourceMetadataUrl(config),
      }),
      metricsToken: metricsTokenScheme(config.metricsToken),
      clientSecretBasic: clientBasicScheme(),
    },
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    validateResponses: deps.validateResponses ?? config.nodeEnv !== 'production',
    trustProxy: config.trustProxy,
    cache,
    cors: { origins: config.corsOrigins },
    problemTypeBase: config.problemTypeBase,
    // HSTS only where clients arrive over TLS: served with a certificate, or behind a TLS proxy.
    headers: securityHeaders({ tls: !config.plainHttp || config.tls !== undefined }),
    assets: {
      [REDOC_BUNDLE_PATH]: {
        load: loadRedocBundle,
        contentType: 'text/javascript',
        cacheControl: 'public, max-age=86400',
      },
    },
    lifecycle: services.lifecycle,
    onResponse: (operationId, method, status, seconds) => metrics.observe(operationId, method, status, seconds),
    onUnanswered: (operationId, outcome) => metrics.unanswered(operationId, outcome),
    tracing: traced?.requests,
  });

  await passwordsWarm;
  const { passwords, tokens, lifecycle, keys, codes } = services;
  return {
    listener: (req, res) => void pipeline.handle(req, res),
    pipeline,
    passwords,
    tokens,
    keys,
    lifecycle,
    codes,
  };
}

/** The app's parts with tracing added, when there is a tracer; the module is loaded only then. */
function instrumented(deps: AppDeps): Instrumented | undefined {
  if (!deps.tracer) return undefined;
  const { instrument } =
    require('./observability/tracing/instrument') as typeof import('./observability/tracing/instrument');
  return instrument(deps.tracer, {
    db: deps.db,
    databaseUrl: deps.config.databaseUrl,
    redis: deps.cacheRedis ? [deps.redis, deps.cacheRedis] : [deps.redis],
    trustProxy: deps.config.trustProxy,
  });
}

/** The authorization endpoint's pages (src/auth/pages/): their keys come from the JWT secret. */
function signInFlow(
  config: Config,
  deps: AppDeps,
  services: ReturnType<typeof createServices>,
  document: OpenApiDocument,
): SignInFlow {
  const secret = config.jwt.secret as Uint8Array;
  return new SignInFlow({
    ...services,
    logger: deps.logger,
    consents: new ConsentStore(deps.redis),
    signIns: new SignInSessions(services.sessions, config.signInSessionSeconds, services.clock),
    seal: new RequestSeal(secret, services.clock),
    csrf: new CsrfGuard(secret),
    publicUrl: config.publicUrl,
    scopeWords: documentScopeWords(document),
  });
}

/** The session store as the config sets it: the service's, and `npm run user:update`'s. */
export function createSessionStore(config: Config, redis: Redis, clock: Clock = systemClock): SessionStore {
  const { jwt } = config;
  return new SessionStore(
    redis,
    {
      idleSeconds: jwt.refreshIdleSeconds,
      absoluteSeconds: jwt.refreshMaxSeconds,
      reuseLeewaySeconds: jwt.refreshReuseLeewaySeconds,
      maxPerUser: config.maxSessionsPerUser,
    },
    clock,
  );
}

/** The signing keys as the config says: a key file (followed), a generated dev key, or HS256. */
function openKeys(deps: AppDeps): Promise<KeySource> {
  const { config, logger } = deps;
  const { jwt } = config;
  if (!jwt.secret) throw new Error('JWT secret missing: set JWT_SECRET');
  return openKeySource({
    signing: jwt.signing,
    secret: jwt.secret,
    dataDir: config.dataDir,
    lifetimeSeconds: jwt.accessTokenSeconds,
    toleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    production: config.nodeEnv === 'production',
    logger,
    clock: deps.clock ?? systemClock,
  });
}

/** The services handlers and security schemes share: tokens, sessions, the login throttle, metrics. */
function createServices(deps: AppDeps, keys: KeySource, inSpan: InSpan | undefined) {
  const { config, redis } = deps;
  const { jwt } = config;
  if (!jwt.secret) throw new Error('JWT secret missing: set JWT_SECRET');
  const clock = deps.clock ?? systemClock;
  const tokens = new TokenService(
    {
      secret: jwt.secret,
      issuer: jwt.issuer,
      audience: jwt.audience,
      lifetimeSeconds: jwt.accessTokenSeconds,
      clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
      keys: keys.ring,
    },
    clock,
  );
  const sessions = createSessionStore(config, redis, clock);
  return {
    clock,
    keys,
    tokens,
    cursors: new CursorSeal(jwt.secret),
    sessions,
    passwords: deps.passwords ?? new PasswordHasher(ARGON2_PARAMS, inSpan),
    throttle: new LoginThrottle(redis, config.loginLimits),
    metrics: deps.metrics ?? new Metrics(),
    lifecycle: deps.lifecycle ?? new Lifecycle(),
    users: new UsersRepository(deps.db),
    clients: new ClientsRepository(deps.db),
    codes: new AuthorizationCodes(redis, clock),
    dpop: new DpopVerifier(redis, { ...config.dpop, secret: jwt.secret, publicUrl: config.publicUrl }, clock),
  };
}

/** Where the protected resource's metadata is served (RFC 9728 §3.1), named in every challenge (§5.1). */
export function protectedResourceMetadataUrl(config: Pick<Config, 'publicUrl'>): string {
  return `${config.publicUrl}/.well-known/oauth-protected-resource`;
}
