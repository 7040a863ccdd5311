/**
 * `npm run dev` on a fresh machine: the README's flow (log in with the generated admin password,
 * /me, logout, /docs) over HTTPS, and the private redis-server it starts when no Redis answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { devRedis } from '../../scripts/dev';
import { loadConfig } from '../../src/core/config';
import { createLogger } from '../../src/core/logger';
import { httpsRequest as request } from '../support/contract';

const root = path.resolve(__dirname, '../..');

describe('npm run dev', () => {
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let output = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-dev-'));
    child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['scripts/dev.ts'], {
      cwd: root,
      // Stopped by SIGTERM in afterAll: no drain (5 s by default), which is drain.test.ts's subject.
      env: { PATH: process.env.PATH, DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_DRAIN_SECONDS: '0' },
    });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dev did not start:\n${output}`)), 60_000);
      const onData = (c: Buffer) => {
        output += c;
        const m = /"url":"(https:\/\/[^"]+)"/.exec(output);
        if (m && output.includes('created the first user')) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
    });
  }, 70_000);

  afterAll(async () => {
    child?.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps generated secrets in 0600 files and never prints them', () => {
    for (const f of ['admin-password', 'jwt-secret', 'tls/localhost-key.pem']) {
      expect((fs.statSync(path.join(dir, f)).mode & 0o777).toString(8)).toBe('600');
      expect(output).not.toContain(fs.readFileSync(path.join(dir, f), 'utf8').trim());
    }
    expect(output).toContain(path.join(dir, 'admin-password'));
  });

  it('serves the README flow over HTTPS: login, /me, logout, /docs', async () => {
    const ca = fs.readFileSync(path.join(dir, 'tls/localhost-cert.pem'), 'utf8');
    const password = fs.readFileSync(path.join(dir, 'admin-password'), 'utf8').trim();
    const token = await request(`${url}/token`, ca, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'admin', password }).toString(),
    });
    expect(token.status).toBe(200);
    const auth = { authorization: `Bearer ${token.body.access_token}` };
    const me = await request(`${url}/me`, ca, { headers: auth });
    expect(me.body).toMatchObject({
      username: 'admin',
      scopes: ['items:read', 'items:write', 'users:admin', 'tokens:introspect', 'clients:admin'],
    });
    expect((await request(`${url}/logout`, ca, { method: 'POST', headers: auth })).status).toBe(204);
    expect((await request(`${url}/me`, ca, { headers: auth })).status).toBe(401);
    expect((await request(`${url}/docs`, ca)).text).toContain('<redoc');
  });
});

describe('the dev Redis', () => {
  it('starts a private redis-server with a generated password when none answers', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-devredis-'));
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const { redis, stop } = await devRedis(loadConfig({ DATA_DIR: dir }), createLogger('silent'), closed);
    try {
      expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(redis.password).toBe(fs.readFileSync(path.join(dir, 'redis-password'), 'utf8').trim());
      const port = Number(new URL(redis.url!).port);
      const authed = new Redis({ port, password: redis.password, lazyConnect: true });
      await authed.connect();
      expect(await authed.ping()).toBe('PONG');
      authed.disconnect();
      const anonymous = new Redis({
        port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        // Its socket is closed by the refusal: ioredis's default 2 s disconnect wait would hold the worker.
        disconnectTimeout: 100,
      });
      anonymous.on('error', () => undefined);
      // RESP3's HELLO already needs the password: the connection is refused before any command.
      await expect(anonymous.connect().then(() => anonymous.ping())).rejects.toThrow(/NOAUTH|closed/);
      anonymous.disconnect();
    } finally {
      stop?.();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
