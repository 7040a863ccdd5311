/**
 * The bound on the authorization codes one browser sign-in session can make Redis hold. Without
 * it, a signed-in browser looping on GET /authorize writes one `auth:code:{…}` key per request:
 * bounded in time (60 s, 10 minutes once redeemed), not in number.
 *
 * One counter per sign-in session, `auth:codes-issued:{<sid>}`, reserved by one script before the
 * code is written (the sign-in flow asks, then issues): concurrent requests cannot all pass a
 * check made before their increments. Each reservation that succeeds sets the counter's TTL to a
 * code's lifetime and a second; a refused one leaves it as it is. The counter therefore outlives every code it counted, and a session never holds more
 * than the limit of unredeemed codes at once, however its requests are timed (a fixed window would
 * allow twice the limit across a window's edge). Refusing the request is RFC 6749 §4.1.2.1's
 * `temporarily_unavailable`: the server cannot answer now, and will once the counter expires.
 */
import type { Redis } from 'ioredis';
import { ApiError, DependencyUnavailableError } from '../../core/errors';
import { withScripts } from '../../store/redis';
import { keys } from '../../store/redis-keys';

/**
 * How many unredeemed codes one sign-in session may hold: far above a person's use (each code is a
 * round trip through the client and the user's browser), low enough that a looping browser stores
 * little. A constant, not a setting: nothing in a deployment makes another value right.
 */
export const MAX_CODES_PER_SIGN_IN = 30;

// KEYS[1] the session's counter. ARGV: 1 the limit, 2 the counter's lifetime in milliseconds.
// Answers 1 when a unit was reserved, 0 when the limit is reached. A counter somehow left without
// a TTL gets one, so a refusal can never last forever.
const RESERVE = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  return 0
end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

type Scripted = Redis & { sgReserveCode(key: string, limit: number, ttlMs: number): Promise<number> };

/** Reserves code issuances per sign-in session. */
export class CodeIssuanceLimit {
  private readonly redis: Scripted;

  /**
   * @param ttlSeconds a code's lifetime: the counter lives as long after its last reservation.
   * @param max the most codes one sign-in session holds ({@link MAX_CODES_PER_SIGN_IN}).
   */
  constructor(
    redis: Redis,
    private readonly ttlSeconds: number,
    private readonly max = MAX_CODES_PER_SIGN_IN,
  ) {
    this.redis = withScripts<Scripted>(redis, { sgReserveCode: { numberOfKeys: 1, lua: RESERVE } });
  }

  /**
   * Reserves one code for the sign-in session `signInSid`: false when it holds the limit. A Redis
   * failure is a 503 (DependencyUnavailableError): the code is not issued either way.
   */
  async reserve(signInSid: string): Promise<boolean> {
    let reserved: number;
    try {
      // A second longer than a code lives: the code is written after its reservation.
      const ttlMs = (this.ttlSeconds + 1) * 1000;
      reserved = await this.redis.sgReserveCode(keys.codesIssued(signInSid), this.max, ttlMs);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new DependencyUnavailableError('redis', {
        detail: 'The authorization code store cannot be reached.',
        cause: err,
      });
    }
    return reserved === 1;
  }
}
