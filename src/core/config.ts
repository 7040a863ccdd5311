/**
 * The only reader of `process.env`. Every variable is parsed and checked at once; all problems are
 * reported together so a broken deployment is fixed in one round, not one variable at a time.
 */
import path from 'node:path';
import { MIN_SECRET_BITS, SECRET_ADVICE, secretWeakness } from './secret-strength';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The validated, frozen configuration of one service instance. */
export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly host: string;
  readonly port: number;
  readonly redis: {
    /** Explicit REDIS_URL, or undefined (the dev runner then finds or starts a Redis). */
    readonly url: string | undefined;
    readonly password: string | undefined;
    readonly useTls: boolean;
    readonly tlsCaFile: string | undefined;
    /** A separate Redis for the response cache (so its evictions never touch sessions). */
    readonly cacheUrl: string | undefined;
    readonly cachePassword: string | undefined;
    /** A cache command slower than this is a BYPASS. */
    readonly cacheTimeoutMs: number;
  };
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly jwt: {
    /** The HS256 key; undefined only outside production (the dev runner then generates one). */
    readonly secret: Uint8Array | undefined;
    readonly issuer: string;
    readonly audience: string;
    readonly accessTokenSeconds: number;
    /** A session not refreshed for this long ends. */
    readonly refreshIdleSeconds: number;
    /** A session ends this long after login at the latest. */
    readonly refreshMaxSeconds: number;
    /** How long the refresh token just rotated may be presented again as a retry (0: never). */
    readonly refreshReuseLeewaySeconds: number;
  };
  /** Live sessions one user may hold; a new login ends the oldest beyond it (MAX_SESSIONS_PER_USER). */
  readonly maxSessionsPerUser: number;
  /** Brute-force limits of the token endpoint and password change (RFC 6749 §4.3.2); see LoginLimits. */
  readonly loginLimits: {
    readonly maxFailuresPerUserAndIp: number;
    readonly maxFailuresPerIp: number;
    readonly windowSeconds: number;
    readonly maxFailuresPerUser: number;
    readonly userWindowSeconds: number;
    readonly knownAddressSeconds: number;
  };
  readonly corsOrigins: readonly string[];
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Plain HTTP was asked for explicitly (TLS terminated by a proxy in front). */
  readonly plainHttp: boolean;
  /** express `trust proxy` hop count; never `true` (RFC 7239 spoofing: the client controls the leftmost hop). */
  readonly trustProxy: number;
  readonly logLevel: LogLevel;
  /** Static bearer token for GET /metrics (Prometheus); unset: only users:admin tokens. */
  readonly metricsToken: string | undefined;
  readonly bodyLimitBytes: number;
  /** Socket hygiene and the shutdown drain (src/http/server.ts, src/main.ts). */
  readonly server: ServerSettings;
}

/** How long the HTTP server holds connections open, how many it takes, and how it drains. */
export interface ServerSettings {
  /** An idle keep-alive connection closes after this (advertised in `Keep-Alive: timeout=`). */
  readonly keepAliveTimeoutMs: number;
  /** A connection must deliver a whole request head within this, counted from when it opened (or its TLS handshake ended). */
  readonly headersTimeoutMs: number;
  /** A request (head and body) must arrive within this (a TLS handshake is bounded by the headers timeout). */
  readonly requestTimeoutMs: number;
  /** Concurrent sockets; more are closed as they arrive. */
  readonly maxConnections: number;
  /** After SIGTERM: serve this long with readiness 503 and `Connection: close`. */
  readonly shutdownDrainMs: number;
  /** Then wait at most this long for requests in flight before closing their sockets. */
  readonly shutdownTimeoutMs: number;
}

/** Thrown when the environment is invalid; lists every problem found. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** The levels LOG_LEVEL may name (pino's). */
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** RFC 7518 §3.2: an HS256 key must be at least 256 bits. */
export const MIN_SECRET_BYTES = 32;

type Env = Record<string, string | undefined>;

