/**
 * The database goes away under load and comes back. The service's database sits behind
 * a real PgBouncer, which the test SIGKILLs and starts again on the same port: to specgate that is
 * what a PostgreSQL restart looks like (open connections reset, new ones refused, then accepted).
 *
 * While a client keeps sending reads and writes: operations that need the database answer 503
 * problem+json with Retry-After (never a 500, never a write acknowledged that was not stored),
 * /readyz says the database is down, cached reads keep being served, and once the database is back
 * the same specgate process serves everything again, with no stale cache entry.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { type Database, openDatabase } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { startTestApp, type TestApp } from '../support/app';
import { client, type TestResponse } from '../support/contract';
import { type LoadAnswer, type LoadKind, type LoadPhase, mixedLoad } from '../support/mixed-load';
import { type PgBouncer, startPgBouncer, upstreamUrl } from '../support/pgbouncer';

const RECOVERY_LIMIT_MS = 10_000;
// A database of its own rather than a schema: the service then runs exactly as deployed (no
// search_path to carry, so single statements go out alone rather than in a transaction).
const database = `specgate_restart_${process.pid}_${Date.now()}`;
let admin: Client;
let bouncer: PgBouncer;
let db: Database;
let t: TestApp;
let api: ReturnType<typeof client>;
let token: string;

beforeAll(async () => {
  admin = new Client({ connectionString: upstreamUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  bouncer = await startPgBouncer({ poolSize: 4 });
  db = await openDatabase({ url: bouncer.url(database) });
  await migrate(db);
  t = await startTestApp({ db });
  api = client(t.url);
  await t.createUser('outage-writer', 'outage-writer-password', ['items:read', 'items:write']);
  token = await api.login('outage-writer', 'outage-writer-password');
}, 30_000);
afterAll(async () => {
  await t?.stop();
  await db?.close();
  await bouncer?.stop();
  await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin?.end();
});

const create = (name: string) => api.post('/v1/items', { token, json: { name, category: 'outage', price_cents: 100 } });
const load = (cachedId: string) => mixedLoad({ api, token, cachedId, create });

/** Polls `attempt` until it answers `status`, failing when that takes more than RECOVERY_LIMIT_MS. */
async function until(status: number, attempt: () => Promise<TestResponse>): Promise<void> {
  const started = Date.now();
  for (;;) {
    const res = await attempt();
    if (res.status === status) return;
    if (Date.now() - started > RECOVERY_LIMIT_MS) {
      throw new Error(`still ${res.status} after ${RECOVERY_LIMIT_MS} ms: ${res.text}`);
    }
    await sleep(100);
  }
}

/**
 * What holds in every phase: no 500, the cached item always served, every acknowledged write stored
 * once. (A write answered 503 may still be stored: its COMMIT can succeed with the answer lost.)
 */
async function expectInvariants(answers: LoadAnswer[], cachedId: string): Promise<void> {
  expect(answers.filter((a) => a.res.status >= 500 && a.res.status !== 503)).toEqual([]);
  for (const { res } of answers.filter((a) => a.kind === 'cached read')) {
    expect([res.status, res.headers['x-cache'], res.body.id]).toEqual([200, 'HIT', cachedId]);
  }
  const rows = await db.query<{ name: string; n: number }>(
    `SELECT name, count(*)::int AS n FROM items WHERE category = 'outage' GROUP BY name`,
  );
  const stored = new Map(rows.map((r) => [r.name, r.n]));
  for (const { name } of answers.filter((a) => a.kind === 'write' && a.res.status === 201)) {
    expect([name, stored.get(name!)]).toEqual([name, 1]);
  }
  expect(rows.filter((r) => r.n > 1)).toEqual([]);
  const of = (kind: LoadKind, p: LoadPhase) => answers.filter((a) => a.kind === kind && a.phase === p);
  for (const p of ['up', 'back'] as const) {
    expect(new Set(of('write', p).map((a) => a.res.status))).toEqual(new Set([201]));
    expect(new Set(of('uncached read', p).map((a) => a.res.status))).toEqual(new Set([404]));
  }
}

