/**
 * Brute-force protection for password logins (the token endpoint's password grant) and password
 * changes. RFC 6749 §4.3.2: the authorization server "MUST protect the endpoint against brute
 * force attacks"; ASVS 4.0.3 2.2.1 allows at most 100 failures per account per hour. The shape
 * follows the OWASP Authentication Cheat Sheet and rate-limiter-flexible's login-protection recipe:
 *
 *  - `pair`: attempts per (normalised username, client IP bucket): the tight limit (10 / 15 min).
 *  - `ip`:   attempts per client IP bucket across all usernames: stops one address spraying (50).
 *  - `user`: attempts per username from every address: a ceiling (100 / hour) that slows a
 *    distributed attack. An address that logged in to that user recently (`knownAddressSeconds`)
 *    is exempt from it, so no attacker can lock the owner out from the owner's usual address;
 *    that address still has its own pair limit.
 *
 * Reserve first: {@link LoginThrottle.reserve} counts the attempt atomically BEFORE the password
 * is verified, and refuses once a counter is at its limit. So N parallel attempts, on any number
 * of instances, verify at most the limit: a counter never passes its limit, and every verified
 * attempt holds one unit of it. A success clears its pair counter and gives back its units of the
 * others ({@link LoginAttempt.succeeded}); a failure keeps them (the reservation IS the count).
 *
 * So a counter at its limit may be full of attempts still being verified, not of failures: N
 * parallel logins with the right password fill the pair limit for a moment. Each counter has an
 * in-flight count beside it (same slot), raised by the reservation and lowered when the attempt
 * settles. A refusal that failures alone would not cause says so and asks for a retry in
 * {@link IN_FLIGHT_RETRY_SECONDS}, not in the window's remaining minutes (RFC 9110 §10.2.3: the
 * client should wait only as long as it has to).
 *
 * Each counter is one key, changed by one Lua script (atomic, expiry set in the same script, valid
 * on a Redis Cluster); the ceiling's exemption marker shares the username's hash tag, so the script
 * that reads both touches one slot. Own scripts rather than rate-limiter-flexible: two short scripts
 * (reserve, which also honours the exemption, and refund) give exactly these semantics without a
 * dependency and its RESP3 caveats.
 *
 * The throttle never consults the user database: unknown usernames are counted exactly like real
 * ones, so it cannot be used to enumerate accounts. Nothing is kept in process memory. When Redis
 * cannot be reached every method throws 503 `unavailable`: the limiter fails closed.
 */
import type { Redis } from 'ioredis';
import { ApiError, DependencyUnavailableError } from '../core/errors';
import { normaliseUsername } from '../core/username';
import { ipBucket } from '../http/ip-bucket';
import { withScripts } from '../store/redis';
import { keys } from '../store/redis-keys';
import { type RateLimitState, rateLimitFields } from './rate-limit-fields';

/** The thresholds of a {@link LoginThrottle}. */
export interface LoginLimits {
  /** Failed attempts per (normalised username, IP bucket) in one window (LOGIN_MAX_FAILURES_PER_USER_IP). */
  maxFailuresPerUserAndIp: number;
  /** Failed attempts per IP bucket (IPv4 address or IPv6 /64) in one window, across all usernames. */
  maxFailuresPerIp: number;
  /** Window of the pair and IP counters, in seconds, counted from the first attempt in it. */
  windowSeconds: number;
  /** Failed attempts per username from all addresses in one user window: the ceiling. */
  maxFailuresPerUser: number;
  /** Window of the ceiling, in seconds. */
  userWindowSeconds: number;
  /** How long an address that logged in to a user stays exempt from that user's ceiling; 0: never. */
  knownAddressSeconds: number;
}

/**
 * 10 per pair per 15 minutes; 50 per address leaves room for a few users behind one NAT; the
 * ceiling of 100 per hour is ASVS 4.0.3 2.2.1's maximum and above what one address can spend.
 */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  maxFailuresPerUserAndIp: 10,
  maxFailuresPerIp: 50,
  windowSeconds: 900,
  maxFailuresPerUser: 100,
  userWindowSeconds: 3600,
  knownAddressSeconds: 30 * 86400,
};

/** How soon a client refused only because of attempts in flight may retry: they settle in well under this. */
export const IN_FLIGHT_RETRY_SECONDS = 2;
/**
 * How long an in-flight unit outlives the last reservation when its attempt never settles (the
 * instance died mid-verification): far longer than a verification takes. The counter's unit of
 * such an attempt stays, counted as a failure, which errs on the safe side.
 */
const IN_FLIGHT_TTL_MS = 60_000;

