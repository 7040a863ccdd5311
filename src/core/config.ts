/**
 * The only reader of `process.env`. Every variable is parsed and checked at once; all problems are
 * reported together so a broken deployment is fixed in one round, not one variable at a time.
 */
import os from 'node:os';
import path from 'node:path';
import { ServiceError } from './errors';
import { DEFAULT_PROBLEM_TYPE_BASE, problemTypeBaseProblem } from './problems';
import { localPublicUrl, parsePublicUrl } from './public-url';
import { MIN_SECRET_BITS, SECRET_ADVICE, secretWeakness } from './secret-strength';
import { releaseSecretThread, weighSecretInThread } from './secret-strength-thread';
import { readTracing, type TracingConfig } from './tracing-config';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The validated, frozen configuration of one service instance. */
export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly host: string;
  readonly port: number;
  readonly redis: {
    /** Explicit REDIS_URL (one node), or undefined (a Cluster, a Sentinel group, or the dev runner's Redis). */
    readonly url: string | undefined;
    /** REDIS_CLUSTER_NODES: seed nodes of a Redis Cluster (the rest are discovered). */
    readonly cluster: readonly RedisNode[] | undefined;
    /** REDIS_SENTINELS and REDIS_SENTINEL_MASTER: the primary is asked of these sentinels. */
    readonly sentinel: RedisSentinelSettings | undefined;
    /** ACL user (REDIS_USERNAME, or the user of REDIS_URL); undefined: the `default` user. */
    readonly username: string | undefined;
    readonly password: string | undefined;
    readonly useTls: boolean;
    readonly tlsCaFile: string | undefined;
    /** A separate Redis for the response cache (so its evictions never touch sessions). */
    readonly cacheUrl: string | undefined;
    readonly cachePassword: string | undefined;
    /** A cache command slower than this is a BYPASS. */
    readonly cacheTimeoutMs: number;
    /** A response body larger than this is served but not stored (CACHE_MAX_ENTRY_BYTES). */
    readonly cacheMaxEntryBytes: number;
  };
  readonly databaseUrl: string | undefined;
  /** Most connections the service opens to DATABASE_URL (per process); with PgBouncer, to PgBouncer. */
  readonly databasePoolMax: number;
  readonly dataDir: string;
  /** How long a browser stays signed in at /authorize after entering a password (SIGN_IN_SESSION_HOURS, 1–720). */
  readonly signInSessionSeconds: number;
  /** OpenTelemetry tracing (OTEL_* variables, src/core/tracing-config.ts); undefined: off, no SDK loaded. */
  readonly tracing: TracingConfig | undefined;
  /** Where clients reach the service (PUBLIC_URL), no trailing slash: the OAuth issuer identifier. */
  readonly publicUrl: string;
  readonly jwt: {
    /** The HS256 key; undefined only outside production (the dev runner then generates one). */
    readonly secret: Uint8Array | undefined;
    /** Tokens' `iss`: always {@link Config.publicUrl} (RFC 8414 §2, RFC 9068 §2.2). */
    readonly issuer: string;
    readonly audience: string;
    readonly accessTokenSeconds: number;
    /** A session not refreshed for this long ends. */
    readonly refreshIdleSeconds: number;
    /** A session ends this long after login at the latest. */
    readonly refreshMaxSeconds: number;
    /** How long the refresh token just rotated may be presented again as a retry (0: never). */
    readonly refreshReuseLeewaySeconds: number;
    /** Signing keys and their rotation (src/auth/keys/). */
    readonly signing: SigningSettings;
  };
  /** Live sessions one user may hold; a new login ends the oldest beyond it (MAX_SESSIONS_PER_USER). */
  readonly maxSessionsPerUser: number;
  /** Whether /token serves the password grant (PASSWORD_GRANT=enabled|disabled; RFC 9700 §2.4). */
  readonly passwordGrant: boolean;
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
  /** Prefix of problem `type` URIs, `<base><code>` (PROBLEM_TYPE_BASE; default `/docs#section/Errors/`). */
  readonly problemTypeBase: string;
  /** Serving processes (WORKERS): 1 is one plain process; above 1, a node:cluster primary forks that many. */
  readonly workers: number;
  /** DPoP proofs (RFC 9449): see src/auth/dpop/. */
  readonly dpop: {
    /** How old a proof's `iat` may be (DPOP_PROOF_MAX_AGE_SECONDS); also how long its `jti` is remembered. */
    readonly proofMaxAgeSeconds: number;
    /** Whether every proof must carry a server nonce (DPOP_NONCE=required|off, RFC 9449 §8). */
    readonly nonceRequired: boolean;
  };
}

