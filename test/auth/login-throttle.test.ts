/**
 * The login throttle against a real redis-server: reserve-first counters per (username, address)
 * pair, per address and per username (the ceiling, with known addresses exempt), refunds on
 * success and refusal, fixed windows, atomic under concurrency, no counter without a TTL, one
 * cluster slot per script, and fail-closed on outage.
 */
import { Redis } from 'ioredis';
import {
  DEFAULT_LOGIN_LIMITS,
  IN_FLIGHT_RETRY_SECONDS,
  type LoginAttempt,
  type LoginLimits,
  LoginThrottle,
} from '../../src/auth/login-throttle';
import { ApiError, renderError } from '../../src/core/errors';
import { ipBucket, UNPARSEABLE_BUCKET } from '../../src/http/ip-bucket';
import { keys } from '../../src/store/redis-keys';
import { type RedisServer, startRedis } from '../support/redis-server';

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
const LIMITS: LoginLimits = {
  maxFailuresPerUserAndIp: 3,
  maxFailuresPerIp: 5,
  windowSeconds: 900,
  maxFailuresPerUser: 8,
  userWindowSeconds: 3600,
  knownAddressSeconds: 86400,
};
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

/** `times` failed attempts (reserved, password wrong, so the reservation stays). */
async function fail(times: number, username: string, ip: string, t: LoginThrottle = throttle): Promise<void> {
  for (let i = 0; i < times; i++) await (await t.reserve(username, ip)).failed();
}

/** The token endpoint's order of operations, with an in-memory "user table". */
async function login(username: string, password: string, ip: string): Promise<'ok' | 'invalid_grant'> {
  const attempt: LoginAttempt = await throttle.reserve(username, ip);
  if (username.trim().toLowerCase() === 'alice' && password === 'correct horse battery staple') {
    await attempt.succeeded();
    return 'ok';
  }
  await attempt.failed();
  return 'invalid_grant';
}

const count = async (key: string) => Number((await redis.get(key)) ?? 0);

/**
 * What Redis Cluster hashes a key by (cluster spec, "hash tags"): the text between the first `{`
 * and the next `}` when that is not empty, else the whole key. Equal → same slot.
 */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
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

  it('buckets every spelling of one address alike: ports, brackets and zero padding dropped', () => {
    for (const s of [
      '203.0.113.9:51000',
      '0203.0.113.9',
      '203.000.113.009',
      ' 203.0.113.9 ',
      '[::ffff:203.0.113.9]:443',
    ])
      expect(ipBucket(s)).toBe('203.0.113.9');
    for (const s of ['[2001:db8::1]:443', '[2001:db8::1]', '[2001:db8::2%eth0]:8080'])
      expect(ipBucket(s)).toBe('2001:db8::/64');
    expect(ipBucket('[::1]')).toBe('::/64');
  });

  it('counts anything unparseable in one shared bucket', () => {
    const odd = [
      '',
      'unknown',
      'garbage',
      '1.2.3',
      '256.1.1.1',
      '0x7f.0.0.1',
      '2001:db8::1::2',
      '::ffff:1.2.3.4.5',
      '1.2.3.4:port',
    ];
    expect(new Set(odd.map(ipBucket))).toEqual(new Set([UNPARSEABLE_BUCKET]));
  });
});