// KEYS[1] counter; KEYS[2] its in-flight count; KEYS[3] optional exemption marker (all one slot).
// ARGV: limit, window ms, in-flight ttl ms. Returns {outcome, count, pttl, in flight}: 1 reserved,
// 0 refused (at the limit), 2 exempt (not counted). A counter without an expiry (written by hand,
// older code) gets one, so none locks forever.
const RESERVE_LUA = `
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return {2, 0, 0, 0} end
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then
  ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if n >= tonumber(ARGV[1]) then return {0, n, ttl, tonumber(redis.call('GET', KEYS[2]) or '0')} end
n = redis.call('INCR', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {1, n, ttl, 0}
`;

// KEYS[1] counter; KEYS[2] its in-flight count. Settles one reserved attempt: it is no longer in
// flight, and ARGV[1] says what becomes of its unit: 'failed' keeps it (a failure), 'refund'
// gives it back, 'clear' empties the counter (a success clears its pair). DECR keeps an expiry,
// and nothing goes below 0.
const SETTLE_LUA = `
local function down(k)
  local n = tonumber(redis.call('GET', k) or '0')
  if n > 1 then redis.call('DECR', k) elseif n == 1 then redis.call('DEL', k) end
end
down(KEYS[2])
if ARGV[1] == 'refund' then down(KEYS[1]) elseif ARGV[1] == 'clear' then redis.call('DEL', KEYS[1]) end
return 1
`;

const RESERVE = 'specgateLoginReserve';
// The same script over a counter and its exemption marker: a fixed key count per command, so that
// the first argument is always a key (the way a Cluster connection routes a script).
const RESERVE_EXEMPT = 'specgateLoginReserveExempt';
const SETTLE = 'specgateLoginSettle';

/** {outcome, count, pttl ms, in flight} */
type Reply = [number, number, number, number];
type Settlement = 'failed' | 'refund' | 'clear';

type ThrottleRedis = Redis & {
  [RESERVE]: (key: string, inFlight: string, limit: number, windowMs: number, inFlightMs: number) => Promise<Reply>;
  [RESERVE_EXEMPT]: (
    key: string,
    inFlight: string,
    exemptBy: string,
    limit: number,
    windowMs: number,
    inFlightMs: number,
  ) => Promise<Reply>;
  [SETTLE]: (key: string, inFlight: string, settlement: Settlement) => Promise<number>;
};

type Policy = 'pair' | 'ip' | 'user';

/** One counter an attempt is checked against. */
interface Counter {
  policy: Policy;
  key: string;
  /** The count of this counter's units whose attempts are still in progress. */
  inFlight: string;
  limit: number;
  windowSeconds: number;
  /** A marker whose presence exempts the attempt from this counter. */
  exemptBy?: string;
}

const REFUSED = 0;
const RESERVED = 1;

/** An attempt that passed the limits; report a verified password through it. */
export interface LoginAttempt {
  /**
   * The password was right: clears the pair counter, gives back this attempt's units of the IP and
   * username counters (a success is not a failure), and remembers the address as known to the user.
   */
  succeeded(): Promise<void>;
  /** The password was wrong: the attempt's units stay, as failures. */
  failed(): Promise<void>;
  /**
   * The attempt never reached a verdict (e.g. the user lookup failed with 503): gives back every
   * unit it reserved, so a client retrying through an outage does not lock itself out.
   */
  released(): Promise<void>;
}

/** Attempt counters per pair, IP bucket and username, shared by every instance through Redis. */
export class LoginThrottle {
  private readonly redis: ThrottleRedis;

