/**
 * The access tokens a session holds: two fixed slots in the session's hash, never one field per
 * token. So a session has the same number of fields whatever its client does (refreshes, retries
 * of the token just rotated), and every script over it touches a fixed number of fields (O(1)):
 *
 *  - `at`, `at_exp`: the access token the last rotation (or the login) issued, and its expiry;
 *  - `at_prev`, `at_prev_exp`: the one it replaced, valid until its own expiry. Rotation does not
 *    revoke access tokens (RFC 6749 §6 leaves them be; RFC 9700 §4.14.2 is about the refresh
 *    token): a client that refreshes ahead of expiry still has requests in flight with the old
 *    one, and cutting it at the reuse leeway would answer them 401 for no gain, since both tokens
 *    belong to the same holder and the same session. One slot is enough: the token before it was
 *    replaced twice, so its client has moved on.
 *
 * Sessions written before this layout hold `at:<jti>` fields, one per token. They are still
 * honoured (one more field in the same HMGET, and one more HDEL on revocation) so a rolling
 * deploy logs nobody out, and never written: such a session keeps what it had and grows no
 * further. The fallback can go once REFRESH_TOKEN_MAX_DAYS have passed since every instance runs
 * this layout. The other way round is not covered: while a rollout is under way an instance of
 * the old layout refuses (401) an access token that a new instance put in a slot, and its client
 * refreshes, which works on either.
 */

/** The hash fields of the two slots. */
export const ACCESS_FIELDS = ['at', 'at_exp', 'at_prev', 'at_prev_exp'] as const;

/** The field a session written before the two-slot layout holds for access token `jti`. */
export const legacyAccessField = (jti: string) => `at:${jti}`;

/**
 * Whether access token `jti` is live at `now`, from the HMGET of {@link ACCESS_FIELDS} followed
 * by {@link legacyAccessField}.
 */
export function accessLive(
  [current, currentExp, previous, previousExp, legacyExp]: (string | null)[],
  jti: string,
  now: number,
): boolean {
  if (current === jti) return Number(currentExp) > now;
  if (previous === jti) return Number(previousExp) > now;
  return legacyExp != null && Number(legacyExp) > now;
}

// KEYS[1] session. ARGV: jti. Empties the slot holding that token, and only if it still holds it:
// one script, so a rotation moving the token from `at` to `at_prev` meanwhile cannot make this
// miss it, nor clear the successor that took its slot.
export const REVOKE_ACCESS = `
local f = redis.call('HMGET', KEYS[1], 'at', 'at_prev')
if f[1] == ARGV[1] then redis.call('HDEL', KEYS[1], 'at', 'at_exp') end
if f[2] == ARGV[1] then redis.call('HDEL', KEYS[1], 'at_prev', 'at_prev_exp') end
return redis.call('HDEL', KEYS[1], 'at:' .. ARGV[1])
`;
