/**
 * Every form of "the database cannot serve now" is a 503 `unavailable` with Retry-After (OAuth:
 * `temporarily_unavailable`), never a 500: each errno, SQLSTATE and driver message through the real
 * mapping (database.ts translate → errors.ts renderError), and, against a real PostgreSQL, a
 * database that stops accepting connections (SQLSTATE 55000).
 */
import { Client } from 'pg';
import { renderError } from '../../src/core/errors';
import { type Database, openDatabase, translate } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { testDatabaseUrl } from '../support/database';

const render = (err: unknown, format: 'problem' | 'oauth') =>
  renderError(translate(err), { format, instance: '/x', requestId: 'r' });

const OUTAGES: Array<[string, object]> = [
  ...['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'].map((code): [string, object] => [
    code,
    Object.assign(new Error(`connect ${code}`), { code }),
  ]),
  ...[
    '08000',
    '08003',
    '08006',
    '08001',
    '08004',
    '28P01',
    '3D000',
    '53000',
    '53100',
    '53200',
    '53300',
    '55000',
    '57P01',
    '57P02',
    '57P03',
    '57P04',
    '57014',
  ].map((code): [string, object] => [
    `SQLSTATE ${code}`,
    Object.assign(new Error('server said no'), { code, severity: 'FATAL' }),
  ]),
  ['Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
  ['Connection terminated due to connection timeout', new Error('Connection terminated due to connection timeout')],
  ['timeout exceeded when trying to connect', new Error('timeout exceeded when trying to connect')],
  [
    'AggregateError of refused addresses',
    Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], 'x')),
  ],
];

describe('the outage mapping', () => {
  it.each(OUTAGES)('%s → 503 unavailable with Retry-After', (_name, err) => {
    const problem = render(err, 'problem');
    expect(problem.status).toBe(503);
    expect(problem.headers['retry-after']).toBe('5');
    expect(JSON.parse(problem.body)).toMatchObject({
      type: '/docs#section/Errors/unavailable',
      code: 'unavailable',
      detail: 'The database cannot be reached.',
    });
    const oauth = render(err, 'oauth');
    expect(oauth.status).toBe(503);
    expect(oauth.headers['retry-after']).toBe('5');
    expect(JSON.parse(oauth.body).error).toBe('temporarily_unavailable');
  });

  it.each(['23505', '42601', '22021', '40001', '42P01'])(
    'SQLSTATE %s (a bug or a conflict, not an outage) stays a 500',
    (code) => {
      expect(render(Object.assign(new Error('x'), { code }), 'problem').status).toBe(500);
    },
  );
});

const url = testDatabaseUrl();
// Without TEST_DATABASE_URL (set in CI) the mapping above is all that can be checked.
if (url)
  describe('a PostgreSQL database that stops accepting connections (55000)', () => {
    const name = `specgate_outage_${process.pid}_${Date.now()}`;
    let admin: Client;
    let db: Database;
    let t: TestApp;

    beforeAll(async () => {
      admin = new Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const target = new URL(url!);
      target.pathname = `/${name}`;
      db = await openDatabase({ url: target.toString() });
      await migrate(db);
      t = await startTestApp({ db });
      await t.createUser('outage-user', 'outage-password-1', ['items:read']);
    }, 60_000);

    afterAll(async () => {
      await t?.stop();
      await db?.close();
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });

    it('answers 503 with Retry-After on a bearer operation and temporarily_unavailable on /token', async () => {
      const api = client(t.url);
      const token = await api.login('outage-user', 'outage-password-1');
      expect((await api.get('/me', { token })).status).toBe(200);

      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      // The app's open connections end (57P01 on the next use); new ones get 55000.
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);

      const me = await api.get('/me', { token });
      expect(me.status).toBe(503);
      expect(me.headers['retry-after']).toBe('5');
      expect(me.body.code).toBe('unavailable');
      const login = await api.post('/token', {
        form: { grant_type: 'password', username: 'outage-user', password: 'outage-password-1' },
      });
      expect(login.status).toBe(503);
      expect(login.headers['retry-after']).toBe('5');
      expect(login.body.error).toBe('temporarily_unavailable');
      const ready = await api.get('/readyz');
      expect([ready.status, ready.body.checks.database]).toEqual([503, 'down']);

      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      expect((await api.get('/me', { token })).status).toBe(200);
    });
  });