  /**
   * @param redis a connection that fails fast when Redis is down (no offline queue), as built by
   *   `connectRedis`; the scripts are registered on it.
   * @param limits thresholds, usually from the config; positive integers (knownAddressSeconds ≥ 0).
   */
  constructor(
    redis: Redis,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {
    for (const [name, value] of Object.entries(limits)) {
      const min = name === 'knownAddressSeconds' ? 0 : 1;
      if (!Number.isSafeInteger(value) || value < min)
        throw new RangeError(`LoginLimits.${name} must be an integer ≥ ${min}, got ${value}`);
    }
    this.redis = withScripts<ThrottleRedis>(redis, {
      [RESERVE]: { numberOfKeys: 2, lua: RESERVE_LUA },
      [RESERVE_EXEMPT]: { numberOfKeys: 3, lua: RESERVE_LUA },
      [SETTLE]: { numberOfKeys: 2, lua: SETTLE_LUA },
    });
  }

  /**
   * Counts one attempt against every counter before the password is looked at. Throws 429
   * `too_many_requests` (with `Retry-After` and the RateLimit fields) when any counter is at its
   * limit, giving back what this attempt reserved on the others: even the right password is
   * refused, and a refused attempt costs nothing. Throws 503 `unavailable` when Redis is down.
   */
  async reserve(username: string, ip: string): Promise<LoginAttempt> {
    const user = normaliseUsername(username);
    const bucket = ipBucket(ip);
    const counters = this.counters(user, bucket);
    // One single-key (or single-slot) script per counter, all sent in the same tick.
    const replies = await this.run(() =>
      Promise.all(
        counters.map((c) =>
          c.exemptBy
            ? this.redis[RESERVE_EXEMPT](
                c.key,
                c.inFlight,
                c.exemptBy,
                c.limit,
                c.windowSeconds * 1000,
                IN_FLIGHT_TTL_MS,
              )
            : this.redis[RESERVE](c.key, c.inFlight, c.limit, c.windowSeconds * 1000, IN_FLIGHT_TTL_MS),
        ),
      ),
    );
    const reserved = counters.filter((_, i) => replies[i]?.[0] === RESERVED);
    if (replies.some(([outcome]) => outcome === REFUSED)) {
      await this.settle(reserved, () => 'refund');
      throw this.refusal(counters, replies);
    }
    return {
      succeeded: () => this.succeeded(user, bucket, reserved),
      failed: () => this.settle(reserved, () => 'failed'),
      released: () => this.settle(reserved, () => 'refund'),
    };
  }

  private async settle(reserved: Counter[], settlement: (c: Counter) => Settlement): Promise<void> {
    await this.run(() => Promise.all(reserved.map((c) => this.redis[SETTLE](c.key, c.inFlight, settlement(c)))));
  }

  private async succeeded(user: string, bucket: string, reserved: Counter[]): Promise<void> {
    await this.run(() =>
      Promise.all([
        this.settle(reserved, (c) => (c.policy === 'pair' ? 'clear' : 'refund')),
        ...(this.limits.knownAddressSeconds > 0
          ? [this.redis.set(keys.loginKnownAddress(user, bucket), '1', 'EX', this.limits.knownAddressSeconds)]
          : []),
      ]),
    );
  }

  private counters(user: string, bucket: string): Counter[] {
    const l = this.limits;
    const counters: Omit<Counter, 'inFlight'>[] = [
      {
        policy: 'pair',
        key: keys.loginAttemptsByUserAndIp(user, bucket),
        limit: l.maxFailuresPerUserAndIp,
        windowSeconds: l.windowSeconds,
      },
      { policy: 'ip', key: keys.loginAttemptsByIp(bucket), limit: l.maxFailuresPerIp, windowSeconds: l.windowSeconds },
      {
        policy: 'user',
        key: keys.loginAttemptsByUser(user),
        limit: l.maxFailuresPerUser,
        windowSeconds: l.userWindowSeconds,
        exemptBy: l.knownAddressSeconds > 0 ? keys.loginKnownAddress(user, bucket) : undefined,
      },
    ];
    return counters.map((c) => ({ ...c, inFlight: keys.loginInFlight(c.key) }));
  }

  /**
   * The 429: the same answer whether the username exists or not. Refused by failures, it asks for
   * a retry once every counter they filled has expired; refused only because attempts are still
   * in flight, in {@link IN_FLIGHT_RETRY_SECONDS}, and says so.
   */
  private refusal(counters: Counter[], replies: Reply[]): ApiError {
    const states: RateLimitState[] = [];
    let byFailures = false;
    counters.forEach((c, i) => {
      const reply = replies[i];
      if (!reply) return;
      const [outcome, count, pttlMs, inFlight] = reply;
      if (outcome !== REFUSED && outcome !== RESERVED) return; // exempt: this policy does not apply
      if (outcome === REFUSED && count - inFlight >= c.limit) byFailures = true;
      // A reserved unit was given back, so what is left counts without it.
      const remaining = outcome === REFUSED ? 0 : c.limit - (count - 1);
      states.push({
        policy: c.policy,
        quota: c.limit,
        windowSeconds: c.windowSeconds,
        remaining,
        resetSeconds: Math.max(1, Math.ceil(pttlMs / 1000)),
      });
    });
    const headers = rateLimitFields(states);
    if (!byFailures) {
      return new ApiError('too_many_requests', {
        detail: `Too many login attempts are still in progress; retry in ${IN_FLIGHT_RETRY_SECONDS} seconds.`,
        retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS,
        headers,
      });
    }
    // The client can only succeed once every counter it hit has expired.
    const retryAfterSeconds = Math.max(...states.filter((s) => s.remaining === 0).map((s) => s.resetSeconds));
    return new ApiError('too_many_requests', {
      detail: `Too many failed attempts; retry in ${retryAfterSeconds} seconds.`,
      retryAfterSeconds,
      headers,
    });
  }

  /** Maps any Redis failure to 503: the limiter fails closed. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new DependencyUnavailableError('redis', { detail: 'The rate limiter cannot be reached.', cause: err });
    }
  }
}
