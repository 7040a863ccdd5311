/**
 * Every Redis key specgate writes, by its builder: the only place key shapes are defined. Each is
 * namespaced so a shared Redis can be read at a glance: `auth:` sessions, `cache:` responses (on
 * the cache's own Redis when REDIS_CACHE_URL is set), `rl:` rate limits.
 *
 * On a Redis Cluster a key's slot is the hash of its `{tag}` when it has one, else of the whole
 * key. Keys that one script or MULTI touches together must share a tag (the login limits' per-user
 * keys, below); every other command over several keys goes through `sendBatch` (./redis.ts),
 * one command per key. A tag never names something all users share: that slot would be hot.
 * README, "Redis topologies", lists the slots and the ACL key patterns (`~auth:* ~rl:* ~cache:*`):
 * a new prefix must be added there.
 */

/**
 * A Redis Cluster hash tag for one username: percent-encoded, so a `{` or `}` in the name cannot
 * end the tag early, and prefixed, so the tag is never empty (an empty tag hashes the whole key).
 */
const userTag = (normalisedUsername: string) => `{u:${encodeURIComponent(normalisedUsername)}}`;

/** Whether Redis Cluster hashes `key` by a tag: a `{` and, after it, a `}` with something between. */
function hasHashTag(key: string): boolean {
  const open = key.indexOf('{');
  return open >= 0 && key.indexOf('}', open + 1) > open + 1;
}

export const keys = {
  /** One hash per session (login): refresh-token hashes and live access tokens. */
  session: (sid: string) => `auth:session:${sid}`,
  /**
   * One authorization code (src/auth/codes/authorization-codes.ts), by the SHA-256 (hex) of the
   * code: the code itself is never stored. Its own hash tag: one key per script, on any slot.
   */
  authorizationCode: (codeHash: string) => `auth:code:{${codeHash}}`,
  /**
   * How many codes one browser sign-in session holds (src/auth/codes/code-issuance-limit.ts): a
   * counter, tagged by the session id so its script runs on one slot. Not under `auth:code:`, so
   * a count of code keys never includes it.
   */
  codesIssued: (signInSid: string) => `auth:codes-issued:{${signInSid}}`,
  /** Legacy (SET) index of a user's sessions: read, never written (see src/auth/session-index.ts). */
  userSessions: (userId: string) => `auth:user:${userId}:sessions`,
  /** A user's sessions, a sorted set scored by login time (see src/auth/session-index.ts). */
  userSessionIndex: (userId: string) => `auth:user:${userId}:session-index`,
  /**
   * Login attempts of one normalised username from one client IP bucket (src/auth/login-throttle.ts).
   * The username sits in a hash tag (see {@link userTag}): the per-user keys below share its slot.
   */
  loginAttemptsByUserAndIp: (normalisedUsername: string, bucket: string) =>
    `rl:login:pair:${userTag(normalisedUsername)}:${bucket}`,
  /** Login attempts from one client IP bucket (IPv4 address or IPv6 /64) across all usernames. */
  loginAttemptsByIp: (bucket: string) => `rl:login:ip:${bucket}`,
  /** Login attempts of one normalised username from every address (the ceiling). */
  loginAttemptsByUser: (normalisedUsername: string) => `rl:login:user:${userTag(normalisedUsername)}`,
  /**
   * How many of a login counter's units are attempts still in progress (src/auth/login-throttle.ts).
   * In the counter's slot: a counter with a hash tag lends it; one without is the tag itself, and
   * a tag hashes like the key it spells, so both land on one slot of a Redis Cluster. Under `rl:`
   * either way, as the documented ACL allows.
   */
  loginInFlight: (counterKey: string) =>
    hasHashTag(counterKey) ? `${counterKey}:in-flight` : `rl:login:in-flight:{${counterKey}}`,
  /** Marks a client IP bucket that logged in to this username recently (exempt from the ceiling). */
  loginKnownAddress: (normalisedUsername: string, bucket: string) =>
    `rl:login:known:${userTag(normalisedUsername)}:${bucket}`,
  /**
   * A stored response (src/cache/http-cache.ts): one per operation and digest of the normalised
   * request. Never an operation called `gen`: its entries would share the namespace below.
   */
  cacheEntry: (operationId: string, digest: string) => `cache:${operationId}:${digest}`,
  /** The generation counter of one cache tag; bumping it retires every entry stored under it. */
  cacheGeneration: (tag: string) => `cache:gen:${tag}`,
  /**
   * A DPoP proof seen (src/auth/dpop/replay-cache.ts): the key's RFC 7638 thumbprint (43 base64url
   * characters) and the SHA-256 of the proof's `jti`; one key, written once with a TTL.
   */
  dpopProof: (jkt: string, jtiHash: string) => `auth:dpop:${jkt}:${jtiHash}`,
  /**
   * The consents a user gave clients at /authorize (src/auth/pages/consents.ts): a sorted set of
   * `<client id> <sorted scopes>` members scored by when, capped; deleted with all their sessions.
   */
  userConsents: (userId: string) => `auth:user:${userId}:consents`,
  /** The fill lock of one cache entry, named after the entry's key. */
  cacheFillLock: (entryKey: string) => `${entryKey}:lock`,
} as const;