describe('LoginThrottle', () => {
  it('has defaults within ASVS 2.2.1 (≤100 failures per account per hour), the pair limit the tightest', () => {
    const d = DEFAULT_LOGIN_LIMITS;
    expect(d).toEqual({
      maxFailuresPerUserAndIp: 10,
      maxFailuresPerIp: 50,
      windowSeconds: 900,
      maxFailuresPerUser: 100,
      userWindowSeconds: 3600,
      knownAddressSeconds: 30 * 86400,
    });
    expect(d.maxFailuresPerUser * Math.ceil(3600 / d.userWindowSeconds)).toBeLessThanOrEqual(100);
    // One address spends its pair and address budgets long before it could reach the ceiling.
    expect(d.maxFailuresPerUserAndIp * Math.ceil(d.userWindowSeconds / d.windowSeconds)).toBeLessThan(
      d.maxFailuresPerUser,
    );
    expect(d.maxFailuresPerIp).toBeLessThan(d.maxFailuresPerUser);
  });

  it('refuses nonsensical limits', () => {
    expect(() => new LoginThrottle(redis, { ...LIMITS, windowSeconds: 0 })).toThrow(RangeError);
    expect(() => new LoginThrottle(redis, { ...LIMITS, maxFailuresPerUserAndIp: 1.5 })).toThrow(RangeError);
    expect(() => new LoginThrottle(redis, { ...LIMITS, knownAddressSeconds: -1 })).toThrow(RangeError);
    expect(() => new LoginThrottle(redis, { ...LIMITS, knownAddressSeconds: 0 })).not.toThrow();
  });

  it('refuses with a Retry-After of seconds while only attempts in flight fill a limit; failures keep the window', async () => {
    const inFlight = [];
    for (let i = 0; i < LIMITS.maxFailuresPerUserAndIp; i++) inFlight.push(await throttle.reserve('dana', '192.0.2.8'));
    const busy = await rejection(throttle.reserve('dana', '192.0.2.8'));
    expect([busy.code, busy.options.retryAfterSeconds]).toEqual(['too_many_requests', IN_FLIGHT_RETRY_SECONDS]);
    // One of them failed: the limit is still full, of one failure and attempts in flight.
    await inFlight[0]!.failed();
    expect((await rejection(throttle.reserve('dana', '192.0.2.8'))).options.retryAfterSeconds).toBe(
      IN_FLIGHT_RETRY_SECONDS,
    );
    for (const attempt of inFlight.slice(1)) await attempt.failed();
    const failed = await rejection(throttle.reserve('dana', '192.0.2.8'));
    expect(failed.options.retryAfterSeconds).toBeGreaterThan(LIMITS.windowSeconds - 5);
    // Settled attempts leave no in-flight count behind.
    const pair = keys.loginAttemptsByUserAndIp('dana', '192.0.2.8');
    expect(await redis.exists(keys.loginInFlight(pair))).toBe(0);
  });

  it('reserves up to the pair limit, then refuses with 429, Retry-After ≈ the window and the RateLimit fields', async () => {
    await fail(LIMITS.maxFailuresPerUserAndIp, 'alice', '192.0.2.1');
    const err = await rejection(throttle.reserve('alice', '192.0.2.1'));
    expect([err.code, err.status]).toEqual(['too_many_requests', 429]);
    const retry = err.options.retryAfterSeconds!;
    expect(retry).toBeGreaterThanOrEqual(LIMITS.windowSeconds - 2);
    expect(retry).toBeLessThanOrEqual(LIMITS.windowSeconds);
    expect(err.options.headers).toEqual({
      'ratelimit-policy': '"pair";q=3;w=900, "ip";q=5;w=900, "user";q=8;w=3600',
      ratelimit: `"pair";r=0;t=${retry}, "ip";r=2;t=${retry}, "user";r=5;t=3600`,
    });
    // The refused attempt gave back what it had reserved on the other counters.
    expect(await count(keys.loginAttemptsByIp('192.0.2.1'))).toBe(3);
    expect(await count(keys.loginAttemptsByUser('alice'))).toBe(3);
  });

  it('keys every counter by the normalised username and the IP bucket; per-user keys share one cluster slot', async () => {
    await fail(1, '  Alice ', '2001:db8::1');
    await fail(1, 'ALICE', '2001:db8::2');
    expect(await count(keys.loginAttemptsByUserAndIp('alice', '2001:db8::/64'))).toBe(2);
    expect(await count(keys.loginAttemptsByIp('2001:db8::/64'))).toBe(2);
    expect(await count(keys.loginAttemptsByUser('alice'))).toBe(2);
    expect((await redis.keys('rl:*')).sort()).toEqual([
      'rl:login:ip:2001:db8::/64',
      'rl:login:pair:{u:alice}:2001:db8::/64',
      'rl:login:user:{u:alice}',
    ]);
    // The ceiling's script reads the counter and the known-address marker: one slot, even for a
    // username with braces in it (percent-encoded, so it cannot end the hash tag early).
    for (const name of ['alice', '}{weird}', '{}', '']) {
      const tag = hashedPart(keys.loginAttemptsByUser(name));
      // Each counter's in-flight count shares its counter's slot.
      for (const counter of [
        keys.loginAttemptsByUser(name),
        keys.loginAttemptsByUserAndIp(name, '192.0.2.1'),
        keys.loginAttemptsByIp('192.0.2.1'),
      ])
        expect(hashedPart(keys.loginInFlight(counter))).toBe(hashedPart(counter));
      expect([name, hashedPart(keys.loginKnownAddress(name, '192.0.2.1'))]).toEqual([name, tag]);
      expect(tag).not.toBe(keys.loginAttemptsByUser(name));
    }
  });

  it('refuses even the right password at the limit, and the refusal does not count', async () => {
    for (let i = 0; i < LIMITS.maxFailuresPerUserAndIp; i++)
      expect(await login('alice', 'wrong', '192.0.2.1')).toBe('invalid_grant');
    expect((await rejection(login('alice', 'correct horse battery staple', '192.0.2.1'))).code).toBe(
      'too_many_requests',
    );
    expect(await count(keys.loginAttemptsByUserAndIp('alice', '192.0.2.1'))).toBe(LIMITS.maxFailuresPerUserAndIp);
  });

  it('treats unknown usernames exactly like real ones', async () => {
    await fail(LIMITS.maxFailuresPerUserAndIp, 'alice', '192.0.2.1');
    await fail(LIMITS.maxFailuresPerUserAndIp, 'nobody-by-this-name', '192.0.2.2');
    const real = await rejection(throttle.reserve('alice', '192.0.2.1'));
    const ghost = await rejection(throttle.reserve('nobody-by-this-name', '192.0.2.2'));
    expect([ghost.code, ghost.status, ghost.options.headers]).toEqual([real.code, real.status, real.options.headers]);
  });

  it("an attacker's exhausted address does not lock the owner's address out", async () => {
    await fail(LIMITS.maxFailuresPerUserAndIp, 'alice', '203.0.113.66');
    expect((await rejection(throttle.reserve('alice', '203.0.113.66'))).code).toBe('too_many_requests');
    expect(await login('alice', 'correct horse battery staple', '192.0.2.10')).toBe('ok');
  });

  it('the address limit applies across usernames', async () => {
    await fail(LIMITS.maxFailuresPerUserAndIp, 'alice', '192.0.2.1');
    await fail(LIMITS.maxFailuresPerIp - LIMITS.maxFailuresPerUserAndIp, 'bob', '192.0.2.1');
    const err = await rejection(throttle.reserve('carol', '192.0.2.1'));
    expect(err.options.headers?.ratelimit).toMatch(/^"pair";r=3;t=900, "ip";r=0;t=\d+, "user";r=8;t=3600$/);
    await expect(throttle.reserve('carol', '192.0.2.2')).resolves.toBeDefined();
  });

  it('shares one bucket across an IPv6 /64, and IPv4 with its IPv4-mapped form', async () => {
    await fail(2, 'u1', '2001:db8::1');
    await fail(2, 'u2', '2001:0db8:0:0:ffff::2');
    await fail(1, 'u3', '2001:db8::abcd:1');
    expect((await rejection(throttle.reserve('u4', '2001:db8::42'))).code).toBe('too_many_requests');
    await expect(throttle.reserve('u4', '2001:db8:0:1::1')).resolves.toBeDefined();
    await fail(3, 'v1', '::ffff:198.51.100.7');
    await fail(2, 'v2', '198.51.100.7');
    expect((await rejection(throttle.reserve('v3', '198.51.100.7'))).code).toBe('too_many_requests');
    expect((await rejection(throttle.reserve('v3', '::ffff:198.51.100.7'))).code).toBe('too_many_requests');
  });

  it('the username ceiling stops a distributed attack, except from an address the owner logged in from', async () => {
    expect(await login('alice', 'correct horse battery staple', '192.0.2.10')).toBe('ok');
    // Eight attacker addresses, one failure each: the ceiling (8) is reached, no pair or address limit is.
    for (let i = 1; i <= LIMITS.maxFailuresPerUser; i++) await fail(1, 'alice', `203.0.113.${i}`);
    const fromNewAddress = await rejection(throttle.reserve('alice', '198.51.100.1'));
    expect(fromNewAddress.options.headers?.ratelimit).toMatch(/"user";r=0;t=\d+$/);
    expect(fromNewAddress.options.retryAfterSeconds).toBeGreaterThan(LIMITS.windowSeconds);
    // The owner's usual address is exempt from the ceiling (the policy is not even reported) ...
    expect(await login('alice', 'correct horse battery staple', '192.0.2.10')).toBe('ok');
    await fail(LIMITS.maxFailuresPerUserAndIp, 'alice', '192.0.2.10');
    // ... but still has its own pair limit.
    const err = await rejection(throttle.reserve('alice', '192.0.2.10'));
    expect(err.options.headers?.['ratelimit-policy']).toBe('"pair";q=3;w=900, "ip";q=5;w=900');
    expect(await count(keys.loginAttemptsByUser('alice'))).toBe(LIMITS.maxFailuresPerUser);
  });

  it('with knownAddressSeconds 0 no address is exempt', async () => {
    const strict = new LoginThrottle(redis, { ...LIMITS, knownAddressSeconds: 0 });
    await (await strict.reserve('alice', '192.0.2.10')).succeeded();
    expect(await redis.keys('rl:login:known:*')).toEqual([]);
    for (let i = 1; i <= LIMITS.maxFailuresPerUser; i++) await fail(1, 'alice', `203.0.113.${i}`, strict);
    expect((await rejection(strict.reserve('alice', '192.0.2.10'))).code).toBe('too_many_requests');
  });

  it('a success clears its pair counter, gives back its own units and remembers the address', async () => {
    await fail(LIMITS.maxFailuresPerUserAndIp - 1, 'alice', '192.0.2.1');
    expect(await login('alice', 'correct horse battery staple', '192.0.2.1')).toBe('ok');
    expect(await redis.exists(keys.loginAttemptsByUserAndIp('alice', '192.0.2.1'))).toBe(0);
    // The failures before it still count for the address and the username: only the success's own unit went back.
    expect(await count(keys.loginAttemptsByIp('192.0.2.1'))).toBe(LIMITS.maxFailuresPerUserAndIp - 1);
    expect(await count(keys.loginAttemptsByUser('alice'))).toBe(LIMITS.maxFailuresPerUserAndIp - 1);
    const ttl = await redis.ttl(keys.loginKnownAddress('alice', '192.0.2.1'));
    expect(ttl).toBeGreaterThan(LIMITS.knownAddressSeconds - 5);
    // A full pair budget again.
    await fail(LIMITS.maxFailuresPerUserAndIp, 'alice', '192.0.2.1');
    expect((await rejection(throttle.reserve('alice', '192.0.2.1'))).code).toBe('too_many_requests');
  });

  it('an attempt released without a verdict gives back every unit, its pair included', async () => {
    await fail(2, 'alice', '192.0.2.1');
    const attempt = await throttle.reserve('alice', '192.0.2.1');
    await attempt.released();
    expect(await count(keys.loginAttemptsByUserAndIp('alice', '192.0.2.1'))).toBe(2);
    expect(await count(keys.loginAttemptsByIp('192.0.2.1'))).toBe(2);
    expect(await count(keys.loginAttemptsByUser('alice'))).toBe(2);
    expect(await redis.exists(keys.loginKnownAddress('alice', '192.0.2.1'))).toBe(0);
  });

  it('forgets attempts when the window ends', async () => {
    const quick = new LoginThrottle(redis, { ...LIMITS, windowSeconds: 1, userWindowSeconds: 1 });
    await fail(LIMITS.maxFailuresPerUserAndIp, 'alice', '192.0.2.1', quick);
    const err = await rejection(quick.reserve('alice', '192.0.2.1'));
    expect(err.options.retryAfterSeconds).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(await redis.keys('rl:*')).toEqual([]);
    await expect(quick.reserve('alice', '192.0.2.1')).resolves.toBeDefined();
  });

  it('uses fixed windows: later attempts do not push the expiry back', async () => {
    await fail(1, 'alice', '192.0.2.1');
    await redis.pexpire(keys.loginAttemptsByUserAndIp('alice', '192.0.2.1'), 100_000);
    await fail(1, 'alice', '192.0.2.1');
    const pttl = await redis.pttl(keys.loginAttemptsByUserAndIp('alice', '192.0.2.1'));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(100_000);
  });

  it('reserves exactly the limit out of 40 concurrent attempts from four instances', async () => {
    const instances = await Promise.all(
      [0, 1, 2, 3].map(
        async () =>
          new LoginThrottle(await connect(), {
            ...LIMITS,
            maxFailuresPerUserAndIp: 10,
            maxFailuresPerIp: 1000,
            maxFailuresPerUser: 1000,
          }),
      ),
    );
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => instances[i % 4]!.reserve('alice', '192.0.2.1')),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
    expect(
      outcomes
        .filter((o) => o.status === 'rejected')
        .every((o) => (o as PromiseRejectedResult).reason.code === 'too_many_requests'),
    ).toBe(true);
    expect(await count(keys.loginAttemptsByUserAndIp('alice', '192.0.2.1'))).toBe(10);
    // Every refusal gave its units back: the other counters hold the 10 verified attempts only.
    expect(await count(keys.loginAttemptsByIp('192.0.2.1'))).toBe(10);
    expect(await count(keys.loginAttemptsByUser('alice'))).toBe(10);
  });

  it('never leaves a counter without a TTL, and heals one that lost it', async () => {
    await fail(2, 'alice', '192.0.2.1');
    await login('alice', 'correct horse battery staple', '192.0.2.1');
    await fail(1, 'bob', '2001:db8::1');
    await redis.set(keys.loginAttemptsByUserAndIp('carol', '192.0.2.3'), String(LIMITS.maxFailuresPerUserAndIp));
    expect((await rejection(throttle.reserve('carol', '192.0.2.3'))).code).toBe('too_many_requests');
    const counters = await redis.keys('rl:*');
    expect(counters.length).toBeGreaterThanOrEqual(6);
    for (const key of counters) {
      const ttl = await redis.ttl(key);
      expect([key, ttl > 0]).toEqual([key, true]);
    }
  });

  it('still works after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    await fail(1, 'alice', '192.0.2.1');
    await redis.script('FLUSH');
    await fail(1, 'alice', '192.0.2.1');
    expect(await count(keys.loginAttemptsByUserAndIp('alice', '192.0.2.1'))).toBe(2);
  });

  // Last: the server stays down (afterAll only stops it).
  it('fails closed with 503 unavailable when Redis is down', async () => {
    const attempt = await throttle.reserve('alice', '192.0.2.1');
    await server.kill();
    for (const call of [
      () => throttle.reserve('alice', '192.0.2.1'),
      () => attempt.succeeded(),
      () => attempt.released(),
    ]) {
      const err = await call().then(
        () => {
          throw new Error('expected a rejection');
        },
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'dependency_unavailable', dependency: 'redis' });
      expect((err as Error).cause).toBeDefined();
      const answer = renderError(err, { format: 'oauth', instance: '/token', requestId: 'r' });
      expect([answer.status, answer.headers['retry-after'], JSON.parse(answer.body).error]).toEqual([
        503,
        '5',
        'temporarily_unavailable',
      ]);
    }
  });
});
