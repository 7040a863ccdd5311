/**
 * `npm run user:update`: an operator's change to a user takes the API's code path, so it reaches
 * the user's live sessions in Redis, as PATCH /v1/users/{userId} does. Run as a child process
 * against a real redis-server and a real database (embedded PGlite in a data directory, and
 * PostgreSQL when TEST_DATABASE_URL is set), with sessions opened through the service.
 *
 * PGlite serves one process, so the service stops before the script opens its directory and a
 * second one starts after it on the same database and Redis (like another instance, it holds no
 * session state of its own); PostgreSQL takes the same steps.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { type Database, openDatabase } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { testDatabaseNames, testDatabaseUrl } from '../support/database';
import type { RedisServer } from '../support/redis-server';

const root = path.resolve(__dirname, '../..');

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['scripts/update-user.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end();
  });
}

/** A database the script can open too: a PGlite data directory, or a fresh PostgreSQL database. */
interface SharedDatabase {
  open(): Promise<Database>;
  env: Record<string, string>;
  drop(): Promise<void>;
}

async function sharedDatabase(name: string): Promise<SharedDatabase> {
  if (name === 'pglite') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-update-'));
    return {
      open: () => openDatabase({ dataDir: path.join(dataDir, 'pglite') }),
      env: { DATA_DIR: dataDir },
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const server = testDatabaseUrl() as string;
  const database = `specgate_update_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(server);
  url.pathname = `/${database}`;
  return {
    open: () => openDatabase({ url: url.toString() }),
    env: { DATABASE_URL: url.toString() },
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    },
  };
}

describe.each(testDatabaseNames())('npm run user:update on %s', (name) => {
  let shared: SharedDatabase;
  let db: Database;
  let t: TestApp;
  let redisServer: RedisServer;

  /** Stops the service and frees the database for the script; runs it; starts a service again. */
  async function update(args: string[]) {
    await t.stop();
    await db.close();
    const res = await run(args, { ...shared.env, REDIS_URL: redisServer.url, REDIS_PASSWORD: redisServer.password! });
    db = await shared.open();
    t = await startTestApp({ db, redisServer });
    return res;
  }

  /** Logs in with the password grant: the access and refresh tokens of a new session. */
  async function login(username: string, password: string) {
    const res = await client(t.url).post('/token', { form: { grant_type: 'password', username, password } });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  }

  beforeAll(async () => {
    shared = await sharedDatabase(name);
    db = await shared.open();
    await migrate(db);
    t = await startTestApp({ db });
    redisServer = t.redisServer;
    await t.createUser('root-admin', 'root-admin-password', ['users:admin']);
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await db?.close();
    await shared?.drop();
  });

  it('--disable ends every session of the user: its tokens are refused, and it cannot log in', async () => {
    await t.createUser('dora', 'dora-password-1', ['items:read']);
    const [first, second] = [await login('dora', 'dora-password-1'), await login('dora', 'dora-password-1')];
    const api = client(t.url);
    expect((await api.get('/me', { token: first.access_token })).status).toBe(200);

    const res = await update(['--username', ' Dora ', '--disable']);
    expect([res.code, res.stderr]).toEqual([0, '']);
    expect(res.stdout).toMatch(
      /^updated user dora \([0-9a-f-]{36}\): scopes items:read, disabled; sessions ended: 2, narrowed: 0\n$/,
    );

    const after = client(t.url);
    for (const session of [first, second]) {
      const me = await after.get('/me', { token: session.access_token });
      expect([me.status, me.headers['www-authenticate']]).toEqual([401, expect.stringMatching(/invalid_token/)]);
      const refreshed = await after.post('/token', {
        form: { grant_type: 'refresh_token', refresh_token: session.refresh_token },
      });
      expect([refreshed.status, refreshed.body.error]).toEqual([400, 'invalid_grant']);
    }
    const again = await after.post('/token', {
      form: { grant_type: 'password', username: 'dora', password: 'dora-password-1' },
    });
    expect([again.status, again.body.error]).toEqual([400, 'invalid_grant']);
  }, 120_000);

  it('--scopes narrows every live session: a removed scope is refused at once and a refresh cannot bring it back', async () => {
    await t.createUser('nora', 'nora-password-1', ['items:read', 'items:write']);
    const session = await login('nora', 'nora-password-1');
    const item = { name: 'Bowl', category: 'kitchen', price_cents: 700 };
    expect((await client(t.url).post('/v1/items', { token: session.access_token, json: item })).status).toBe(201);

    const res = await update(['--username', 'nora', '--scopes', 'items:read']);
    expect([res.code, res.stderr]).toEqual([0, '']);
    expect(res.stdout).toMatch(/: scopes items:read, enabled; sessions ended: 0, narrowed: 1\n$/);

    const api = client(t.url);
    const write = await api.post('/v1/items', { token: session.access_token, json: item });
    expect([write.status, write.body.code]).toEqual([403, 'insufficient_scope']);
    expect((await api.get('/v1/items', { token: session.access_token })).status).toBe(200);
    const refreshed = await api.post('/token', {
      form: { grant_type: 'refresh_token', refresh_token: session.refresh_token },
    });
    expect([refreshed.status, refreshed.body.scope]).toEqual([200, 'items:read']);
  }, 120_000);

  it('refuses what the API refuses: the last administrator, an unknown user or scope, nothing to do', async () => {
    const env = { REDIS_URL: redisServer.url, REDIS_PASSWORD: redisServer.password! };
    const last = await update(['--username', 'root-admin', '--disable']);
    expect([last.code, last.stderr]).toEqual([2, 'user:update: this would leave no enabled user with users:admin\n']);
    const nobody = await update(['--username', 'nobody', '--disable']);
    expect([nobody.code, nobody.stderr]).toEqual([2, 'user:update: no user nobody\n']);
    // Refused before any database or Redis is opened.
    const scope = await run(['--username', 'nora', '--scopes', 'root'], env);
    expect([scope.code, scope.stderr]).toEqual([2, expect.stringMatching(/^user:update: unknown scope\(s\): root /)]);
    const nothing = await run(['--username', 'nora'], env);
    expect([nothing.code, nothing.stderr]).toEqual([
      2,
      'user:update: nothing to change: give --disable, --enable or --scopes\n',
    ]);
    // The administrator kept users:admin and can still log in.
    expect((await login('root-admin', 'root-admin-password')).access_token).toEqual(expect.any(String));
  }, 120_000);
});
