/**
 * The database goes away under load and comes back (issue 12). The service's database sits behind
 * a real PgBouncer, which the test SIGKILLs and starts again on the same port: to specgate that is
 * what a PostgreSQL restart looks like (open connections reset, new ones refused, then accepted).
 *
 * While a client keeps sending reads and writes: operations that need the database answer 503
 * problem+json with Retry-After (never a 500, never a write acknowledged that was not stored),
 * /readyz says the database is down, cached reads keep being served, and once the database is back
 * the same specgate process serves everything again, with no stale cache entry.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { type Database, openDatabase } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { startTestApp, type TestApp } from '../support/app';
import { client, type TestResponse } from '../support/contract';
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

/**
 * 'stopping' and 'recovering' are the moments of change, and 'straddling' a request that began in
 * one phase and ended in another: what answers then is only held to "never a 500".
 */
type Phase = 'up' | 'stopping' | 'down' | 'recovering' | 'back' | 'straddling';
interface Answer {
  kind: 'cached read' | 'uncached read' | 'write';
  phase: Phase;
  res: TestResponse;
}

const create = (name: string) => api.post('/v1/items', { token, json: { name, category: 'outage', price_cents: 100 } });

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

test('under a mixed load, a database outage is 503 for what needs it, cached reads go on, and the service recovers by itself', async () => {
  const cachedItem = (await create('cached')).body;
  await api.get(`/v1/items/${cachedItem.id}`, { token }); // fills the cache
  expect((await api.get(`/v1/items/${cachedItem.id}`, { token })).headers['x-cache']).toBe('HIT');

  // The load: three clients in a loop, each request tagged with the phase it started and ended in.
  let phase: Phase = 'up';
  let running = true;
  let n = 0;
  const answers: Answer[] = [];
  const send = async (kind: Answer['kind'], request: () => Promise<TestResponse>) => {
    const startedIn = phase;
    const res = await request();
    answers.push({ kind, phase: startedIn === phase ? phase : 'straddling', res });
  };
  const loop = async (step: () => Promise<void>) => {
    while (running) await step();
  };
  const load = Promise.all([
    loop(() => send('cached read', () => api.get(`/v1/items/${cachedItem.id}`, { token }))),
    // A fresh id each time is never in the cache: it needs the database (404 when it is up).
    loop(() =>
      send('uncached read', () =>
        api.get(`/v1/items/00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, { token }),
      ),
    ),
    loop(() => send('write', () => create(`load ${++n}`))),
  ]);

  try {
    await sleep(500);
    phase = 'stopping';
    await bouncer.kill();
    phase = 'down';
    await sleep(1_500);

    const ready = await api.get('/readyz');
    expect([ready.status, ready.body.checks]).toEqual([503, { redis: 'up', database: 'down' }]);
    expect(Number(ready.headers['retry-after'])).toBeGreaterThan(0);

    phase = 'recovering';
    await bouncer.restart();
    await until(201, () => create('after the outage'));
    phase = 'back';
    await sleep(500);
  } finally {
    running = false;
    await load;
  }

  const during = answers.filter((a) => a.phase === 'down');
  const of = (kind: Answer['kind'], p: Phase) => answers.filter((a) => a.kind === kind && a.phase === p);
  for (const kind of ['cached read', 'uncached read', 'write'] as const)
    expect(of(kind, 'down').length).toBeGreaterThan(0);
  // While the database is down: what needs it is 503 problem+json with Retry-After, nothing else.
  for (const { res } of during.filter((a) => a.kind !== 'cached read')) {
    expect([res.status, res.headers['content-type'], res.body.code]).toEqual([
      503,
      'application/problem+json',
      'unavailable',
    ]);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  }
  // …and the cached item is still served, from the cache.
  for (const { res } of of('cached read', 'down')) {
    expect([res.status, res.headers['x-cache'], res.body.id]).toEqual([200, 'HIT', cachedItem.id]);
  }
  // Never a 500, in any phase; before and after the outage everything succeeds.
  expect(answers.filter((a) => a.res.status >= 500 && a.res.status !== 503)).toEqual([]);
  for (const p of ['up', 'back'] as const) {
    expect(new Set(of('write', p).map((a) => a.res.status))).toEqual(new Set([201]));
    expect(new Set(of('uncached read', p).map((a) => a.res.status))).toEqual(new Set([404]));
  }
  // Every acknowledged write is stored; none answered 503 was.
  const stored = await db.query<{ name: string }>(`SELECT name FROM items WHERE category = 'outage'`);
  const names = new Set(stored.map((r) => r.name));
  for (const { res } of answers.filter((a) => a.kind === 'write')) {
    if (res.status === 201) expect(names.has(res.body.name)).toBe(true);
  }
  expect((await api.get('/readyz')).status).toBe(200);
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
