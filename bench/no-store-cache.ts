/**
 * Forces every cached read to miss (bench:http's "miss forced" scenario): a CacheStore, passed to
 * createApp as `cache`, that keeps nothing. Its `set` answers at once; lookups, the fill lock and its
 * unlock go to the Redis store as usual, so the miss path measured is the real one: lookup, lock,
 * database read, (dropped) store, unlock.
 */
import type { CacheEntry, CacheStore, Lookup } from '../src/cache/cache-store';

export class NoStoreCache implements CacheStore {
  constructor(private readonly store: CacheStore) {}

  lookup(entryKey: string, tags: string[]): Promise<Lookup> {
    return this.store.lookup(entryKey, tags);
  }

  async set(_entryKey: string, _entry: CacheEntry, _ttlSeconds: number): Promise<void> {}

  invalidate(tags: string[]): Promise<void> {
    return this.store.invalidate(tags);
  }

  lock(entryKey: string, token: string, ttlMs: number): Promise<boolean> {
    return this.store.lock(entryKey, token, ttlMs);
  }

  unlock(entryKey: string, token: string): Promise<void> {
    return this.store.unlock(entryKey, token);
  }
}
