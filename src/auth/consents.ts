/**
 * What each user allowed which client at /authorize: consent is asked once per user, client and
 * scope set (RFC 6749 §4.1.1 leaves how to the server; RFC 9700 §4.1 wants the user to see who
 * asks for what). One sorted set per user, `auth:user:<id>:consents`, of `<client id> <sorted
 * scopes>` members scored by when they were given; at most {@link MAX_CONSENTS_PER_USER}, the
 * oldest going first, and it lives no longer than the user's longest consent lifetime. Ending all
 * of a user's sessions deletes it (SessionStore.endAll): consent is revocable with them.
 */
import type { Redis } from 'ioredis';
import { DependencyUnavailableError } from '../core/errors';
import { withScripts } from '../store/redis';
import { keys } from '../store/redis-keys';

/** Consents one user holds at most: a client cannot make the set grow past it, whatever it asks. */
export const MAX_CONSENTS_PER_USER = 50;

/** How long a consent is remembered at most (a year): the key expires this long after the last one. */
export const CONSENT_SECONDS = 365 * 86400;

// KEYS[1] the user's consents. ARGV: member, cap, ttl seconds. Adds (or refreshes) the member with
// the server's time, drops the oldest beyond the cap, and keeps the key alive: one script, one
// key, and only commands the README's least-privilege ACL allows (plus ZSCORE for the lookup).
const REMEMBER = `
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
local over = n - tonumber(ARGV[2])
if over > 0 then redis.call('ZREM', KEYS[1], unpack(redis.call('ZRANGE', KEYS[1], 0, over - 1))) end
redis.call('EXPIREAT', KEYS[1], tonumber(t[1]) + tonumber(ARGV[3]))
return math.min(n, tonumber(ARGV[2]))
`;

type Scripted = Redis & { sgConsentRemember(key: string, member: string, cap: number, ttl: number): Promise<number> };

/** The consent a member stands for: the client and the scope set, in one canonical spelling. */
function member(clientId: string, scopes: readonly string[]): string {
  return `${clientId} ${[...new Set(scopes)].sort().join(' ')}`;
}

export class ConsentStore {
  private readonly redis: Scripted;

  constructor(redis: Redis) {
    this.redis = withScripts<Scripted>(redis, {
      sgConsentRemember: { numberOfKeys: 1, lua: REMEMBER },
    });
  }

  /** Whether `sub` allowed `clientId` exactly these scopes before (and has not ended all sessions since). */
  async given(sub: string, clientId: string, scopes: readonly string[]): Promise<boolean> {
    const score = await this.run(() => this.redis.zscore(keys.userConsents(sub), member(clientId, scopes)));
    return score !== null;
  }

  /** Remembers that `sub` allowed `clientId` these scopes; resolves to how many consents the user now holds. */
  async remember(sub: string, clientId: string, scopes: readonly string[]): Promise<number> {
    return this.run(() =>
      this.redis.sgConsentRemember(
        keys.userConsents(sub),
        member(clientId, scopes),
        MAX_CONSENTS_PER_USER,
        CONSENT_SECONDS,
      ),
    );
  }

  /** Redis down: the caller fails closed (503). */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new DependencyUnavailableError('redis', { detail: 'The session store cannot be reached.', cause: err });
    }
  }
}
