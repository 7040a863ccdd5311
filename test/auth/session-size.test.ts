/**
 * A session's size and the Redis time of its rotation do not depend on what its client does: one
 * read-only account retrying the refresh token it just rotated, 3,000 times inside the reuse
 * leeway, leaves its session hash at the size it had after the first refresh, is handed the same
 * access token every time, and the script that rotates it costs Redis as much at the 3,000th
 * retry as at the first ones. The Redis time is compared as a ratio of medians of the server's own
 * per-command durations (SLOWLOG with a threshold of 0), on a redis-server of this file's own:
 * medians ignore the odd call preempted on a busy machine, and no wall-clock figure is asserted.
 */

import type { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { type RedisServer, startRedis } from '../support/redis-server';

const RETRIES = 3000;
const WINDOW = 100;
const now = Math.floor(Date.now() / 1000);

let server: RedisServer;
let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startRedis({
    password: 'session-size',
    args: ['--slowlog-log-slower-than', '0', '--slowlog-max-len', String(4 * WINDOW)],
  });
  // A fixed clock: every retry falls inside the reuse leeway.
  t = await startTestApp({ redisServer: server, clock: () => now });
  api = client(t.url);
  await t.createUser('reader', 'reader-password-1', ['items:read']);
});
afterAll(async () => {
  await t?.stop();
  await server?.stop();
});

/** Median Redis-side duration (µs) of the EVALSHA calls on `key` since the last SLOWLOG RESET. */
async function medianScriptMicros(redis: Redis, key: string): Promise<number> {
  const entries = (await redis.call('SLOWLOG', 'GET', String(4 * WINDOW))) as [number, number, number, string[]][];
  const durations = entries
    .filter(([, , , args]) => args[0]?.toUpperCase() === 'EVALSHA' && args.includes(key))
    .map(([, , micros]) => micros)
    .sort((a, b) => a - b);
  expect(durations.length).toBeGreaterThanOrEqual(WINDOW / 2);
  return durations[Math.floor(durations.length / 2)]!;
}

/** Redis's own figure for the scripts it ran since the last CONFIG RESETSTAT (for the log). */
async function evalshaUsecPerCall(redis: Redis): Promise<string> {
  const stats = await redis.info('commandstats');
  return (
    /cmdstat_evalsha:calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/.exec(stats)?.slice(1).join(' calls, µs/call ') ?? '?'
  );
}

it('keeps the session at a constant size and the rotation at a constant Redis cost through 3,000 retries', async () => {
  const login = await api.post('/token', {
    form: { grant_type: 'password', username: 'reader', password: 'reader-password-1' },
  });
  const first = login.body as { access_token: string; refresh_token: string };
  const second = (
    await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token } })
  ).body as { access_token: string; refresh_token: string };
  const key = `auth:session:${decodeJwt(first.access_token).sid}`;
  const size = await t.redis.hlen(key);
  const jtis = new Set<unknown>();

  const retry = async () => {
    const res = await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token } });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBe(second.refresh_token);
    jtis.add(decodeJwt(res.body.access_token).jti);
  };
  const retries = async (n: number) => {
    for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, retry));
  };

  await t.redis.call('SLOWLOG', 'RESET');
  await t.redis.call('CONFIG', 'RESETSTAT');
  await retries(WINDOW);
  const early = await medianScriptMicros(t.redis, key);
  const earlyStats = await evalshaUsecPerCall(t.redis);

  await retries(RETRIES - 2 * WINDOW);

  await t.redis.call('SLOWLOG', 'RESET');
  await t.redis.call('CONFIG', 'RESETSTAT');
  await retries(WINDOW);
  const late = await medianScriptMicros(t.redis, key);
  const lateStats = await evalshaUsecPerCall(t.redis);
  // Commands a script calls count in INFO commandstats too: no rotation read the whole hash.
  const wholeHashReads = /cmdstat_hgetall:calls=(\d+)/.exec(await t.redis.info('commandstats'))?.[1] ?? '0';
  process.stdout.write(
    `ROTATE Redis time, median µs: ${early} (retries 1-${WINDOW}), ${late} (retries ${RETRIES - WINDOW + 1}-${RETRIES}); ` +
      `commandstats evalsha: ${earlyStats} / ${lateStats}\n`,
  );

  expect(await t.redis.hlen(key)).toBe(size);
  expect(wholeHashReads).toBe('0');
  // Before, this hash held one field per retry and each rotation read them all (HGETALL): the
  // median grew with the retries, some hundredfold at 3,000. Now it is the same, give or take noise.
  expect(late).toBeLessThan(early * 4 + 5);
  // Every retry was handed the access token of the rotation it retries.
  expect([...jtis]).toEqual([decodeJwt(second.access_token).jti]);
  // The session still works: the token the retries were handed, and the successor's next rotation.
  expect((await api.get('/me', { token: second.access_token })).status).toBe(200);
  const third = await api.post('/token', {
    form: { grant_type: 'refresh_token', refresh_token: second.refresh_token },
  });
  expect(third.status).toBe(200);
  expect(await t.redis.hlen(key)).toBe(size);
}, 180_000);
