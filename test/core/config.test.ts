/**
 * Config: the only reader of the environment, validating everything at once.
 */
import { ConfigError, loadConfig } from '../../src/core/config';

const SECRET = 'x7Gq2pL9vR4tY8wZ1bN6mK3jH5fD0sA_-cE';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives working defaults for development', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ nodeEnv: 'development', host: '127.0.0.1', port: 8443, trustProxy: 0, logLevel: 'info', bodyLimitBytes: 65536 });
    expect(c.jwt).toMatchObject({ issuer: 'specgate', audience: 'specgate-api', accessTokenSeconds: 900 });
    expect(Object.isFrozen(c) && Object.isFrozen(c.jwt)).toBe(true);
  });

  it('reports every invalid variable at once', () => {
    const problems = problemsOf({ PORT: 'eighty', TOKEN_EXPIRE_MINUTES: '0', LOG_LEVEL: 'loud', TRUST_PROXY: 'true', REDIS_URL: 'http://x', NODE_ENV: 'staging' });
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).toMatch(/PORT[\s\S]*TOKEN_EXPIRE_MINUTES|TOKEN_EXPIRE_MINUTES[\s\S]*PORT/);
  });

  it('refuses to start in production without a JWT secret or TLS', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.some((p) => p.startsWith('JWT_SECRET is required in production'))).toBe(true);
    expect(problems.some((p) => p.includes('TLS_CERT_FILE'))).toBe(true);
    expect(problemsOf({ NODE_ENV: 'production', JWT_SECRET: SECRET, PLAIN_HTTP: 'true' })).toEqual([]);
  });

  it('refuses a JWT secret shorter than 32 bytes or a placeholder, without echoing it', () => {
    const short = problemsOf({ JWT_SECRET: 'short-secret-value' });
    expect(short).toHaveLength(1);
    expect(short[0]).not.toContain('short-secret-value');
    expect(problemsOf({ JWT_SECRET: 'a'.repeat(40) })).toHaveLength(1);
    expect(loadConfig({ JWT_SECRET: SECRET }).jwt.secret).toEqual(new TextEncoder().encode(SECRET));
  });

  it('keeps passwords out of REDIS_URL and needs TLS files in pairs', () => {
    expect(problemsOf({ REDIS_URL: 'redis://:hunter2@localhost:6379' })).toEqual(['REDIS_URL must not carry a password: set REDIS_PASSWORD']);
    expect(problemsOf({ TLS_CERT_FILE: '/c.pem' })).toEqual(['TLS_CERT_FILE and TLS_KEY_FILE must be set together']);
  });

  it('sets trust proxy only as a hop count', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(problemsOf({ TRUST_PROXY: 'true' })).toHaveLength(1);
  });

  it('parses CORS origins and rejects paths in them', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example:8443' }).corsOrigins).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(problemsOf({ CORS_ORIGINS: 'https://a.example/app' })).toHaveLength(1);
  });

  it('treats empty values as unset (compose passes empty strings from .env)', () => {
    expect(loadConfig({ PORT: '', JWT_ISSUER: '', CORS_ORIGINS: '' })).toMatchObject({ port: 8443, corsOrigins: [], jwt: { issuer: 'specgate' } });
  });
});

describe('connection and shutdown settings', () => {
  it('defaults to 5 s keep-alive, 10 s head, 30 s request, 1000 sockets, 5 s drain, 10 s shutdown timeout', () => {
    expect(loadConfig({}).server).toEqual({
      keepAliveTimeoutMs: 5000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      maxConnections: 1000,
      shutdownDrainMs: 5000,
      shutdownTimeoutMs: 10_000,
    });
  });

  it('takes seconds, allows no drain, and refuses a head timeout longer than the request timeout', () => {
    expect(loadConfig({ SHUTDOWN_DRAIN_SECONDS: '0', KEEP_ALIVE_TIMEOUT_SECONDS: '2' }).server).toMatchObject({ shutdownDrainMs: 0, keepAliveTimeoutMs: 2000 });
    expect(problemsOf({ HEADERS_TIMEOUT_SECONDS: '40', REQUEST_TIMEOUT_SECONDS: '30' })).toEqual(['HEADERS_TIMEOUT_SECONDS must not exceed REQUEST_TIMEOUT_SECONDS']);
    expect(problemsOf({ KEEP_ALIVE_TIMEOUT_SECONDS: '0', MAX_CONNECTIONS: '-1', SHUTDOWN_TIMEOUT_SECONDS: 'soon' })).toHaveLength(3);
  });
});
