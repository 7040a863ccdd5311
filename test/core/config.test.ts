/**
 * Config: the only reader of the environment, validating everything at once.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/core/config';
import { problemsOf } from '../support/config-problems';

/** What `openssl rand -base64 48` gives: 384 random bits. */
const SECRET = randomBytes(48).toString('base64');

const PUBLIC_URL = 'https://api.example.com';

describe('loadConfig', () => {
  it('gives working defaults for development', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      nodeEnv: 'development',
      host: '127.0.0.1',
      port: 8443,
      trustProxy: 0,
      logLevel: 'info',
      bodyLimitBytes: 65536,
    });
    expect(c.publicUrl).toBe('https://localhost:8443');
    expect(c.jwt).toMatchObject({
      issuer: 'https://localhost:8443',
      audience: 'specgate-api',
      accessTokenSeconds: 900,
    });
    expect(Object.isFrozen(c) && Object.isFrozen(c.jwt)).toBe(true);
  });

  it('reports every invalid variable at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      TOKEN_EXPIRE_MINUTES: '0',
      LOG_LEVEL: 'loud',
      TRUST_PROXY: 'true',
      REDIS_URL: 'http://x',
      NODE_ENV: 'staging',
    });
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).toMatch(/PORT[\s\S]*TOKEN_EXPIRE_MINUTES|TOKEN_EXPIRE_MINUTES[\s\S]*PORT/);
  });

  it('refuses to start in production without Redis, a JWT secret or TLS', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.some((p) => p.startsWith('REDIS_URL is required in production'))).toBe(true);
    expect(problems.some((p) => p.startsWith('JWT_SECRET is required in production'))).toBe(true);
    expect(problems.some((p) => p.includes('TLS_CERT_FILE'))).toBe(true);
    expect(problems.some((p) => p.startsWith('PUBLIC_URL is required in production'))).toBe(true);
    expect(
      problemsOf({
        NODE_ENV: 'production',
        REDIS_URL: 'redis://redis:6379',
        JWT_SECRET: SECRET,
        PLAIN_HTTP: 'true',
        PUBLIC_URL,
      }),
    ).toEqual([]);
  });

  it('names a missing REDIS_URL and JWT_SECRET in production in the same error as every other problem', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production', PLAIN_HTTP: 'true', PORT: 'eighty', PUBLIC_URL });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be an integer from 0 to 65535 (got "eighty")',
        'REDIS_URL is required in production (sessions, tokens and login limits live in Redis)',
        expect.stringMatching(/^JWT_SECRET is required in production/),
      ]),
    );
    for (const name of ['PORT', 'REDIS_URL', 'JWT_SECRET']) expect(message).toContain(name);
  });

  it('leaves REDIS_URL and JWT_SECRET to the dev runner outside production', () => {
    const c = loadConfig({ NODE_ENV: 'development' });
    expect([c.redis.url, c.jwt.secret]).toEqual([undefined, undefined]);
  });

  it('refuses a JWT secret shorter than 32 bytes or a placeholder, without echoing it', () => {
    const short = problemsOf({ JWT_SECRET: 'short-secret-value' });
    expect(short).toHaveLength(1);
    expect(short[0]).not.toContain('short-secret-value');
    expect(problemsOf({ JWT_SECRET: 'a'.repeat(40) })).toHaveLength(1);
    expect(loadConfig({ JWT_SECRET: SECRET }).jwt.secret).toEqual(new TextEncoder().encode(SECRET));
  });

  it('keeps passwords out of REDIS_URL and needs TLS files in pairs', () => {
    expect(problemsOf({ REDIS_URL: 'redis://:hunter2@localhost:6379' })).toEqual([
      'REDIS_URL must not carry a password: set REDIS_PASSWORD',
    ]);
    expect(problemsOf({ TLS_CERT_FILE: '/c.pem' })).toEqual(['TLS_CERT_FILE and TLS_KEY_FILE must be set together']);
  });

  it('checks REDIS_CACHE_URL like REDIS_URL: a redis URL, its password in its own variable', () => {
    expect(problemsOf({ REDIS_CACHE_URL: 'redis://:hunter2@cache:6379' })).toEqual([
      'REDIS_CACHE_URL must not carry a password: set REDIS_CACHE_PASSWORD',
    ]);
    expect(problemsOf({ REDIS_CACHE_URL: 'http://cache:6379' })).toEqual([
      'REDIS_CACHE_URL must start with redis:// or rediss://',
    ]);
    expect(problemsOf({ REDIS_CACHE_URL: 'redis://cache:port' })).toEqual(['REDIS_CACHE_URL is not a valid URL']);
    expect(problemsOf({ DATABASE_URL: 'mysql://db/specgate' })).toEqual([
      'DATABASE_URL must start with postgres:// or postgresql://',
    ]);
    // An ACL user name is not a secret (connectRedis sends it), for either Redis.
    const c = loadConfig({
      REDIS_URL: 'rediss://specgate@redis:6380/1',
      REDIS_CACHE_URL: 'rediss://cache-user@cache:6380',
      REDIS_PASSWORD: 'pw',
    });
    expect(c.redis).toMatchObject({
      url: 'rediss://specgate@redis:6380/1',
      cacheUrl: 'rediss://cache-user@cache:6380',
      password: 'pw',
      cachePassword: 'pw',
    });
  });

  it('trims every value, secrets included, and treats a blank one as unset', () => {
    const token = 'm'.repeat(8) + randomBytes(24).toString('hex');
    const c = loadConfig({
      JWT_SECRET: ` ${SECRET}\n`,
      REDIS_PASSWORD: ' pw\n',
      REDIS_CACHE_PASSWORD: ' \t',
      METRICS_TOKEN: `${token}\n`,
      REDIS_URL: ' redis://r:6379 ',
    });
    expect(c.jwt.secret).toEqual(new TextEncoder().encode(SECRET));
    expect(c.redis).toMatchObject({ url: 'redis://r:6379', password: 'pw', cachePassword: 'pw' });
    expect(c.metricsToken).toBe(token);
    expect(loadConfig({ METRICS_TOKEN: '  ' }).metricsToken).toBeUndefined();
  });

  it('sets trust proxy only as a hop count', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(problemsOf({ TRUST_PROXY: 'true' })).toHaveLength(1);
  });

  it('keeps a browser signed in at /authorize for 12 hours unless SIGN_IN_SESSION_HOURS says 1 to 720', () => {
    expect(loadConfig({}).signInSessionSeconds).toBe(12 * 3600);
    expect(loadConfig({ SIGN_IN_SESSION_HOURS: '1' }).signInSessionSeconds).toBe(3600);
    for (const bad of ['0', '721', 'forever'])
      expect(problemsOf({ SIGN_IN_SESSION_HOURS: bad })).toEqual([expect.stringContaining('SIGN_IN_SESSION_HOURS')]);
  });

  it('caps live sessions per user at 50 unless MAX_SESSIONS_PER_USER says 1 to 10000', () => {
    expect(loadConfig({}).maxSessionsPerUser).toBe(50);
    expect(loadConfig({ MAX_SESSIONS_PER_USER: '3' }).maxSessionsPerUser).toBe(3);
    for (const bad of ['0', '10001', 'many', '-1'])
      expect(problemsOf({ MAX_SESSIONS_PER_USER: bad })).toEqual([expect.stringContaining('MAX_SESSIONS_PER_USER')]);
  });

  it('serves the password grant unless PASSWORD_GRANT=disabled, and refuses any other value', () => {
    expect(loadConfig({}).passwordGrant).toBe(true);
    expect(loadConfig({ PASSWORD_GRANT: 'enabled' }).passwordGrant).toBe(true);
    expect(loadConfig({ PASSWORD_GRANT: 'Disabled' }).passwordGrant).toBe(false);
    expect(problemsOf({ PASSWORD_GRANT: 'off' })).toEqual([
      expect.stringContaining('PASSWORD_GRANT must be enabled or disabled'),
    ]);
  });

  it('parses CORS origins and rejects paths in them', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example:8443' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example:8443',
    ]);
    expect(problemsOf({ CORS_ORIGINS: 'https://a.example/app' })).toHaveLength(1);
  });

  it('reads the three login limits, their windows and the known-address exemption, the pair limit the tightest', () => {
    expect(loadConfig({}).loginLimits).toEqual({
      maxFailuresPerUserAndIp: 10,
      maxFailuresPerIp: 50,
      windowSeconds: 900,
      maxFailuresPerUser: 100,
      userWindowSeconds: 3600,
      knownAddressSeconds: 30 * 86400,
    });
    expect(
      loadConfig({
        LOGIN_MAX_FAILURES_PER_USER_IP: '4',
        LOGIN_MAX_FAILURES_PER_IP: '8',
        LOGIN_FAILURE_WINDOW_MINUTES: '5',
        LOGIN_MAX_FAILURES_PER_USER: '60',
        LOGIN_USER_WINDOW_MINUTES: '30',
        LOGIN_KNOWN_ADDRESS_DAYS: '0',
      }).loginLimits,
    ).toEqual({
      maxFailuresPerUserAndIp: 4,
      maxFailuresPerIp: 8,
      windowSeconds: 300,
      maxFailuresPerUser: 60,
      userWindowSeconds: 1800,
      knownAddressSeconds: 0,
    });
    expect(problemsOf({ LOGIN_MAX_FAILURES_PER_USER: '5' })).toEqual([
      'LOGIN_MAX_FAILURES_PER_USER_IP must not exceed LOGIN_MAX_FAILURES_PER_IP or LOGIN_MAX_FAILURES_PER_USER',
    ]);
    expect(problemsOf({ LOGIN_MAX_FAILURES_PER_USER_IP: '60' })).toHaveLength(1);
    expect(problemsOf({ LOGIN_KNOWN_ADDRESS_DAYS: '-1' })).toHaveLength(1);
  });

  it('reads the refresh reuse leeway: 30 s by default, 0 disables, at most 300', () => {
    expect(loadConfig({}).jwt.refreshReuseLeewaySeconds).toBe(30);
    expect(loadConfig({ REFRESH_REUSE_LEEWAY_SECONDS: '0' }).jwt.refreshReuseLeewaySeconds).toBe(0);
    expect(problemsOf({ REFRESH_REUSE_LEEWAY_SECONDS: '301' })).toHaveLength(1);
  });

  it('treats empty values as unset (compose passes empty strings from .env)', () => {
    expect(loadConfig({ PORT: '', JWT_ISSUER: '', CORS_ORIGINS: '' })).toMatchObject({
      port: 8443,
      corsOrigins: [],
      jwt: { issuer: 'https://localhost:8443' },
    });
  });

  it('takes the issuer from PUBLIC_URL, which must be an https URL without query in production', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://api.example.com/' }).jwt.issuer).toBe('https://api.example.com');
    expect(loadConfig({ PLAIN_HTTP: 'true', PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    const prod = { NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379', JWT_SECRET: SECRET, PLAIN_HTTP: 'true' };
    expect(problemsOf({ ...prod, PUBLIC_URL: 'http://api.example.com' })).toEqual([
      expect.stringContaining('PUBLIC_URL must be an https URL'),
    ]);
    expect(problemsOf({ ...prod, PUBLIC_URL: 'https://api.example.com/?x=1' })).toEqual([
      expect.stringContaining('no query or fragment'),
    ]);
    expect(problemsOf({ ...prod, PUBLIC_URL: 'api.example.com' })).toEqual([expect.stringContaining('absolute URL')]);
    expect(problemsOf({ ...prod, PUBLIC_URL, JWT_ISSUER: 'specgate' })).toEqual([
      expect.stringContaining('JWT_ISSUER must equal PUBLIC_URL'),
    ]);
    expect(problemsOf({ ...prod, PUBLIC_URL, JWT_ISSUER: PUBLIC_URL })).toEqual([]);
  });
});

describe('connection and shutdown settings', () => {
  it('defaults to 5 s keep-alive, 10 s head, 30 s request, 1000 sockets (100 per address), 30 s send, 5 s drain, 10 s shutdown timeout', () => {
    expect(loadConfig({}).server).toEqual({
      keepAliveTimeoutMs: 5000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      maxConnections: 1000,
      maxConnectionsPerAddress: 100,
      sendTimeoutMs: 30_000,
      shutdownDrainMs: 5000,
      shutdownTimeoutMs: 10_000,
    });
  });

  it('takes seconds, allows no drain, and refuses a head timeout longer than the request timeout', () => {
    expect(loadConfig({ SHUTDOWN_DRAIN_SECONDS: '0', KEEP_ALIVE_TIMEOUT_SECONDS: '2' }).server).toMatchObject({
      shutdownDrainMs: 0,
      keepAliveTimeoutMs: 2000,
    });
    expect(problemsOf({ HEADERS_TIMEOUT_SECONDS: '40', REQUEST_TIMEOUT_SECONDS: '30' })).toEqual([
      'HEADERS_TIMEOUT_SECONDS must not exceed REQUEST_TIMEOUT_SECONDS',
    ]);
    expect(
      problemsOf({ KEEP_ALIVE_TIMEOUT_SECONDS: '0', MAX_CONNECTIONS: '-1', SHUTDOWN_TIMEOUT_SECONDS: 'soon' }),
    ).toHaveLength(3);
  });
});

describe('per-address share of the connections', () => {
  const share = (env: Record<string, string>) => loadConfig(env).server.maxConnectionsPerAddress;

  it('gives each address a tenth of MAX_CONNECTIONS by default, at least one socket', () => {
    expect(share({ MAX_CONNECTIONS: '20' })).toBe(2);
    expect(share({ MAX_CONNECTIONS: '4' })).toBe(1);
    expect(share({ MAX_CONNECTIONS: '1' })).toBe(1);
  });

  it('is off by default behind a trusted proxy, where every socket comes from the proxy', () => {
    expect(share({ TRUST_PROXY: '1', MAX_CONNECTIONS: '500' })).toBe(500);
    expect(share({ TRUST_PROXY: '1', MAX_CONNECTIONS_PER_ADDRESS: '50' })).toBe(50);
  });

  it('takes an explicit share, 0 for off, and refuses one above MAX_CONNECTIONS', () => {
    expect(share({ MAX_CONNECTIONS_PER_ADDRESS: '7' })).toBe(7);
    expect(share({ MAX_CONNECTIONS_PER_ADDRESS: '0' })).toBe(1000);
    expect(problemsOf({ MAX_CONNECTIONS: '10', MAX_CONNECTIONS_PER_ADDRESS: '11' })).toEqual([
      'MAX_CONNECTIONS_PER_ADDRESS must not exceed MAX_CONNECTIONS (0 turns the share off)',
    ]);
    expect(problemsOf({ MAX_CONNECTIONS_PER_ADDRESS: '-1', SEND_TIMEOUT_SECONDS: '0' })).toHaveLength(2);
  });
});
