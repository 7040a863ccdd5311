/**
 * Acting on every session of a user costs one read of their index, then one pipelined round trip
 * per 500 sessions (README, "Session cap"), never a round trip per session: an administrator who
 * disables, logs out or narrows a user with a thousand sessions waits a few round trips, not a
 * thousand. Round trips are counted as writes on the app's own Redis socket (test/support/redis-wire.ts).
 */
import { randomUUID } from 'node:crypto';
import { SessionStore } from '../../../src/auth/sessions';
import type { TestApp } from '../../support/app';
import type { client } from '../../support/contract';
import { type WireCommand, watchWrites } from '../../support/redis-wire';
import { startAdminApp } from './admin-app';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;

// Above the default cap on purpose: sessions are seeded straight into the store, and the cap
// (which ends the oldest on a login) must not thin them out before the operation under test.
beforeAll(async () => void ({ t, api, admin } = await startAdminApp({ env: { MAX_SESSIONS_PER_USER: '5000' } })));
afterAll(() => t.stop());

const BATCH = 500;
const SEED_CHUNK = 100;
const merge = { 'content-type': 'application/merge-patch+json' };

/**
 * A user with `n` sessions: one real login (its access token is returned) and `n - 1` recorded
 * straight through a SessionStore on the app's connection, as `n - 1` logins would record them,
 * without paying for `n - 1` password hashes.
 */
async function userWithSessions(username: string, n: number, scopes: string[]) {
  const id = await t.createUser(username, `${username}-password-1`, scopes);
  const token = await api.login(username, `${username}-password-1`);
  const store = new SessionStore(t.redis, { idleSeconds: 3600, absoluteSeconds: 86_400, maxPerUser: 10_000 }, () =>
    Math.floor(Date.now() / 1000),
  );
  const now = Math.floor(Date.now() / 1000);
  // A hundred at a time: twelve hundred at once queue behind each other past the connection's
  // command timeout on a loaded machine (the seeding is not what is measured).
  for (let seeded = 0; seeded < n - 1; seeded += SEED_CHUNK) {
    await Promise.all(
      Array.from({ length: Math.min(SEED_CHUNK, n - 1 - seeded) }, () =>
        store.create({
          sid: randomUUID(),
          sub: id,
          clientId: 'specgate',
          scope: scopes.join(' '),
          jti: randomUUID(),
          accessExp: now + 600,
          refreshHash: randomUUID(),
          now,
          absExp: now + 86_400,
        }),
      ),
    );
  }
  const sids = await t.redis.zrange(`auth:user:${id}:session-index`, '0', '-1');
  expect(sids).toHaveLength(n);
  return { id, token, sids };
}

/** The writes the app's Redis connection makes while `act` runs. */
async function writesDuring(act: () => Promise<unknown>): Promise<WireCommand[][]> {
  const watch = watchWrites(t.redis);
  try {
    await act();
  } finally {
    watch.stop();
  }
  return watch.writes;
}

/**
 * Checks the shape the README promises: the commands aimed at the user's sessions travel in
 * ceil(n / 500) writes of at most 500 sessions each, covering every session once, and the whole
 * request writes at most two other times (the bearer check of the admin's token, the read of
 * the index). Returns nothing: it asserts.
 */
function expectBatched(writes: WireCommand[][], sids: string[]) {
  const mine = new Set(sids.map((sid) => `auth:session:${sid}`));
  const perWrite = writes.map((w) => w.flatMap((c) => c.slice(1).filter((a) => mine.has(a))));
  const batches = perWrite.filter((keys) => keys.length > 0);
  expect(batches).toHaveLength(Math.ceil(sids.length / BATCH));
  for (const keys of batches) expect(keys.length).toBeLessThanOrEqual(BATCH);
  expect(batches.flat().sort()).toEqual([...mine].sort());
  expect(writes.length).toBeLessThanOrEqual(2 + Math.ceil(sids.length / BATCH));
}

/** How many of these sessions still exist in Redis, asked in one pipeline. */
async function live(sids: string[]): Promise<number> {
  const p = t.redis.pipeline();
  for (const sid of sids) p.exists(`auth:session:${sid}`);
  return ((await p.exec()) ?? []).reduce((sum, [, found]) => sum + Number(found), 0);
}

/** The bearer check of `token` fails as for an ended session. */
async function expectEnded(token: string) {
  const res = await api.get('/v1/items', { token });
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('invalid_token');
}

// 1 is the floor; 1200 is two full batches and a partial one.
describe.each([1, 1200])('with %i sessions', (n) => {
  it('disabling the user ends every session in one round trip per batch', async () => {
    const { id, token, sids } = await userWithSessions(`disabled-${n}`, n, ['items:read']);
    const writes = await writesDuring(async () => {
      expect(
        (await api.request('PATCH', `/v1/users/${id}`, { token: admin, json: { disabled: true }, headers: merge }))
          .status,
      ).toBe(200);
    });
    expectBatched(writes, sids);
    expect(await live(sids)).toBe(0);
    expect(await t.redis.exists(`auth:user:${id}:session-index`)).toBe(0);
    await expectEnded(token);
  });

  it('DELETE /v1/users/{id}/sessions ends every session in one round trip per batch', async () => {
    const { id, token, sids } = await userWithSessions(`logged-out-${n}`, n, ['items:read']);
    const writes = await writesDuring(async () => {
      expect((await api.request('DELETE', `/v1/users/${id}/sessions`, { token: admin })).status).toBe(204);
    });
    expectBatched(writes, sids);
    expect(await live(sids)).toBe(0);
    expect((await api.get(`/v1/users/${id}/sessions`, { token: admin })).body.sessions).toEqual([]);
    await expectEnded(token);
  });

  it('deleting the user ends every session in one round trip per batch', async () => {
    const { id, token, sids } = await userWithSessions(`deleted-${n}`, n, ['items:read']);
    const writes = await writesDuring(async () => {
      expect((await api.request('DELETE', `/v1/users/${id}`, { token: admin })).status).toBe(204);
    });
    expectBatched(writes, sids);
    expect(await live(sids)).toBe(0);
    await expectEnded(token);
  });

  it('removing a scope narrows every session in one round trip per batch, ending none', async () => {
    const { id, token, sids } = await userWithSessions(`narrowed-${n}`, n, ['items:read', 'items:write']);
    const writes = await writesDuring(async () => {
      expect(
        (
          await api.request('PATCH', `/v1/users/${id}`, {
            token: admin,
            json: { scopes: ['items:read'] },
            headers: merge,
          })
        ).status,
      ).toBe(200);
    });
    expectBatched(writes, sids);
    const p = t.redis.pipeline();
    for (const sid of sids) p.hget(`auth:session:${sid}`, 'scope');
    expect(new Set(((await p.exec()) ?? []).map(([, scope]) => scope))).toEqual(new Set(['items:read']));
    expect((await api.get('/v1/items', { token })).status).toBe(200);
    const write = await api.post('/v1/items', { token, json: { name: 'not allowed' } });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('insufficient_scope');
  });
});