async function cachedItem(): Promise<string> {
  const { id } = (await create(`cached ${randomUUID()}`)).body;
  await api.get(`/v1/items/${id}`, { token }); // fills the cache
  expect((await api.get(`/v1/items/${id}`, { token })).headers['x-cache']).toBe('HIT');
  return id;
}

test('under a mixed load, a database outage is 503 for what needs it, cached reads go on, and the service recovers by itself', async () => {
  const cachedId = await cachedItem();
  const traffic = load(cachedId);
  try {
    await sleep(500);
    traffic.phase = 'stopping';
    await bouncer.kill();
    traffic.phase = 'down';
    await sleep(1_500);

    const ready = await api.get('/readyz');
    expect([ready.status, ready.body.checks]).toEqual([503, { redis: 'up', database: 'down' }]);
    expect(Number(ready.headers['retry-after'])).toBeGreaterThan(0);

    traffic.phase = 'recovering';
    await bouncer.restart();
    await until(201, () => create('after the outage'));
    traffic.phase = 'back';
    await sleep(500);
  } finally {
    await traffic.stop();
  }

  const down = traffic.answers.filter((a) => a.phase === 'down');
  for (const kind of ['cached read', 'uncached read', 'write']) expect(down.some((a) => a.kind === kind)).toBe(true);
  // While the database is down, what needs it is 503 problem+json with Retry-After, nothing else.
  for (const { res } of down.filter((a) => a.kind !== 'cached read')) {
    expect([res.status, res.headers['content-type'], res.body.code]).toEqual([
      503,
      'application/problem+json',
      'unavailable',
    ]);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  }
  await expectInvariants(traffic.answers, cachedId);
  expect((await api.get('/readyz')).status).toBe(200);
});

test('PostgreSQL ending every connection under load, as a restart does, costs at most a 503 per request caught in it', async () => {
  const cachedId = await cachedItem();
  const traffic = load(cachedId);
  try {
    await sleep(300);
    traffic.phase = 'stopping';
    // "terminating connection due to administrator command" (57P01) for every session, five times.
    for (let i = 0; i < 5; i++) {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
      await sleep(100);
    }
    traffic.phase = 'recovering';
    await until(201, () => create('after the restart'));
    traffic.phase = 'back';
    await sleep(300);
  } finally {
    await traffic.stop();
  }

  await expectInvariants(traffic.answers, cachedId);
  expect(traffic.answers.some((a) => a.phase === 'back')).toBe(true);
});

test('after the outage, a write to a cached item is what the next read shows', async () => {
  const item = (await create('cached before')).body;
  await api.get(`/v1/items/${item.id}`, { token });
  await bouncer.kill();
  expect((await api.get(`/v1/items/${item.id}`, { token })).headers['x-cache']).toBe('HIT');
  await bouncer.restart();

  let patched: TestResponse | undefined;
  await until(200, async () => {
    patched = await api.request('PATCH', `/v1/items/${item.id}`, {
      token,
      json: { price_cents: 777 },
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
    });
    return patched;
  });

  const read = await api.get(`/v1/items/${item.id}`, { token });
  expect([read.status, read.body.price_cents, read.headers.etag]).toEqual([200, 777, '"2"']);
});

test('a connection lost in the middle of a transaction fails that transaction as unavailable, and nothing else', async () => {
  const failed = await db
    .transaction(async (tx) => {
      await tx.query('CREATE TABLE IF NOT EXISTS half_done (v int)');
      await tx.query('INSERT INTO half_done VALUES (1)');
      await bouncer.kill(); // the socket closes while the transaction waits for our next statement
      await sleep(200);
      await bouncer.restart();
    })
    .catch((err: unknown) => err);

  expect(failed).toMatchObject({ code: 'dependency_unavailable', dependency: 'database' });
  expect(await db.query(`SELECT to_regclass('half_done') AS t`)).toEqual([{ t: null }]);
});
