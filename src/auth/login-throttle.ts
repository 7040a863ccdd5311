/**
 * Brute-force protection for password logins (the token endpoint's password grant) and password
 * changes: fixed-window failure counters in Redis, one per normalised username and one per client
 * IP bucket. RFC 6749 §4.3.2 says the authorization server "MUST protect the endpoint against
 * brute force attacks"; ASVS 4.0.3 2.2.1 allows at most 100 failures per account per hour.
 *
 * How a caller uses it (order matters):
 *   1. `check(username, ip)` BEFORE looking at the password: over the limit, even the right password
 *      is refused, otherwise the limit would only slow an attacker down, not stop the guessing.
 *   2. verify the password (against a dummy hash for unknown users);
 *   3. `recordFailure(username, ip)` on any failure, unknown usernames included, or
 *      `recordSuccess(username)` on success.
 *
 * The throttle never consults the user database, so it behaves identically for existing and
 * unknown usernames and cannot be used to enumerate accounts. Every instance shares the counters
 * through Redis; nothing is kept in process memory. When Redis cannot be reached every method
 * throws 503 `unavailable`: the limiter fails closed instead of letting guesses through unmetered.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Redis } from 'ioredis';
import { ApiError } from '../core/errors';
import { keys } from '../redis-client';
import { normaliseUsername } from '../store/users.repository';

/** The thresholds of a {@link LoginThrottle}. */
export interface LoginLimits {
  /** Failures per normalised username in one window; at this count further attempts are refused. */
  maxFailuresPerUser: number;
  /** Failures per client IP bucket (IPv4 address or IPv6 /64) in one window, across all usernames. */
  maxFailuresPerIp: number;
  /** Length of a fixed window, in seconds, counted from the first failure in it. */
  windowSeconds: number;
}

/**
 * Tens of failures, not thousands: 10 per account per 15 minutes is at most 40 per hour, inside
 * ASVS 4.0.3 2.2.1's ≤100/hour; 50 per IP leaves room for a few users behind one NAT.
 */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = { maxFailuresPerUser: 10, maxFailuresPerIp: 50, windowSeconds: 900 };

/** Seconds a client is asked to wait when the rate limiter is unreachable. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Prefix length of the IPv6 bucket: one /64 is what a single subscriber or host usually gets. */
const IPV6_BUCKET_PREFIX_BITS = 64;

/**
 * The bucket an IP address is counted under.
 *
 * - IPv4: the address as is (`203.0.113.7`).
 * - IPv4-mapped IPv6 (`::ffff:203.0.113.7`, how a dual-stack socket reports IPv4 clients): the IPv4,
 *   so one client is not counted under two names.
 * - Any other IPv6: its /64 prefix in RFC 5952 form plus `/64` (`2001:db8::/64`). A host usually
 *   owns a whole /64 and can pick any of its 2^64 addresses, so per-address counters would be
 *   trivially evaded. Zone ids (`%eth0`) are dropped.
 * - Anything unparseable: the string as is (it still gets a counter of its own).
 */
export function ipBucket(ip: string): string {
  if (net.isIPv4(ip)) return ip;
  if (!net.isIPv6(ip) || !ipaddr.IPv6.isValid(ip)) return ip;
  let address: ipaddr.IPv6;
  try {
    address = ipaddr.IPv6.parse(ip);
  } catch {
    return ip;
  }
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  const groups = address.parts.map((part, i) => (i * 16 < IPV6_BUCKET_PREFIX_BITS ? part : 0));
  return `${formatIPv6(groups)}/${IPV6_BUCKET_PREFIX_BITS}`;
}

/**
 * RFC 5952 §4 text form of eight 16-bit groups: lower-case hex without leading zeros, the longest
 * run (first on a tie) of two or more zero groups replaced by `::`. One address, one spelling.
 */
function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (part: number[]) => part.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/**
 * INCR a counter and give it its window when this INCR created it. One script, one key: atomic
 * (no counter is ever left without an expiry by a crash or timeout between INCR and EXPIRE) and
 * valid on Redis Cluster. The TTL == -1 branch also heals a counter that somehow lost its expiry
 * (e.g. written by hand or by an older version), so no counter can lock an account forever.
 */
const INCR_WITH_WINDOW_LUA = `
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('TTL', KEYS[1]) == -1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
`;

/** Name the script is registered under with ioredis `defineCommand` (EVALSHA, EVAL on NOSCRIPT). */
const INCR_WITH_WINDOW = 'specgateIncrWithWindow';

