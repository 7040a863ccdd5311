/**
 * The index of a user's sessions: which session ids belong to `sub`, oldest first. It lets one
 * request list, cap, narrow or end every session of a user without scanning Redis.
 *
 * A sorted set, `auth:user:{sub}:session-index`, scored by the Redis server's clock (µs) when the
 * login was recorded, so "the oldest session" is one ZRANGE on any number of instances. Releases
 * before it kept a plain SET under `auth:user:{sub}:sessions`; that key is still read (never
 * written) so sessions indexed before an upgrade are capped, listed and ended like the others; it
 * expires with its sessions (30 days at most). A new name, not a type change in place: a deployed
 * Redis holding the SET would answer WRONGTYPE to sorted-set commands.
 *
 * Every command touches one key. The two index keys may sit on different Cluster slots, so they
 * are sent together with sendBatch (a pipeline on one node, commands issued together, one write per node, on a Cluster).
 */
import type { Redis } from 'ioredis';
import { sendBatch, withScripts } from '../store/redis';
import { keys } from '../store/redis-keys';

// KEYS[1] index. ARGV: sid, the session's absolute expiry (epoch seconds). Adds the session with
// the server's time as score, keeps the index alive as long as its longest session, and answers
// how many sessions it holds (live or not yet cleaned), so the cap costs no extra round trip.
const ADD = `
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
if redis.call('EXPIRETIME', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIREAT', KEYS[1], ARGV[2]) end
return redis.call('ZCARD', KEYS[1])
`;

type Scripted = Redis & { sgIndexAdd(key: string, sid: string, absExp: number): Promise<number> };

/** The per-user session index. Callers map Redis errors (SessionStore does: 503, fail closed). */
export class SessionIndex {
  private readonly redis: Scripted;

  constructor(redis: Redis) {
    this.redis = withScripts<Scripted>(redis, { sgIndexAdd: { numberOfKeys: 1, lua: ADD } });
  }

  /** Indexes a new session; resolves to how many sessions the index now holds. */
  async add(sub: string, sid: string, absExp: number): Promise<number> {
    return Number(await this.redis.sgIndexAdd(keys.userSessionIndex(sub), sid, absExp));
  }

  /** Every indexed session id of `sub`, oldest first (sessions from the legacy SET first of all). */
  async members(sub: string): Promise<string[]> {
    const [legacy, ordered] = (await sendBatch(this.redis, [
      ['smembers', keys.userSessions(sub)],
      ['zrange', keys.userSessionIndex(sub), '0', '-1'],
    ])) as [string[], string[]];
    return [...new Set([...legacy, ...ordered])];
  }

  /** Drops these ids from the index (only these: a login racing with us keeps its entry). */
  async remove(sub: string, sids: string[]): Promise<void> {
    if (sids.length === 0) return;
    await sendBatch(this.redis, [
      ['zrem', keys.userSessionIndex(sub), ...sids],
      ['srem', keys.userSessions(sub), ...sids],
    ]);
  }
}
