/**
 * A database outage costs the client nothing but a 503: a refresh consumes no token,
 * since the user is looked up before the rotation commits, and a login is not counted against the
 * login limits. The outage is real: the app's PGlite (on disk) is closed, then opened again from
 * the same directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { type Database, openDatabase } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';

const dir = mkdtempSync(path.join(os.tmpdir(), 'specgate-outage-'));
let real: Database;
/** What the app holds: every call goes to the database currently open in `dir`. */
const db: Database = {
  kind: 'pglite',
  query: (sql, params) => real.query(sql, params),
  transaction: (fn) => real.transaction(fn),
  ping: () => real.ping(),
  close: () => real.close(),
};

let t: TestApp;
let api: ReturnType<typeof client>;
let now = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  real = await openDatabase({ dataDir: dir });
  await migrate(real);
  t = await startTestApp({ db, clock: () => now });
  api = client(t.url);
  await t.createUser('olga', 'olga-password-1', ['items:read']);
}, 60_000);
afterAll(async () => {
  await t.stop();
  await real.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `during` with the database closed, then opens it again. */
async function outage(during: () => Promise<void>): Promise<void> {
  await real.close();
  try {
    await during();
  } finally {
    real = await openDatabase({ dataDir: dir });
  }
}

const refresh = (refresh_token: string) => api.post('/token', { form: { grant_type: 'refresh_token', refresh_token } });

describe('refresh during a database outage', () => {
  it('answers 503 without consuming the token; the retry after the outage refreshes and the session lives', async () => {
    const login = await api.post('/token', {
      form: { grant_type: 'password', username: 'olga', password: 'olga-password-1' },
    });
    expect(login.status).toBe(200);

    await outage(async () => {
      const during = await refresh(login.body.refresh_token);
      expect([during.status, during.body.error]).toEqual([503, 'temporarily_unavailable']);
      expect(Number(during.headers['retry-after'])).toBeGreaterThan(0);
    });
    // Past the reuse leeway: only a token that was never rotated can still refresh now.
    now += t.config.jwt.refreshReuseLeewaySeconds + 1;
    const retry = await refresh(login.body.refresh_token);
    expect(retry.status).toBe(200);
    expect(decodeJwt(retry.body.access_token).sid).toBe(decodeJwt(login.body.access_token).sid);
    expect((await api.get('/me', { token: login.body.access_token })).status).toBe(200);
    expect((await refresh(retry.body.refresh_token)).status).toBe(200);
  });
});

describe('login during a database outage', () => {
  it('answers 503 and does not count against the login limits', async () => {
    const pairLimit = t.config.loginLimits.maxFailuresPerUserAndIp;
    await outage(async () => {
      for (let i = 0; i <= pairLimit; i++) {
        const res = await api.post('/token', {
          form: { grant_type: 'password', username: 'olga', password: 'olga-password-1' },
        });
        expect([res.status, res.body.error]).toEqual([503, 'temporarily_unavailable']);
      }
    });
    expect(await t.redis.keys('rl:login:pair:*')).toEqual([]);
    expect(
      (await api.post('/token', { form: { grant_type: 'password', username: 'olga', password: 'olga-password-1' } }))
        .status,
    ).toBe(200);
  });
});
