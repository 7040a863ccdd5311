/**
 * Forces every cached read to miss (bench:http's "miss forced" scenario) through createApp's one
 * seam for the cache, its Redis connection (`cacheRedis`): on this connection, an unconditional SET
 * of an entry key (`cache:<operationId>:<digest>`) answers OK without reaching Redis. Everything
 * else (entry and generation reads, the fill lock `SET …:lock … NX`, its unlock) goes to Redis as
 * usual, so the miss path measured is the real one: lookup, lock, database read, (dropped) store,
 * unlock. Give it a connection of its own: the patch is on that one client object only.
 */
import type { Redis } from 'ioredis';

export function withoutCacheStores(client: Redis): Redis {
  const set = client.set.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const dropEntrySets = (...args: unknown[]) => {
    const key = String(args[0]);
    const isEntry = key.startsWith('cache:') && !key.startsWith('cache:gen:') && !key.endsWith(':lock');
    const conditional = args.some((a) => typeof a === 'string' && /^(NX|XX)$/i.test(a));
    return isEntry && !conditional ? Promise.resolve('OK') : set(...args);
  };
  Object.defineProperty(client, 'set', { value: dropEntrySets, configurable: true, writable: true });
  return client;
}