type ThrottleRedis = Redis & { [INCR_WITH_WINDOW]: (key: string, windowSeconds: number) => Promise<number> };

/** One counter as read by {@link LoginThrottle.check}. */
interface CounterState {
  count: number;
  /** PTTL: remaining milliseconds, -1 without expiry, -2 when the key is gone. */
  pttlMs: number;
}

/**
 * Failure counters per normalised username and per IP bucket, shared by every instance through
 * Redis. Fixed windows: a counter starts at the first failure and expires `windowSeconds` later.
 */
export class LoginThrottle {
  private readonly redis: ThrottleRedis;

  /**
   * @param redis a connection that fails fast when Redis is down (no offline queue), as built by
   *   `connectRedis`; the increment script is registered on it.
   * @param limits thresholds, usually {@link DEFAULT_LOGIN_LIMITS}; must be positive integers.
   */
  constructor(redis: Redis, private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`LoginLimits.${name} must be a positive integer, got ${value}`);
    }
    // Idempotent: registering the same script again on a shared connection only replaces it.
    redis.defineCommand(INCR_WITH_WINDOW, { numberOfKeys: 1, lua: INCR_WITH_WINDOW_LUA });
    this.redis = redis as ThrottleRedis;
  }

  /**
   * Throws 429 `too_many_requests` (with `retryAfterSeconds`) when the username or the IP bucket
   * has reached its failure limit in the current window; call it before checking the password.
   * One round trip: the reads for both counters are issued in the same tick (no MGET: the two keys
   * may hash to different cluster slots). Throws 503 `unavailable` when Redis cannot be reached.
   */
  async check(username: string, ip: string): Promise<void> {
    const [user, byIp] = await this.run(() =>
      Promise.all([this.read(keys.loginFailuresByUser(normaliseUsername(username))), this.read(keys.loginFailuresByIp(ipBucket(ip)))]),
    );
    const over = [
      user.count >= this.limits.maxFailuresPerUser ? user : undefined,
      byIp.count >= this.limits.maxFailuresPerIp ? byIp : undefined,
    ].filter((c): c is CounterState => c !== undefined);
    if (over.length === 0) return;
    // Both may be over: the client can only succeed once every counter it hit has expired.
    const retryAfterSeconds = Math.max(...over.map((c) => this.secondsLeft(c)));
    // The same answer whether the username exists or not, and whichever counter tripped.
    throw new ApiError('too_many_requests', {
      detail: `Too many failed attempts; retry in ${retryAfterSeconds} seconds.`,
      retryAfterSeconds,
    });
  }

  /**
   * Counts one failed attempt against the username and the IP bucket: two single-key scripts sent
   * in the same tick (a pipeline across slots would be refused by a cluster client). Call it for
   * unknown usernames too. Throws 503 `unavailable` when Redis cannot be reached.
   */
  async recordFailure(username: string, ip: string): Promise<void> {
    const window = this.limits.windowSeconds;
    await this.run(() =>
      Promise.all([
        this.redis[INCR_WITH_WINDOW](keys.loginFailuresByUser(normaliseUsername(username)), window),
        this.redis[INCR_WITH_WINDOW](keys.loginFailuresByIp(ipBucket(ip)), window),
      ]),
    );
  }

  /**
   * Clears the username's counter after a successful login. The IP bucket's counter stays: one
   * account the attacker owns must not reset the budget it spends guessing other accounts.
   * Throws 503 `unavailable` when Redis cannot be reached.
   */
  async recordSuccess(username: string): Promise<void> {
    await this.run(() => this.redis.del(keys.loginFailuresByUser(normaliseUsername(username))));
  }

  private async read(key: string): Promise<CounterState> {
    const [raw, pttlMs] = await Promise.all([this.redis.get(key), this.redis.pttl(key)]);
    const count = raw === null ? 0 : Number.parseInt(raw, 10);
    return { count: Number.isNaN(count) ? 0 : count, pttlMs };
  }

  /** Retry-After for a counter over its limit: its remaining TTL rounded up, at least 1 s. */
  private secondsLeft(counter: CounterState): number {
    // No expiry should be impossible (the script always sets one); assume a full window if it happens.
    if (counter.pttlMs === -1) return this.limits.windowSeconds;
    return Math.max(1, Math.ceil(counter.pttlMs / 1000));
  }

  /** Maps any Redis failure to 503: the limiter fails closed. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new ApiError('unavailable', {
        detail: 'The rate limiter cannot be reached.',
        retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
        cause: err,
      });
    }
  }
}
