/**
 * A response-cache Redis connection on which entries are never stored, so that every cached read is
 * a miss (scripts/bench-http.ts, "miss forced").
 *
 * createApp has no seam for the CacheBackend itself (it constructs `new CacheBackend(cacheRedis)`),
 * only for the connection (`cacheRedis`). So this wraps the connection: a SET of an entry key
 * (`cache:<operationId>:<digest>`, from CacheBackend.set) answers OK without reaching Redis; every
 * other command, including the fill lock (`SET <entry>:lock <token> PX <ms> NX`), its unlock script
 * and the generation reads, goes to Redis as usual. The miss path is therefore the real one: lookup
 * (entry + generations), lock, database read, (skipped) store, unlock.
 *
 * Give it a connection of its own (not the session connection): only `cache:` keys are affected,
 * but nothing else should share the patched client.
 */
import type { Redis } from 'ioredis';

export interface NoStoreStats {
  /** Entry SETs dropped so far. */
  dropped: number;
}

export function withoutCacheStores(client: Redis): { client: Redis; stats: NoStoreStats } {
  const stats: NoStoreStats = { dropped: 0 };
  const original = client.set.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const set = (...args: unknown[]): Promise<unknown> => {
    const key = typeof args[0] === 'string' ? args[0] : Buffer.isBuffer(args[0]) ? args[0].toString() : '';
    const isEntry = key.startsWith('cache:') && !key.startsWith('cache:gen:') && !key.endsWith(':lock');
    const isConditional = args.some((a) => typeof a === 'string' && /^(NX|XX)$/i.test(a));
    if (isEntry && !isConditional) {
      stats.dropped++;
      return Promise.resolve('OK');
    }
    return original(...args);
  };
  // An own property shadows Redis.prototype.set for this one connection only.
  Object.defineProperty(client, 'set', { value: set, configurable: true, writable: true });
  return { client, stats };
}
