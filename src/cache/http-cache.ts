/**
 * The read-through cache the cache stage (src/pipeline/stages/cache.ts) drives. A read is answered
 * from its store (X-Cache: HIT), or loaded through the handler and stored (MISS), or, when the cache
 * cannot answer in time, served from the database without it (BYPASS). A write bumps the generations of the tags
 * in x-invalidates after the handler (and so the database) committed.
 *
 * - Keys: `cache:{operationId}:{digest}` of the normalised request (path parameters, query with
 *   defaults applied and keys sorted), plus the user id for `scope: private`. A `shared` entry never
 *   depends on the caller; the caller's scopes were checked before any read.
 * - Stampede: one loader per key across instances (the store's fill lock); the others poll the entry
 *   for a bounded time, then fall through to the database.
 * - Validators: a strong ETag the same on every instance, from the handler (item version) or the
 *   SHA-256 of the stored bytes.
 */

import type { InSpan } from '../core/in-span';
import type { Logger } from '../core/logger';
import { strongEtag } from '../http/conditional';
import type { Response } from '../http/response';
import type { OperationCachePolicy, ReadPolicy } from './cache-policy';
import { type CacheEntry, type CacheStore, type Lookup, lockToken } from './cache-store';
import { EntryKeys } from './entry-keys';

export type CacheOutcome = 'HIT' | 'MISS' | 'BYPASS';

/** The response to a read, and how the cache answered it. */
export interface Answer {
  response: Response;
  outcome: CacheOutcome;
}

export interface CacheRequest {
  operationId: string;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  userId: string | undefined;
}

export interface CacheMetrics {
  outcome(operationId: string, outcome: CacheOutcome): void;
}

export interface HttpCacheOptions {
  /** Where entries, tag generations and fill locks live (redis-cache-store.ts in the service). */
  store: CacheStore;
  logger: Logger;
  metrics?: CacheMetrics;
  /** How long a fill lock lives (a crashed loader frees it by expiry). */
  lockTtlMs?: number;
  /** How long a request waits for another instance's fill before going to the database itself. */
  lockWaitMs?: number;
  /**
   * Largest body stored, in bytes (CACHE_MAX_ENTRY_BYTES); a larger one is served but not stored, so
   * one entry cannot take a large share of the cache's memory and a hit never moves megabytes.
   */
  maxEntryBytes?: number;
  /** Runs a fill as a span of the request's trace (src/observability/tracing/); absent: untraced. */
  inSpan?: InSpan;
  /** Test seam: runs between the handler's database read and the cache fill. */
  beforeFill?: (entryKey: string) => Promise<void>;
}

/** What the cache stage knows of one request: its prepared read, then how the cache answered it. */
export interface CacheState {
  prepared: PreparedRead;
  outcome: CacheOutcome | undefined;
}

/** A prepared read: the key, the tags and the lookup in flight. */
export interface PreparedRead {
  policy: ReadPolicy;
  entryKey: string;
  tags: string[];
  lookup: Promise<Lookup>;
}

