/**
 * The login throttle against a real redis-server: limits per normalised username and per IP bucket,
 * fixed windows that expire, atomic counting, no counter without a TTL, and fail-closed on outage.
 */
import { Redis } from 'ioredis';
import { ApiError } from '../../src/core/errors';
import { LoginThrottle, DEFAULT_LOGIN_LIMITS, ipBucket, type LoginLimits } from '../../src/auth/login-throttle';
import { keys } from '../../src/redis-client';
import { startRedis, type RedisServer } from '../support/redis-server';

let server: RedisServer;
const clients: Redis[] = [];

/** A connection configured like connectRedis's: no offline queue, no retries, so outages fail fast. */
async function connect(): Promise<Redis> {
  const client = new Redis({
    host: server.host,
    port: server.port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
    // No reconnecting: after the server is killed the client ends, leaving no timers behind.
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

let redis: Redis;
const LIMITS: LoginLimits = { maxFailuresPerUser: 3, maxFailuresPerIp: 5, windowSeconds: 900 };
let throttle: LoginThrottle;

beforeAll(async () => {
  server = await startRedis();
  redis = await connect();
});
afterAll(async () => {
  // disconnect() on an already-closed client leaves a 2 s timer behind in ioredis.
  for (const client of clients) if (client.status !== 'end') client.disconnect();
  await server.stop();
});
beforeEach(async () => {
  await redis.flushall();
  throttle = new LoginThrottle(redis, LIMITS);
});

/** Resolves to the ApiError `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

async function fail(times: number, username: string, ip: string, t: LoginThrottle = throttle): Promise<void> {
  for (let i = 0; i < times; i++) await t.recordFailure(username, ip);
}

/** The token endpoint's order of operations, with an in-memory "user table". */
async function login(username: string, password: string, ip: string): Promise<'ok' | 'invalid_grant'> {
  const passwords: Record<string, string> = { alice: 'correct horse battery staple' };
  await throttle.check(username, ip);
  if (passwords[username.trim().toLowerCase()] === password) {
    await throttle.recordSuccess(username);
    return 'ok';
  }
  await throttle.recordFailure(username, ip);
  return 'invalid_grant';
}

describe('ipBucket', () => {
  it('keeps IPv4 as is and maps IPv4-mapped IPv6 to the IPv4', () => {
    expect(ipBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(ipBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(ipBucket('::FFFF:cb00:7107')).toBe('203.0.113.7');
  });

  it('buckets IPv6 by /64 in one canonical spelling', () => {
    expect(ipBucket('2001:db8::1')).toBe('2001:db8::/64');
    expect(ipBucket('2001:0db8:0:0:ffff::2')).toBe('2001:db8::/64');
    expect(ipBucket('2001:DB8:0000:0000:1234:5678:9abc:def0')).toBe('2001:db8::/64');
    expect(ipBucket('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(ipBucket('2001:db8:0:1::1')).not.toBe(ipBucket('2001:db8::1'));
    expect(ipBucket('1:2:3:4:5:6:7:8')).toBe('1:2:3:4::/64');
    expect(ipBucket('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::/64');
    expect(ipBucket('::1')).toBe('::/64');
    expect(ipBucket('fe80::1%eth0')).toBe('fe80::/64');
  });

  it('returns anything unparseable as is', () => {
    for (const s of ['', 'unknown', '[::1]', '1.2.3', '01.2.3.4', '2001:db8::1::2', '::ffff:1.2.3.4.5']) expect(ipBucket(s)).toBe(s);
  });
});

describe('LoginThrottle', () => {
  it('has defaults in the tens, within ASVS 2.2.1 (≤100 failures per account per hour)', () => {
    expect(DEFAULT_LOGIN_LIMITS).toEqual({ maxFailuresPerUser: 10, maxFailuresPerIp: 50, windowSeconds: 900 });
    const perHour = DEFAULT_LOGIN_LIMITS.maxFailuresPerUser * Math.ceil(3600 / DEFAULT_LOGIN_LIMITS.windowSeconds);
    expect(perHour).toBeLessThanOrEqual(100);
  });

  it('refuses nonsensical limits', () => {
    expect(() => new LoginThrottle(redis, { ...LIMITS, windowSeconds: 0 })).toThrow(RangeError);
    expect(() => new LoginThrottle(redis, { ...LIMITS, maxFailuresPerUser: 1.5 })).toThrow(RangeError);
  });

  it('lets attempts through while under the limit', async () => {
    await expect(throttle.check('alice', '192.0.2.1')).resolves.toBeUndefined();
    await fail(LIMITS.maxFailuresPerUser - 1, 'alice', '192.0.2.1');
    await expect(throttle.check('alice', '192.0.2.1')).resolves.toBeUndefined();
  });

  it('refuses with 429 and Retry-After ≈ the window once the limit-th failure is recorded', async () => {
    await fail(LIMITS.maxFailuresPerUser, 'alice', '192.0.2.1');
    const err = await rejection(throttle.check('alice', '192.0.2.99'));
    expect(err.code).toBe('too_many_requests');
    expect(err.status).toBe(429);
    const retry = err.options.retryAfterSeconds!;
    expect(retry).toBeGreaterThanOrEqual(LIMITS.windowSeconds - 2);
    expect(retry).toBeLessThanOrEqual(LIMITS.windowSeconds);
    expect(err.options.detail).toBe(`Too many failed attempts; retry in ${retry} seconds.`);
  });

  it('uses the counter keys from `keys`, with the normalised username and the IP bucket', async () => {
    await throttle.recordFailure('  Alice ', '2001:db8::1');
    expect(keys.loginFailuresByUser('alice')).toBe('rl:login:user:alice');
    expect(keys.loginFailuresByIp('2001:db8::/64')).toBe('rl:login:ip:2001:db8::/64');
    expect((await redis.keys('rl:*')).sort()).toEqual(['rl:login:ip:2001:db8::/64', 'rl:login:user:alice']);
  });

  it('counts "Alice " and "alice" as one user', async () => {
    await throttle.recordFailure('Alice ', '192.0.2.1');
    await throttle.recordFailure('ALICE', '192.0.2.2');
    await throttle.recordFailure(' alice', '192.0.2.3');
    expect((await rejection(throttle.check('alice', '192.0.2.4'))).code).toBe('too_many_requests');
  });

  it('refuses even the right password once over the limit, and the refusal does not reset the counter', async () => {
    for (let i = 0; i < LIMITS.maxFailuresPerUser; i++) expect(await login('alice', 'wrong', '192.0.2.1')).toBe('invalid_grant');
    expect((await rejection(login('alice', 'correct horse battery staple', '192.0.2.1'))).code).toBe('too_many_requests');
    expect((await rejection(login('alice', 'correct horse battery staple', '198.51.100.1'))).code).toBe('too_many_requests');
    expect(await redis.get(keys.loginFailuresByUser('alice'))).toBe(String(LIMITS.maxFailuresPerUser));
  });

  it('treats unknown usernames exactly like real ones', async () => {
    await fail(LIMITS.maxFailuresPerUser, 'alice', '192.0.2.1');
    await fail(LIMITS.maxFailuresPerUser, 'nobody-by-this-name', '192.0.2.2');
    const real = await rejection(throttle.check('alice', '192.0.2.1'));
    const ghost = await rejection(throttle.check('nobody-by-this-name', '192.0.2.2'));
    expect([ghost.code, ghost.status]).toEqual([real.code, real.status]);
    expect(ghost.options.detail?.replace(/\d+/g, 'N')).toBe(real.options.detail?.replace(/\d+/g, 'N'));
  });

  it('leaves other usernames alone, but the IP limit applies across usernames', async () => {
    await fail(LIMITS.maxFailuresPerUser, 'alice', '192.0.2.1');
    await expect(throttle.check('bob', '192.0.2.1')).resolves.toBeUndefined();
    await fail(LIMITS.maxFailuresPerIp - LIMITS.maxFailuresPerUser, 'bob', '192.0.2.1');
    // Five failures from this IP now, none of them carol's: she is refused from here only.
    expect((await rejection(throttle.check('carol', '192.0.2.1'))).code).toBe('too_many_requests');
    await expect(throttle.check('carol', '192.0.2.2')).resolves.toBeUndefined();
  });

  it('shares one bucket across an IPv6 /64, and IPv4 with its IPv4-mapped form', async () => {
    await fail(2, 'u1', '2001:db8::1');
    await fail(2, 'u2', '2001:0db8:0:0:ffff::2');
    await fail(1, 'u3', '2001:db8::abcd:1');
    expect((await rejection(throttle.check('u4', '2001:db8::42'))).code).toBe('too_many_requests');
    await expect(throttle.check('u4', '2001:db8:0:1::1')).resolves.toBeUndefined();

    await fail(3, 'v1', '::ffff:198.51.100.7');
    await fail(2, 'v2', '198.51.100.7');
    expect((await rejection(throttle.check('v3', '198.51.100.7'))).code).toBe('too_many_requests');
    expect((await rejection(throttle.check('v3', '::ffff:198.51.100.7'))).code).toBe('too_many_requests');
  });

  it('resets the username counter on success but not the IP counter', async () => {
    await fail(LIMITS.maxFailuresPerUser - 1, 'alice', '192.0.2.1');
    expect(await login('alice', 'correct horse battery staple', '192.0.2.1')).toBe('ok');
    expect(await redis.exists(keys.loginFailuresByUser('alice'))).toBe(0);
    expect(await redis.get(keys.loginFailuresByIp('192.0.2.1'))).toBe(String(LIMITS.maxFailuresPerUser - 1));
    // alice has a full budget again...
    await fail(LIMITS.maxFailuresPerUser - 1, 'alice', '192.0.2.9');
    await expect(throttle.check('alice', '192.0.2.9')).resolves.toBeUndefined();
    // ...but the IP still counts the failures it made before the success.
    await fail(LIMITS.maxFailuresPerIp - (LIMITS.maxFailuresPerUser - 1), 'mallory', '192.0.2.1');
    expect((await rejection(throttle.check('someone-else', '192.0.2.1'))).code).toBe('too_many_requests');
  });

  it('forgets failures when the window ends', async () => {
    const quick = new LoginThrottle(redis, { ...LIMITS, windowSeconds: 1 });
    await fail(LIMITS.maxFailuresPerUser, 'alice', '192.0.2.1', quick);
    const err = await rejection(quick.check('alice', '192.0.2.1'));
    expect(err.options.retryAfterSeconds).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    await expect(quick.check('alice', '192.0.2.1')).resolves.toBeUndefined();
    expect(await redis.keys('rl:*')).toEqual([]);
  });

  it('uses fixed windows: later failures do not push the expiry back', async () => {
    await throttle.recordFailure('alice', '192.0.2.1');
    await redis.pexpire(keys.loginFailuresByUser('alice'), 100_000);
    await throttle.recordFailure('alice', '192.0.2.1');
    const pttl = await redis.pttl(keys.loginFailuresByUser('alice'));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(100_000);
  });

  it('counts 20 concurrent failures from several instances exactly', async () => {
    const instances = await Promise.all([0, 1, 2, 3].map(async () => new LoginThrottle(await connect(), { ...LIMITS, maxFailuresPerUser: 1000, maxFailuresPerIp: 1000 })));
    await Promise.all(Array.from({ length: 20 }, (_, i) => instances[i % instances.length]!.recordFailure('alice', `2001:db8::${i + 1}`)));
    expect(await redis.get(keys.loginFailuresByUser('alice'))).toBe('20');
    expect(await redis.get(keys.loginFailuresByIp('2001:db8::/64'))).toBe('20');
  });

  it('never leaves a counter without a TTL', async () => {
    await fail(2, 'alice', '192.0.2.1');
    await fail(1, 'bob', '2001:db8::1');
    await throttle.recordSuccess('alice');
    // A counter that lost its expiry (written by hand, older code...) gets one on the next failure.
    await redis.set(keys.loginFailuresByUser('carol'), '7');
    await throttle.recordFailure('carol', '192.0.2.3');
    const counters = await redis.keys('rl:*');
    expect(counters.length).toBeGreaterThanOrEqual(4);
    for (const key of counters) {
      const ttl = await redis.ttl(key);
      expect([key, ttl > 0 && ttl <= LIMITS.windowSeconds]).toEqual([key, true]);
    }
  });

  it('still works after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    await throttle.recordFailure('alice', '192.0.2.1');
    await redis.script('FLUSH');
    await throttle.recordFailure('alice', '192.0.2.1');
    expect(await redis.get(keys.loginFailuresByUser('alice'))).toBe('2');
    expect(await redis.ttl(keys.loginFailuresByUser('alice'))).toBeGreaterThan(0);
  });

  // Last: the server stays down (afterAll only stops it).
  it('fails closed with 503 unavailable when Redis is down', async () => {
    await server.kill();
    for (const attempt of [
      () => throttle.check('alice', '192.0.2.1'),
      () => throttle.recordFailure('alice', '192.0.2.1'),
      () => throttle.recordSuccess('alice'),
    ]) {
      const err = await rejection(attempt());
      expect(err.code).toBe('unavailable');
      expect(err.status).toBe(503);
      expect(err.options.retryAfterSeconds).toBe(5);
      expect(err.options.detail).toBe('The rate limiter cannot be reached.');
      expect(err.cause).toBeDefined();
    }
  });
});