/**
 * Parses and validates `env` (defaults to `process.env`). Throws {@link ConfigError} naming every
 * invalid variable. Secret values never appear in the messages.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string): boolean => {
    const raw = str(name)?.toLowerCase();
    if (raw === undefined) return false;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return false;
  };

  const nodeEnvRaw = str('NODE_ENV') ?? 'development';
  let nodeEnv: NodeEnv = 'development';
  if (nodeEnvRaw === 'development' || nodeEnvRaw === 'production' || nodeEnvRaw === 'test') nodeEnv = nodeEnvRaw;
  else problems.push(`NODE_ENV must be development, production or test (got "${nodeEnvRaw}")`);
  const production = nodeEnv === 'production';

  const redisUrl = str('REDIS_URL');
  if (redisUrl !== undefined) {
    try {
      const u = new URL(redisUrl);
      if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') problems.push('REDIS_URL must start with redis:// or rediss://');
      if (u.password) problems.push('REDIS_URL must not carry a password: set REDIS_PASSWORD');
    } catch {
      problems.push('REDIS_URL is not a valid URL');
    }
  }
  const tlsCaFile = str('REDIS_TLS_CA_FILE');
  const redisCacheUrl = str('REDIS_CACHE_URL');
  if (redisCacheUrl !== undefined && !/^rediss?:\/\/[^@]+$/.test(redisCacheUrl)) problems.push('REDIS_CACHE_URL must be redis:// or rediss:// without a password (set REDIS_CACHE_PASSWORD)');

  const databaseUrl = str('DATABASE_URL');
  if (databaseUrl !== undefined) {
    try {
      const u = new URL(databaseUrl);
      if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') problems.push('DATABASE_URL must start with postgres:// or postgresql://');
    } catch {
      problems.push('DATABASE_URL is not a valid URL');
    }
  }

  const secretRaw = env.JWT_SECRET;
  let secret: Uint8Array | undefined;
  if (secretRaw !== undefined && secretRaw !== '') {
    secret = new TextEncoder().encode(secretRaw);
    if (secret.byteLength < MIN_SECRET_BYTES) {
      problems.push(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes of random data (RFC 7518 §3.2); ${SECRET_ADVICE}`);
    } else if (new Set(secretRaw).size < 8) {
      problems.push(`JWT_SECRET looks like a placeholder, not random data; ${SECRET_ADVICE}`);
    } else if (production) {
      // Production also weighs the randomness: 32 bytes of words or repeats are not a 256-bit key.
      const weakness = secretWeakness('JWT_SECRET', secretRaw);
      if (weakness) problems.push(weakness);
    }
  } else if (production) {
    problems.push(`JWT_SECRET is required in production (at least ${MIN_SECRET_BITS} bits of randomness); ${SECRET_ADVICE}`);
  }

  const certFile = str('TLS_CERT_FILE');
  const keyFile = str('TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  const plainHttp = bool('PLAIN_HTTP');
  if (plainHttp && certFile !== undefined) problems.push('PLAIN_HTTP=true and TLS_CERT_FILE are mutually exclusive');
  if (production && !plainHttp && certFile === undefined) {
    problems.push('production serves HTTPS: set TLS_CERT_FILE and TLS_KEY_FILE, or PLAIN_HTTP=true behind a TLS-terminating proxy');
  }

  if (env.METRICS_TOKEN && env.METRICS_TOKEN.length < 32) problems.push('METRICS_TOKEN must be at least 32 characters of random data');
  const logLevelRaw = (str('LOG_LEVEL') ?? 'info').toLowerCase();
  const logLevel = (LOG_LEVELS as readonly string[]).includes(logLevelRaw) ? (logLevelRaw as LogLevel) : 'info';
  if (logLevel !== logLevelRaw) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const corsOrigins = (str('CORS_ORIGINS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin === '*') continue;
    try {
      const u = new URL(origin);
      if (u.origin !== origin) problems.push(`CORS_ORIGINS entry "${origin}" must be a bare origin like https://app.example.com`);
    } catch {
      problems.push(`CORS_ORIGINS entry "${origin}" is not an origin`);
    }
  }

  const loginLimits = {
    maxFailuresPerUserAndIp: int('LOGIN_MAX_FAILURES_PER_USER_IP', 10, 1, 1000),
    maxFailuresPerIp: int('LOGIN_MAX_FAILURES_PER_IP', 50, 1, 100000),
    windowSeconds: int('LOGIN_FAILURE_WINDOW_MINUTES', 15, 1, 24 * 60) * 60,
    maxFailuresPerUser: int('LOGIN_MAX_FAILURES_PER_USER', 100, 1, 100000),
    userWindowSeconds: int('LOGIN_USER_WINDOW_MINUTES', 60, 1, 24 * 60) * 60,
    knownAddressSeconds: int('LOGIN_KNOWN_ADDRESS_DAYS', 30, 0, 365) * 86400,
  };
  // The pair limit is the tight one: were it above either other limit it would never trip first.
  if (loginLimits.maxFailuresPerUserAndIp > loginLimits.maxFailuresPerIp || loginLimits.maxFailuresPerUserAndIp > loginLimits.maxFailuresPerUser) {
    problems.push('LOGIN_MAX_FAILURES_PER_USER_IP must not exceed LOGIN_MAX_FAILURES_PER_IP or LOGIN_MAX_FAILURES_PER_USER');
  }
  const server: ServerSettings = {
    keepAliveTimeoutMs: int('KEEP_ALIVE_TIMEOUT_SECONDS', 5, 1, 600) * 1000,
    headersTimeoutMs: int('HEADERS_TIMEOUT_SECONDS', 10, 1, 300) * 1000,
    requestTimeoutMs: int('REQUEST_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
    maxConnections: int('MAX_CONNECTIONS', 1000, 1, 1_000_000),
    shutdownDrainMs: int('SHUTDOWN_DRAIN_SECONDS', 5, 0, 600) * 1000,
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_SECONDS', 10, 1, 3600) * 1000,
  };
  // node:http refuses a headers timeout longer than the request timeout (the head is part of the request).
  if (server.headersTimeoutMs > server.requestTimeoutMs) problems.push('HEADERS_TIMEOUT_SECONDS must not exceed REQUEST_TIMEOUT_SECONDS');

  const config: Config = {
    nodeEnv,
    host: str('HOST') ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port: int('PORT', 8443, 0, 65535),
    redis: {
      url: redisUrl,
      password: env.REDIS_PASSWORD || undefined,
      useTls: bool('REDIS_USE_TLS'),
      tlsCaFile,
      cacheUrl: redisCacheUrl,
      cachePassword: env.REDIS_CACHE_PASSWORD || env.REDIS_PASSWORD || undefined,
      cacheTimeoutMs: int('CACHE_TIMEOUT_MS', 50, 1, 10_000),
    },
    databaseUrl,
    dataDir: path.resolve(str('DATA_DIR') ?? '.data'),
    jwt: {
      secret,
      issuer: str('JWT_ISSUER') ?? 'specgate',
      audience: str('JWT_AUDIENCE') ?? 'specgate-api',
      accessTokenSeconds: int('TOKEN_EXPIRE_MINUTES', 15, 1, 24 * 60) * 60,
      refreshIdleSeconds: int('REFRESH_TOKEN_IDLE_MINUTES', 7 * 24 * 60, 5, 365 * 24 * 60) * 60,
      refreshMaxSeconds: int('REFRESH_TOKEN_MAX_DAYS', 30, 1, 365) * 86400,
      refreshReuseLeewaySeconds: int('REFRESH_REUSE_LEEWAY_SECONDS', 30, 0, 300),
    },
    maxSessionsPerUser: int('MAX_SESSIONS_PER_USER', 50, 1, 10_000),
    loginLimits,
    corsOrigins,
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
    plainHttp,
    trustProxy: int('TRUST_PROXY', 0, 0, 32),
    logLevel,
    metricsToken: env.METRICS_TOKEN || undefined,
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    server,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
