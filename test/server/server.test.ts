/**
 * The service as main.ts runs it: HTTPS from TLS_CERT_FILE/TLS_KEY_FILE with security headers,
 * migrations applied at start, graceful stop; and the same pipeline mounted inside express.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/core/config';
import { createLogger } from '../../src/core/logger';
import { type Running, start } from '../../src/main';
import { startTestApp, TEST_SECRET } from '../support/app';
import { client, httpsRequest } from '../support/contract';
import { type RedisServer, startRedis } from '../support/redis-server';
import { writeLocalCertificate } from '../support/tls';

describe('main.start over HTTPS', () => {
  let dir: string;
  let redis: RedisServer;
  let running: Running;
  let ca: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-main-'));
    const certificate = await writeLocalCertificate(dir);
    ca = certificate.ca;
    redis = await startRedis({ password: 'main-test-password' });
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      REDIS_PASSWORD: redis.password,
      JWT_SECRET: TEST_SECRET,
      PUBLIC_URL: 'https://api.example.com',
      TLS_CERT_FILE: certificate.certFile,
      TLS_KEY_FILE: certificate.keyFile,
      SHUTDOWN_DRAIN_SECONDS: '0',
      DATA_DIR: dir,
      ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
      LOG_LEVEL: 'silent',
    });
    running = await start(config, createLogger('silent'));
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with HSTS and the API header set the OWASP REST cheat sheet recommends', async () => {
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await httpsRequest(`${running.url}/readyz`, ca);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { redis: 'up', database: 'up' } });
    const { date, 'x-request-id': requestId, ...rest } = res.headers;
    expect([typeof date, typeof requestId]).toEqual(['string', 'string']);
    expect(rest).toEqual({
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(JSON.stringify(res.body).length),
      connection: 'keep-alive',
      'keep-alive': expect.stringMatching(/^timeout=\d+$/),
    });
  });

  it('gives the docs page the policy Redoc needs, and HSTS', async () => {
    const res = await httpsRequest(`${running.url}/docs`, ca);
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'.*worker-src 'self' blob:/);
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('has migrated the database (a login path reaches the users table)', async () => {
    const res = await httpsRequest(`${running.url}/token`, ca, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&username=nobody&password=whatever1',
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });
});

describe('specgate embedded in an express application', () => {
  it("serves its operations, errors and docs beside the application's own routes", async () => {
    const t = await startTestApp({ mount: 'express', env: { CORS_ORIGINS: 'https://app.example' } });
    try {
      await t.createUser('heidi', 'heidi-password-1', ['items:read']);
      const api = client(t.url);
      const token = await api.login('heidi', 'heidi-password-1');
      expect((await api.get('/me', { token })).body.username).toBe('heidi');
      expect((await api.get('/me')).status).toBe(401);
      // The application's own route, declared before specgate, and its own fallback after it.
      const hello = await fetch(`${t.url}/hello`);
      expect([hello.status, await hello.text()]).toEqual([200, 'hello from the host']);
      const elsewhere = await fetch(`${t.url}/nowhere`);
      expect([elsewhere.status, elsewhere.headers.get('content-type'), await elsewhere.text()]).toEqual([
        404,
        'text/plain; charset=utf-8',
        'not a route of the host',
      ]);
      expect(elsewhere.headers.get('x-request-id')).toBeNull();
      expect((await api.request('PUT', '/me')).headers.allow).toBe('GET, HEAD');
      expect((await fetch(`${t.url}/docs/redoc.standalone.js`, { method: 'HEAD' })).status).toBe(200);
      // CORS preflight on a spec path is answered by specgate's cors stage (OPTIONS is no operation).
      const preflight = await fetch(`${t.url}/me`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
      const other = await api.get('/healthz', { headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.stop();
    }
  });
});