/** CACHE_MAX_ENTRY_BYTES's default: 256 KiB. */
export const DEFAULT_MAX_ENTRY_BYTES = 256 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HttpCache {
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly maxEntryBytes: number;
  /** Entry keys of recent requests (bounded). */
  private readonly entryKeys = new EntryKeys();

  constructor(private readonly opts: HttpCacheOptions) {
    this.lockTtlMs = opts.lockTtlMs ?? 5000;
    this.lockWaitMs = opts.lockWaitMs ?? 1000;
    this.maxEntryBytes = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  }

  /**
   * Key and tags of a read, and its lookup, started at once: issued in the same tick as the
   * session check, both share one round trip when the store and the sessions share a Redis.
   */
  prepare(policy: ReadPolicy, req: CacheRequest): PreparedRead {
    const material: unknown[] = [req.operationId, sortObject(req.params), sortObject(req.query)];
    if (policy.scope === 'private') material.push(req.userId ?? '');
    const entryKey = this.entryKeys.of(req.operationId, material);
    const tags = policy.tags.map((t) => t(req.params));
    const lookup = this.opts.store.lookup(entryKey, tags);
    // Awaited by read(); until then a failure must not be an unhandled rejection.
    lookup.catch(() => undefined);
    return { policy, entryKey, tags, lookup };
  }

  /** Answers a read: from the cache, or through `load` (the handler). */
  read(operationId: string, prepared: PreparedRead, load: () => Promise<Response>): Promise<Answer> {
    // A hit is answered in the lookup's own `then`: no further promise on the hot path.
    return prepared.lookup.then(
      (found) => {
        const hit = fresh(found);
        return hit ? this.hit(operationId, hit) : this.fill(operationId, prepared, found, load);
      },
      (err: unknown) => this.bypass(operationId, load, err),
    );
  }

  /** A miss: one loader per key (the fill lock) fills the entry; the others wait for it, or load. */
  private async fill(
    operationId: string,
    prepared: PreparedRead,
    found: Lookup,
    load: () => Promise<Response>,
  ): Promise<Answer> {
    const { store } = this.opts;
    const token = lockToken();
    let locked: boolean;
    try {
      locked = await store.lock(prepared.entryKey, token, this.lockTtlMs);
    } catch (err) {
      // The lock may have been taken after our timeout: free it if it is ours.
      void store.unlock(prepared.entryKey, token).catch(() => undefined);
      return this.bypass(operationId, load, err);
    }
    if (!locked) {
      // Another request (maybe on another instance) is loading this key: wait for its fill.
      const deadline = Date.now() + this.lockWaitMs;
      while (Date.now() < deadline) {
        await sleep(20);
        const again = await store.lookup(prepared.entryKey, prepared.tags).catch(() => undefined);
        const entry = again && fresh(again);
        if (entry) return this.hit(operationId, entry);
      }
      const response = await load();
      this.opts.metrics?.outcome(operationId, 'MISS');
      return { response, outcome: 'MISS' };
    }
    const fill = () => this.loadAndStore(operationId, prepared, found, load, token);
    return this.opts.inSpan ? this.opts.inSpan('cache fill', fill) : fill();
  }

  /** The fill itself, under the lock `token` holds: load, store, unlock. */
  private async loadAndStore(
    operationId: string,
    prepared: PreparedRead,
    found: Lookup,
    load: () => Promise<Response>,
    token: string,
  ): Promise<Answer> {
    const { store } = this.opts;
    try {
      // The generations were read before this load: if a write lands meanwhile, the entry is dead.
      const response = await load();
      const { body } = response;
      if (response.status !== 200 || typeof body !== 'string') return { response, outcome: 'MISS' };
      response.headers.etag ??= strongEtag(body);
      // Counted in UTF-8 bytes, as Redis stores it; a string's length would undercount non-ASCII text.
      if (Buffer.byteLength(body, 'utf8') > this.maxEntryBytes) {
        this.opts.logger.debug({ operationId, maxEntryBytes: this.maxEntryBytes }, 'response too large to cache');
        this.opts.metrics?.outcome(operationId, 'MISS');
        return { response, outcome: 'MISS' };
      }
      const entry: CacheEntry = {
        g: found.gens,
        status: 200,
        headers: response.headers,
        body,
        contentType: response.contentType ?? 'application/json',
      };
      await this.opts.beforeFill?.(prepared.entryKey);
      await store
        .set(prepared.entryKey, entry, prepared.policy.ttlSeconds)
        .catch((err) => this.warn(operationId, err, 'cache fill failed'));
      this.opts.metrics?.outcome(operationId, 'MISS');
      return { response, outcome: 'MISS' };
    } finally {
      void store.unlock(prepared.entryKey, token).catch(() => undefined);
    }
  }

  /** After a successful write: bump the generations of its tags (retried: a lost bump means stale reads). */
  async invalidate(policy: OperationCachePolicy, params: Record<string, unknown>): Promise<void> {
    if (policy.invalidates.length === 0) return;
    const tags = [...new Set(policy.invalidates.map((t) => t(params)))];
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.opts.store.invalidate(tags);
      } catch (err) {
        lastError = err;
        await sleep(25 * (attempt + 1));
      }
    }
    throw lastError;
  }

  private hit(operationId: string, entry: CacheEntry) {
    this.opts.metrics?.outcome(operationId, 'HIT');
    const response: Response = {
      status: entry.status,
      headers: { ...entry.headers },
      body: entry.body,
      contentType: entry.contentType,
    };
    return { response, outcome: 'HIT' as const };
  }

  private async bypass(operationId: string, load: () => Promise<Response>, err: unknown) {
    this.warn(operationId, err, 'cache unavailable: serving from the database');
    this.opts.metrics?.outcome(operationId, 'BYPASS');
    return { response: await load(), outcome: 'BYPASS' as const };
  }

  private warn(operationId: string, err: unknown, msg: string): void {
    this.opts.logger.warn({ operationId, err: (err as Error)?.message ?? String(err) }, msg);
  }
}

function fresh(found: Lookup): CacheEntry | undefined {
  const e = found.entry;
  if (!e || e.g.length !== found.gens.length) return undefined;
  for (let i = 0; i < e.g.length; i++) if (e.g[i] !== found.gens[i]) return undefined;
  return e;
}

function sortObject(o: Record<string, unknown>): [string, unknown][] {
  return Object.keys(o)
    .sort()
    .map((k) => [k, o[k]]);
}
