/**
 * The Redis key of a cached read: `cache:{operationId}:{digest}`, the digest a SHA-256 of the
 * normalised request (see http-cache.ts). The same few requests come back thousands of times a
 * second (the cached read's hot path), so the keys of short requests are remembered: a Map lookup
 * of the request's text costs a fraction of hashing it. The memo is bounded: at
 * {@link ENTRY_KEY_MEMO_SIZE} keys it starts over, so no sequence of requests grows it further, and
 * a request's text longer than {@link MEMO_MAX_TEXT} is hashed every time.
 */
import { hash } from 'node:crypto';
import { keys } from '../store/redis-keys';

/** Keys remembered at most. */
export const ENTRY_KEY_MEMO_SIZE = 4096;
/** Longest request text remembered (characters): with the size, about 2 MB at most. */
const MEMO_MAX_TEXT = 256;

export class EntryKeys {
  private readonly memo = new Map<string, string>();

  /** The key of `operationId`'s entry for the normalised request `material`. */
  of(operationId: string, material: unknown[]): string {
    const text = JSON.stringify(material);
    const known = this.memo.get(text);
    if (known !== undefined) return known;
    // crypto.hash: the one-shot form, without a Hash object per request.
    const key = keys.cacheEntry(operationId, hash('sha256', text, 'base64url').slice(0, 32));
    if (text.length <= MEMO_MAX_TEXT) {
      if (this.memo.size >= ENTRY_KEY_MEMO_SIZE) this.memo.clear();
      this.memo.set(text, key);
    }
    return key;
  }

  /** Keys remembered now. */
  get size(): number {
    return this.memo.size;
  }
}
