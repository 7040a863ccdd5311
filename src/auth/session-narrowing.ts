/**
 * Narrowing live sessions when their user loses a scope. A session's `scope` field bounds every
 * access token of the session (the bearer check intersects the token's `scope` claim with it, in
 * the round trip it already makes) and every refresh (ROTATE only narrows from that field), so
 * rewriting the field takes a scope away from the session's tokens at once, on every instance,
 * without logging the user out of the scopes they keep.
 */
import type { Redis } from 'ioredis';
import { sendBatch, withScripts } from '../store/redis';
import { keys } from '../store/redis-keys';

// KEYS[1] session. ARGV: sub, the scopes the user holds now (space-separated). Keeps only those
// in the session's scope. Atomic per session, so it serialises with ROTATE on the same key; a
// session that ended (or belongs to someone else) is left alone and never re-created.
const NARROW = `
local f = redis.call('HMGET', KEYS[1], 'sub', 'scope')
if f[1] ~= ARGV[1] then return 0 end
local kept = {}
for s in string.gmatch(f[2] or '', '%S+') do
  if string.find(' ' .. ARGV[2] .. ' ', ' ' .. s .. ' ', 1, true) then kept[#kept + 1] = s end
end
local scope = table.concat(kept, ' ')
if scope == (f[2] or '') then return 0 end
redis.call('HSET', KEYS[1], 'scope', scope)
return 1
`;

type Scripted = Redis & { sgNarrow(key: string, sub: string, allowed: string): Promise<number> };

/**
 * Narrows sessions `sids` of `sub` to `allowed`, pipelined (one round trip; each script touches
 * one key, so this is valid on a Redis Cluster). Resolves to how many sessions lost a scope.
 */
export async function narrowSessions(
  redis: Redis,
  sub: string,
  sids: string[],
  allowed: readonly string[],
): Promise<number> {
  if (sids.length === 0) return 0;
  const r = withScripts<Scripted>(redis, { sgNarrow: { numberOfKeys: 1, lua: NARROW } });
  const replies = await sendBatch(
    r,
    sids.map((sid) => ['sgNarrow', keys.session(sid), sub, allowed.join(' ')]),
  );
  return replies.reduce((n: number, changed) => n + Number(changed), 0);
}