/** The algorithms access tokens may be signed with; HS256 signs with JWT_SECRET. */
export const SIGNING_ALGS = ['ES256', 'RS256', 'EdDSA', 'HS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** Where the signing keys come from and how their rotation is paced. */
export interface SigningSettings {
  /** JWT_SIGNING_KEYS_FILE: a JWK Set of private keys; undefined: generated (dev) or HS256. */
  readonly keysFile: string | undefined;
  /** JWT_SIGNING_ALG: the algorithm of a generated key, or HS256 (sign with JWT_SECRET). */
  readonly alg: SigningAlg;
  /** JWT_KEY_NOTICE_SECONDS: a new key is published this long before it signs. */
  readonly noticeSeconds: number;
  /** JWT_KEYS_POLL_MS: how often the key file's mtime is checked for a rotation step. */
  readonly pollMs: number;
}

/** One `host:port` of a Redis Cluster seed or a sentinel. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Where the sentinels are and which primary (by its sentinel name) to ask them for. */
export interface RedisSentinelSettings {
  readonly nodes: readonly RedisNode[];
  readonly masterName: string;
  /** REDIS_SENTINEL_PASSWORD: the sentinels' own password (`requirepass` of sentinel.conf), if any. */
  readonly password: string | undefined;
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
  /**
   * Concurrent sockets from one client address (an IPv6 client by its /64); more from that address
   * are closed as they arrive. Equal to maxConnections when the share is off.
   */
  readonly maxConnectionsPerAddress: number;
  /** A connection whose response makes no write progress for this long is closed. */
  readonly sendTimeoutMs: number;
  /** After SIGTERM: serve this long with readiness 503 and `Connection: close`. */
  readonly shutdownDrainMs: number;
  /** Then wait at most this long for requests in flight before closing their sockets. */
  readonly shutdownTimeoutMs: number;
}

/** Thrown when the environment is invalid; lists every problem found. */
export class ConfigError extends ServiceError {
  static override readonly code = 'config_invalid';
  readonly code = 'config_invalid';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** The levels LOG_LEVEL may name (pino's). */
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** RFC 7518 §3.2: an HS256 key must be at least 256 bits. */
export const MIN_SECRET_BYTES = 32;
const REDIS_PROTOCOLS = ['redis:', 'rediss:'];
const POSTGRES_PROTOCOLS = ['postgres:', 'postgresql:'];

type Env = Record<string, string | undefined>;

/**
 * Reads one environment. Every value is trimmed, and a blank one counts as unset (compose passes
 * empty strings from .env; a secret pasted from a file brings its newline). Problems are collected,
 * not thrown, so that {@link loadConfig} can report them all at once.
 */
class EnvReader {
  readonly problems: string[] = [];
  /** With `weighSecretLater`: the JWT_SECRET whose randomness is still to be weighed. */
  secretToWeigh: string | undefined;

  /** `weighSecretLater`: leave the zxcvbn reading of JWT_SECRET to the caller (see {@link loadConfigWeighingSecretInThread}). */
  constructor(
    private readonly env: Env,
    readonly weighSecretLater = false,
  ) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  str(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      this.problem(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  }

  bool(name: string): boolean {
    const raw = this.str(name)?.toLowerCase();
    if (raw === undefined) return false;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problem(`${name} must be true or false (got "${raw}")`);
    return false;
  }

  /**
   * A URL with one of `protocols` (`'redis:'`). `passwordVariable`: where its password goes instead,
   * so that the URL, which is logged and shown in process lists, must not carry one.
   */
  url(name: string, protocols: readonly string[], passwordVariable?: string): string | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      this.problem(`${name} is not a valid URL`);
      return raw;
    }
    if (!protocols.includes(url.protocol))
      this.problem(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    if (passwordVariable !== undefined && url.password)
      this.problem(`${name} must not carry a password: set ${passwordVariable}`);
    return raw;
  }
}

/**
 * Parses and validates `env` (defaults to `process.env`). Throws {@link ConfigError} naming every
 * invalid variable. Secret values never appear in the messages.
 */
export function loadConfig(env: Env = process.env): Config {
  return readConfig(new EnvReader(env));
}

/**
 * {@link loadConfig} for the service's start-up: the same checks, except that production weighs
 * JWT_SECRET's randomness (zxcvbn, a few hundred ms of CPU) in a worker thread while start-up goes
 * on. Any other problem throws here, as loadConfig throws it, with the secret weighed here too so
 * that every problem is reported at once. `secretWeighed` rejects with a ConfigError when the secret
 * is too weak; its caller must await it before serving.
 */
export function loadConfigWeighingSecretInThread(env: Env = process.env): {
  config: Config;
  secretWeighed: Promise<void>;
} {
  const r = new EnvReader(env, true);
  let config: Config;
  try {
    config = readConfig(r);
  } catch (err) {
    // All problems in one round: the secret's too, if it has one.
    if (err instanceof ConfigError) loadConfig(env);
    throw err;
  }
  const secret = r.secretToWeigh;
  if (secret === undefined) releaseSecretThread();
  const secretWeighed =
    secret === undefined
      ? Promise.resolve()
      : weighSecretInThread('JWT_SECRET', secret).then((problem) => {
          if (problem) throw new ConfigError([problem]);
        });
  // Awaited before listening, maybe after it settled: not an unhandled rejection meanwhile.
  secretWeighed.catch(() => undefined);
  return { config, secretWeighed };
}

function readConfig(r: EnvReader): Config {
  const nodeEnv = readNodeEnv(r);
  const production = nodeEnv === 'production';
  const databaseUrl = r.url('DATABASE_URL', POSTGRES_PROTOCOLS);
  const trustProxy = r.int('TRUST_PROXY', 0, 0, 32);
  const transport = readTransport(r, production);
  const port = r.int('PORT', 8443, 0, 65535);
  const publicUrl = readPublicUrl(r, production, port, transport.plainHttp);
  const config: Config = {
    nodeEnv,
    host: r.str('HOST') ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port,
    publicUrl,
    redis: readRedis(r, production),
    databaseUrl,
    // The default is openDatabase's own (DEFAULT_POOL_MAX in store/database.ts), kept equal by a test.
    databasePoolMax: r.int('DATABASE_POOL_MAX', 5, 1, 1000),
    dataDir: path.resolve(r.str('DATA_DIR') ?? '.data'),
    jwt: readJwt(r, nodeEnv, publicUrl),
    maxSessionsPerUser: r.int('MAX_SESSIONS_PER_USER', 50, 1, 10_000),
    loginLimits: readLoginLimits(r),
    passwordGrant: readPasswordGrant(r),
    corsOrigins: readCorsOrigins(r),
    ...transport,
    trustProxy,
    logLevel: readLogLevel(r),
    metricsToken: readMetricsToken(r),
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    server: readServerSettings(r, trustProxy),
    problemTypeBase: readProblemTypeBase(r),
    workers: readWorkers(r, databaseUrl),
    dpop: readDpop(r),
    signInSessionSeconds: r.int('SIGN_IN_SESSION_HOURS', 12, 1, 720) * 3600,
    tracing: readTracing(r),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

function readProblemTypeBase(r: EnvReader): string {
  const base = r.str('PROBLEM_TYPE_BASE') ?? DEFAULT_PROBLEM_TYPE_BASE;
  const problem = problemTypeBaseProblem(base);
  if (problem) r.problem(`PROBLEM_TYPE_BASE ${problem} (got "${base}")`);
  return base;
}

/** Highest WORKERS: beyond this the processes compete for the cores rather than use them. */
export const MAX_WORKERS = 64;

/** WORKERS: `auto` (one per core), or 1..64; several need PostgreSQL. */
function readWorkers(r: EnvReader, databaseUrl: string | undefined): number {
  const raw = r.str('WORKERS')?.toLowerCase() ?? '1';
  const auto = raw === 'auto';
  const workers = auto ? Math.min(os.availableParallelism(), MAX_WORKERS) : Number(raw);
  if (!auto && (!/^\d+$/.test(raw) || workers < 1 || workers > MAX_WORKERS)) {
    r.problem(`WORKERS must be auto or an integer from 1 to ${MAX_WORKERS} (got "${raw}")`);
    return 1;
  }
  // PGlite is one embedded PostgreSQL in this process's memory: processes cannot share its data folder.
  if (workers > 1 && databaseUrl === undefined)
    r.problem(
      `WORKERS=${auto ? `auto (${workers} cores)` : workers} needs DATABASE_URL: the embedded PGlite serves one process only`,
    );
  return workers;
}

function readNodeEnv(r: EnvReader): NodeEnv {
  const raw = r.str('NODE_ENV') ?? 'development';
  if (raw === 'development' || raw === 'production' || raw === 'test') return raw;
  r.problem(`NODE_ENV must be development, production or test (got "${raw}")`);
  return 'development';
}

/**
 * The session Redis and the cache's. The session Redis is one of three topologies, chosen by which
 * variable is set: REDIS_URL (one node), REDIS_CLUSTER_NODES (a Cluster) or REDIS_SENTINELS (a
 * primary found through Sentinel). Outside production none may be set: the dev runner finds or
 * starts a Redis. The cache's own Redis (REDIS_CACHE_URL) is always one node.
 */
function readRedis(r: EnvReader, production: boolean): Config['redis'] {
  const url = r.url('REDIS_URL', REDIS_PROTOCOLS, 'REDIS_PASSWORD');
  const cluster = readRedisNodes(r, 'REDIS_CLUSTER_NODES', r.str('REDIS_CLUSTER_NODES'));
  const sentinel = readSentinel(r);
  const chosen = [url && 'REDIS_URL', cluster && 'REDIS_CLUSTER_NODES', sentinel && 'REDIS_SENTINELS'].filter(Boolean);
  if (chosen.length > 1) r.problem(`set one Redis topology, not ${chosen.join(' and ')}`);
  if (chosen.length === 0 && production)
    r.problem('REDIS_URL is required in production (sessions, tokens and login limits live in Redis)');
  const urlUser = url ? userOf(url) : undefined;
  const username = r.str('REDIS_USERNAME') ?? urlUser;
  if (urlUser !== undefined && username !== urlUser)
    r.problem('REDIS_USERNAME and the user of REDIS_URL differ: set one of them');
  const password = r.str('REDIS_PASSWORD');
  return {
    url,
    cluster,
    sentinel,
    username,
    password,
    useTls: r.bool('REDIS_USE_TLS'),
    tlsCaFile: r.str('REDIS_TLS_CA_FILE'),
    cacheUrl: r.url('REDIS_CACHE_URL', REDIS_PROTOCOLS, 'REDIS_CACHE_PASSWORD'),
    cachePassword: r.str('REDIS_CACHE_PASSWORD') ?? password,
    cacheTimeoutMs: r.int('CACHE_TIMEOUT_MS', 50, 1, 10_000),
    cacheMaxEntryBytes: r.int('CACHE_MAX_ENTRY_BYTES', 256 * 1024, 1024, 64 * 1024 * 1024),
  };
}

/** REDIS_SENTINELS with its master name; either one alone, or a sentinel password alone, is a problem. */
function readSentinel(r: EnvReader): RedisSentinelSettings | undefined {
  const nodes = readRedisNodes(r, 'REDIS_SENTINELS', r.str('REDIS_SENTINELS'));
  const masterName = r.str('REDIS_SENTINEL_MASTER');
  const password = r.str('REDIS_SENTINEL_PASSWORD');
  if (nodes && masterName === undefined) r.problem('REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the monitored name)');
  if (!nodes) {
    if (masterName !== undefined) r.problem('REDIS_SENTINEL_MASTER is set but REDIS_SENTINELS is not');
    if (password !== undefined) r.problem('REDIS_SENTINEL_PASSWORD is set but REDIS_SENTINELS is not');
    return undefined;
  }
  return { nodes, masterName: masterName ?? '', password };
}

/** `raw`, variable `name`: a comma-separated `host:port` list (IPv6 hosts in brackets), or undefined when unset. */
function readRedisNodes(r: EnvReader, name: string, raw: string | undefined): RedisNode[] | undefined {
  if (raw === undefined) return undefined;
  const nodes: RedisNode[] = [];
  for (const entry of raw.split(',').map((s) => s.trim())) {
    const [, host, digits] = /^(\[[0-9a-fA-F:.]+\]|[^\s:/@[\]]+):(\d{1,5})$/.exec(entry) ?? [];
    const port = Number(digits);
    if (host === undefined || port < 1 || port > 65535) {
      r.problem(`${name} entry "${entry}" must be host:port (an IPv6 host in brackets)`);
      continue;
    }
    nodes.push({ host: host.replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

/** The user of a redis:// URL, decoded; undefined when it has none or is no URL (already reported). */
function userOf(url: string): string | undefined {
  try {
    const user = new URL(url).username;
    return user ? decodeURIComponent(user) : undefined;
  } catch {
    return undefined;
  }
}

/** PUBLIC_URL: required in production; outside it, the service's own local URL by default. */
function readPublicUrl(r: EnvReader, production: boolean, port: number, plainHttp: boolean): string {
  const raw = r.str('PUBLIC_URL');
  if (raw === undefined) {
    if (production)
      r.problem('PUBLIC_URL is required in production: the URL clients reach the service at (the OAuth issuer)');
    return localPublicUrl(port, plainHttp);
  }
  const parsed = parsePublicUrl(raw, production);
  if ('problem' in parsed) {
    r.problem(parsed.problem);
    return localPublicUrl(port, plainHttp);
  }
  return parsed.url;
}

function readJwt(r: EnvReader, nodeEnv: NodeEnv, issuer: string): Config['jwt'] {
  // The issuer is PUBLIC_URL (RFC 8414 §3.3: metadata and tokens name the same one); the old
  // JWT_ISSUER may stay set only while it agrees.
  const legacyIssuer = r.str('JWT_ISSUER');
  if (legacyIssuer !== undefined && legacyIssuer !== issuer)
    r.problem(`JWT_ISSUER must equal PUBLIC_URL (${issuer}) or be removed: the issuer is PUBLIC_URL`);
  return {
    secret: readJwtSecret(r, nodeEnv === 'production'),
    issuer,
    audience: r.str('JWT_AUDIENCE') ?? 'specgate-api',
    accessTokenSeconds: r.int('TOKEN_EXPIRE_MINUTES', 15, 1, 24 * 60) * 60,
    refreshIdleSeconds: r.int('REFRESH_TOKEN_IDLE_MINUTES', 7 * 24 * 60, 5, 365 * 24 * 60) * 60,
    refreshMaxSeconds: r.int('REFRESH_TOKEN_MAX_DAYS', 30, 1, 365) * 86400,
    refreshReuseLeewaySeconds: r.int('REFRESH_REUSE_LEEWAY_SECONDS', 30, 0, 300),
    signing: readSigning(r, nodeEnv),
  };
}

/**
 * With JWT_SIGNING_KEYS_FILE, its keys sign. Without it: production signs HS256 with JWT_SECRET;
 * development generates a key of JWT_SIGNING_ALG (ES256 unless set) under DATA_DIR; test signs
 * HS256 unless JWT_SIGNING_ALG asks for a generated key.
 */
function readSigning(r: EnvReader, nodeEnv: NodeEnv): SigningSettings {
  const production = nodeEnv === 'production';
  const keysFile = r.str('JWT_SIGNING_KEYS_FILE');
  const raw = r.str('JWT_SIGNING_ALG');
  let alg: SigningAlg = nodeEnv === 'development' ? 'ES256' : 'HS256';
  if (raw !== undefined) {
    if ((SIGNING_ALGS as readonly string[]).includes(raw)) alg = raw as SigningAlg;
    else r.problem(`JWT_SIGNING_ALG must be one of ${SIGNING_ALGS.join(', ')} (got "${raw}")`);
  }
  if (production && keysFile === undefined && alg !== 'HS256')
    r.problem(
      `JWT_SIGNING_ALG=${alg} in production needs JWT_SIGNING_KEYS_FILE (keys are generated in development only)`,
    );
  return {
    keysFile: keysFile === undefined ? undefined : path.resolve(keysFile),
    alg,
    noticeSeconds: r.int('JWT_KEY_NOTICE_SECONDS', 3600, 1, 30 * 86400),
    pollMs: r.int('JWT_KEYS_POLL_MS', 5000, 100, 600_000),
  };
}

/** The HS256 key: required in production; outside it, unset leaves the dev runner to generate one. */
function readJwtSecret(r: EnvReader, production: boolean): Uint8Array | undefined {
  const raw = r.str('JWT_SECRET');
  if (raw === undefined) {
    if (production)
      r.problem(
        `JWT_SECRET is required in production (at least ${MIN_SECRET_BITS} bits of randomness); ${SECRET_ADVICE}`,
      );
    return undefined;
  }
  const secret = new TextEncoder().encode(raw);
  if (secret.byteLength < MIN_SECRET_BYTES) {
    r.problem(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes of random data (RFC 7518 §3.2); ${SECRET_ADVICE}`);
  } else if (new Set(raw).size < 8) {
    r.problem(`JWT_SECRET looks like a placeholder, not random data; ${SECRET_ADVICE}`);
  } else if (production) {
    // Production also weighs the randomness: 32 bytes of words or repeats are not a 256-bit key.
    if (r.weighSecretLater) r.secretToWeigh = raw;
    else {
      const weakness = secretWeakness('JWT_SECRET', raw);
      if (weakness) r.problem(weakness);
    }
  }
  return secret;
}

/** PASSWORD_GRANT: `enabled` (the default, for deployments whose clients still use it) or `disabled`. */
function readPasswordGrant(r: EnvReader): boolean {
  const raw = r.str('PASSWORD_GRANT')?.toLowerCase() ?? 'enabled';
  if (raw !== 'enabled' && raw !== 'disabled') r.problem(`PASSWORD_GRANT must be enabled or disabled (got "${raw}")`);
  return raw !== 'disabled';
}

function readDpop(r: EnvReader): Config['dpop'] {
  const nonce = r.str('DPOP_NONCE')?.toLowerCase() ?? 'off';
  if (nonce !== 'required' && nonce !== 'off') r.problem(`DPOP_NONCE must be required or off (got "${nonce}")`);
  return { proofMaxAgeSeconds: r.int('DPOP_PROOF_MAX_AGE_SECONDS', 60, 1, 3600), nonceRequired: nonce === 'required' };
}

function readLoginLimits(r: EnvReader): Config['loginLimits'] {
  const limits = {
    maxFailuresPerUserAndIp: r.int('LOGIN_MAX_FAILURES_PER_USER_IP', 10, 1, 1000),
    maxFailuresPerIp: r.int('LOGIN_MAX_FAILURES_PER_IP', 50, 1, 100000),
    windowSeconds: r.int('LOGIN_FAILURE_WINDOW_MINUTES', 15, 1, 24 * 60) * 60,
    maxFailuresPerUser: r.int('LOGIN_MAX_FAILURES_PER_USER', 100, 1, 100000),
    userWindowSeconds: r.int('LOGIN_USER_WINDOW_MINUTES', 60, 1, 24 * 60) * 60,
    knownAddressSeconds: r.int('LOGIN_KNOWN_ADDRESS_DAYS', 30, 0, 365) * 86400,
  };
  // The pair limit is the tight one: were it above either other limit it would never trip first.
  if (
    limits.maxFailuresPerUserAndIp > limits.maxFailuresPerIp ||
    limits.maxFailuresPerUserAndIp > limits.maxFailuresPerUser
  ) {
    r.problem(
      'LOGIN_MAX_FAILURES_PER_USER_IP must not exceed LOGIN_MAX_FAILURES_PER_IP or LOGIN_MAX_FAILURES_PER_USER',
    );
  }
  return limits;
}

/** Browser origins allowed by CORS: `*`, or bare origins (scheme, host, port; no path). */
function readCorsOrigins(r: EnvReader): string[] {
  const origins = (r.str('CORS_ORIGINS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin === '*') continue;
    try {
      if (new URL(origin).origin !== origin)
        r.problem(`CORS_ORIGINS entry "${origin}" must be a bare origin like https://app.example.com`);
    } catch {
      r.problem(`CORS_ORIGINS entry "${origin}" is not an origin`);
    }
  }
  return origins;
}

/** HTTPS with a certificate, or plain HTTP asked for explicitly; production must choose. */
function readTransport(r: EnvReader, production: boolean): Pick<Config, 'tls' | 'plainHttp'> {
  const certFile = r.str('TLS_CERT_FILE');
  const keyFile = r.str('TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined))
    r.problem('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  const plainHttp = r.bool('PLAIN_HTTP');
  if (plainHttp && certFile !== undefined) r.problem('PLAIN_HTTP=true and TLS_CERT_FILE are mutually exclusive');
  if (production && !plainHttp && certFile === undefined) {
    r.problem(
      'production serves HTTPS: set TLS_CERT_FILE and TLS_KEY_FILE, or PLAIN_HTTP=true behind a TLS-terminating proxy',
    );
  }
  return { tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined, plainHttp };
}

function readLogLevel(r: EnvReader): LogLevel {
  const raw = (r.str('LOG_LEVEL') ?? 'info').toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  r.problem(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return 'info';
}

function readMetricsToken(r: EnvReader): string | undefined {
  const token = r.str('METRICS_TOKEN');
  if (token !== undefined && token.length < 32)
    r.problem('METRICS_TOKEN must be at least 32 characters of random data');
  return token;
}

/** Default per-address share of MAX_CONNECTIONS when the service faces clients directly. */
export const DEFAULT_ADDRESS_SHARE = 0.1;

function readServerSettings(r: EnvReader, trustProxy: number): ServerSettings {
  const maxConnections = r.int('MAX_CONNECTIONS', 1000, 1, 1_000_000);
  const server: ServerSettings = {
    keepAliveTimeoutMs: r.int('KEEP_ALIVE_TIMEOUT_SECONDS', 5, 1, 600) * 1000,
    headersTimeoutMs: r.int('HEADERS_TIMEOUT_SECONDS', 10, 1, 300) * 1000,
    requestTimeoutMs: r.int('REQUEST_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
    maxConnections,
    maxConnectionsPerAddress: readAddressShare(r, maxConnections, trustProxy),
    sendTimeoutMs: r.int('SEND_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
    shutdownDrainMs: r.int('SHUTDOWN_DRAIN_SECONDS', 5, 0, 600) * 1000,
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_SECONDS', 10, 1, 3600) * 1000,
  };
  // node:http refuses a headers timeout longer than the request timeout (the head is part of the request).
  if (server.headersTimeoutMs > server.requestTimeoutMs)
    r.problem('HEADERS_TIMEOUT_SECONDS must not exceed REQUEST_TIMEOUT_SECONDS');
  return server;
}

/**
 * MAX_CONNECTIONS_PER_ADDRESS: 0 turns the share off (every address may take MAX_CONNECTIONS).
 * Unset: a tenth of MAX_CONNECTIONS facing clients directly, off behind a trusted proxy
 * (TRUST_PROXY > 0), where every socket comes from the proxy's address and a share would refuse
 * the proxy itself.
 */
function readAddressShare(r: EnvReader, maxConnections: number, trustProxy: number): number {
  const fallback = trustProxy > 0 ? 0 : Math.ceil(maxConnections * DEFAULT_ADDRESS_SHARE);
  const share = r.int('MAX_CONNECTIONS_PER_ADDRESS', fallback, 0, 1_000_000);
  if (share > maxConnections) {
    r.problem('MAX_CONNECTIONS_PER_ADDRESS must not exceed MAX_CONNECTIONS (0 turns the share off)');
    return maxConnections;
  }
  return share === 0 ? maxConnections : share;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
