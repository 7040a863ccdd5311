/**
 * What the response cache (http-cache.ts) needs of a store: five operations over entries, tag
 * generations and fill locks. redis-cache-store.ts is the one the service runs on; another backend,
 * or a bench's store that keeps nothing, implements this and is passed to createApp as `cache`.
 *
 * Invalidation is by tag generation: an entry records the generations its reader saw BEFORE
 * reading the database, and a lookup returns the entry with the current generations, so the cache
 * accepts an entry only while they are equal. A store must return both from one lookup.
 */
import { randomBytes } from 'node:crypto';
import { ServiceError } from '../core/errors';
import type { ResponseHeaders } from '../http/response';

/** A stored response. */
export interface CacheEntry {
  /** Tag generations seen before the load. */
  g: string[];
  status: number;
  headers: ResponseHeaders;
  /** The serialised body, written as is on a hit. */
  body: string;
  contentType: string;
}

/** What a lookup found: the entry, if any, and the current generation of each of its tags. */
export interface Lookup {
  /** Current generation of each tag ('0' for a tag never bumped). */
  gens: string[];
  entry: CacheEntry | undefined;
}

export interface CacheStore {
  /**
   * The entry and the generations of its tags. Issued synchronously, so that a store over Redis
   * shares an automatic pipeline with whatever else this tick sends (the session check).
   */
  lookup(entryKey: string, tags: string[]): Promise<Lookup>;
  /** Stores an entry for `ttlSeconds`. */
  set(entryKey: string, entry: CacheEntry, ttlSeconds: number): Promise<void>;
  /** Bumps the generation of every tag: every entry stored under the old ones is dead at once. */
  invalidate(tags: string[]): Promise<void>;
  /** Takes the fill lock of an entry with `token` for `ttlMs`; false when another holds it. */
  lock(entryKey: string, token: string, ttlMs: number): Promise<boolean>;
  /** Frees the fill lock, only if `token` still holds it (a fill that outlived its lock must not free another's). */
  unlock(entryKey: string, token: string): Promise<void>;
}

/** Thrown when a cache command does not answer within the timeout. */
export class CacheTimeoutError extends ServiceError {
  static override readonly code = 'cache_timeout';
  readonly code = 'cache_timeout';
}

/** A fresh fill-lock token (made before the lock is asked for, so a timed-out request can still be undone). */
export function lockToken(): string {
  return randomBytes(12).toString('base64url');
}
