/**
 * The response cache's store over Redis: entries, tag generations and fill locks. No process-local
 * cache: every instance reads the same Redis, so all of them agree.
 *
 * Generations are counters (INCR: O(1), atomic, one key per tag). A writer commits, then bumps its
 * tags, so a slow reader that loaded old data can only store an entry nobody will accept (the
 * "stale set" race, closed by generation keys: test/cache/race.test.ts).
 *
 * Cluster: entries, generations and locks are separate keys, fetched in one pipeline (one round trip
 * per node), never in one multi-key script.
 */
import type { Redis } from 'ioredis';
import { isCluster, sendBatch, withScripts } from '../store/redis';
import { keys } from '../store/redis-keys';
import { type CacheEntry, type CacheStore, CacheTimeoutError, type Lookup } from './cache-store';

/**
 * Stored form: the metadata as JSON, a newline, then the body bytes as they go on the wire, so a hit
 * parses a few hundred bytes of metadata and never re-escapes the body.
 */
function encode(entry: CacheEntry): string {
  const { body, ...meta } = entry;
  return `${JSON.stringify(meta)}\n${body}`;
}

function decode(raw: string): CacheEntry {
  const nl = raw.indexOf('\n');
  return { ...(JSON.parse(raw.slice(0, nl)) as Omit<CacheEntry, 'body'>), body: raw.slice(nl + 1) };
}

/** The replies of a lookup: the entry, then one generation per tag ('0' for a tag never bumped). */
function toLookup([raw, ...gens]: (string | null)[]): Lookup {
  for (let i = 0; i < gens.length; i++) gens[i] ??= '0';
  return { gens: gens as string[], entry: raw ? decode(raw) : undefined };
}

// Deletes the lock only if we still hold it (a fill that outlived its lock must not free another's).
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

type Scripted = Redis & { sgUnlock(key: string, token: string): Promise<number> };

/** The store the service runs on (createApp's default), over the session Redis or REDIS_CACHE_URL's. */
export class RedisCacheStore implements CacheStore {
  private readonly redis: Scripted;

  private readonly cluster: boolean;
  /** Whether cache commands need a timer of ours (the connection's own timeout is looser). */
  private readonly ownTimer: boolean;

  constructor(
    redis: Redis,
    private readonly timeoutMs: number,
  ) {
    this.redis = withScripts<Scripted>(redis, { sgUnlock: { numberOfKeys: 1, lua: UNLOCK } });
    this.cluster = isCluster(redis);
    // A connection whose own command timeout is at least as tight (REDIS_CACHE_URL's) needs no second timer.
    const own = (redis as { options?: { commandTimeout?: number } }).options?.commandTimeout;
    this.ownTimer = !(own !== undefined && own > 0 && own <= timeoutMs);
  }

  lookup(entryKey: string, tags: string[]): Promise<Lookup> {
    const genKeys = tags.map(keys.cacheGeneration);
    // One MGET on a single Redis; in a Cluster the entry and its tags may live in different slots.
    const replies = this.cluster
      ? Promise.all([entryKey, ...genKeys].map((k) => this.redis.get(k)))
      : this.redis.mget(entryKey, ...genKeys);
    return this.timed(replies.then(toLookup));
  }

  async set(entryKey: string, entry: CacheEntry, ttlSeconds: number): Promise<void> {
    await this.timed(this.redis.set(entryKey, encode(entry), 'EX', ttlSeconds));
  }

  async invalidate(tags: string[]): Promise<void> {
    if (tags.length === 0) return;
    // Each tag's counter is its own slot on a Cluster: sendBatch pipelines them only on one node.
    await this.timed(
      sendBatch(
        this.redis,
        tags.map((t) => ['incr', keys.cacheGeneration(t)]),
      ),
    );
  }

  /** SET NX PX. */
  async lock(entryKey: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.timed(this.redis.set(keys.cacheFillLock(entryKey), token, 'PX', ttlMs, 'NX'))) === 'OK';
  }

  async unlock(entryKey: string, token: string): Promise<void> {
    await this.timed(this.redis.sgUnlock(keys.cacheFillLock(entryKey), token));
  }

  /** A cache command slower than the timeout counts as failed: the request goes to the database. */
  private timed<T>(p: Promise<T>): Promise<T> {
    if (!this.ownTimer) return p;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new CacheTimeoutError(`cache command exceeded ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      // Both outcomes are handled: a command that fails after the timeout is no unhandled rejection.
      p.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}
