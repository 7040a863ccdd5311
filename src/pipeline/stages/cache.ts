/**
 * The cache stage: everything about caching a request meets, in the order it meets it.
 *
 * - prefetch (between token verification and the session check): for a GET whose operation declares
 *   x-cache, the entry and its tag generations are looked up in the same tick as the session check,
 *   so both share one Redis round trip. Only for a caller whose token claims the scopes, and only
 *   with valid parameters (they make the key).
 * - cached(invoke): a read is answered from the entry (HIT) or loaded through the handler and stored
 *   (MISS, one loader per key), or served without the cache when it is slow (BYPASS); a write that
 *   succeeded bumps its x-invalidates tags before it is acknowledged (503 if that fails).
 * - Then the response's caching headers: Cache-Control, Vary, X-Cache, and 304 Not Modified for a
 *   client that holds the current ETag (RFC 9110 §13.1.2, §15.4.5).
 */
import type { OperationCachePolicy, ReadPolicy } from '../../cache/cache-policy';
import type { HttpCache } from '../../cache/http-cache';
import { DependencyUnavailableError, OAUTH_NO_STORE } from '../../core/errors';
import { noneMatchHits } from '../../http/conditional';
import { firstSatisfied } from '../compile/security';
import type { RequestContext } from '../context';
import { parameters } from './validate';

type Stage = (ctx: RequestContext) => Promise<void>;

export function cacheStages(store: HttpCache | undefined) {
  return {
    /** Starts the lookup of a cached read early; see the module comment. */
    prefetchCache: (ctx: RequestContext): void => {
      if (store) prefetch(store, ctx);
    },
    /** Wraps the invoke stage with the read-through cache or the invalidation of a write. */
    cached: (invoke: Stage): Stage =>
      async function cache(ctx: RequestContext): Promise<void> {
        const policy = store ? ctx.route!.cache : undefined;
        if (store && policy?.read) await readThrough(store, policy.read, invoke, ctx);
        else {
          await invoke(ctx);
          if (store && policy) await invalidateAfterWrite(store, policy, ctx);
        }
        cachingHeaders(ctx);
        notModified(ctx);
      },
  };
}

function prefetch(cache: HttpCache, ctx: RequestContext): void {
  const route = ctx.route!;
  const read = route.cache?.read;
  if (!read) return;
  let userId: string | undefined;
  if (!route.security.public) {
    // Scopes first: no cache read for a caller who may not call the operation.
    const claimed = firstSatisfied(route.security, ctx.credentials);
    if (!('principal' in claimed)) return;
    userId = claimed.principal.userId;
  }
  const { params, query, violations } = parameters(ctx);
  if (violations.length > 0) return;
  ctx.cache = {
    prepared: cache.prepare(read, { operationId: route.op.operationId, params, query, userId }),
    outcome: undefined,
  };
}

/** HIT from the entry (prefetched, or looked up now), else the handler and a fill. */
async function readThrough(cache: HttpCache, read: ReadPolicy, invoke: Stage, ctx: RequestContext): Promise<void> {
  const { operationId, params, query } = ctx.input!;
  const state = (ctx.cache ??= {
    prepared: cache.prepare(read, { operationId, params, query, userId: ctx.principal?.userId }),
    outcome: undefined,
  });
  const { response, outcome } = await cache.read(operationId, state.prepared, async () => {
    await invoke(ctx);
    return ctx.response!;
  });
  ctx.response = response;
  state.outcome = outcome;
}

/** A write that succeeded bumps its tags before it is acknowledged. */
async function invalidateAfterWrite(
  cache: HttpCache,
  policy: OperationCachePolicy,
  ctx: RequestContext,
): Promise<void> {
  const { status } = ctx.response!;
  if (policy.invalidates.length === 0 || status < 200 || status >= 300) return;
  try {
    await cache.invalidate(policy, ctx.input!.params);
  } catch (err) {
    // Acknowledging this write could let a stale cached copy be served after it: refuse.
    const detail =
      'The change was saved, but cached copies could not be invalidated; read it back before relying on it.';
    throw new DependencyUnavailableError('cache', { detail, cause: err });
  }
}

/** Cache-Control, Vary and X-Cache; a handler's own values win. */
function cachingHeaders(ctx: RequestContext): void {
  const { headers } = ctx.response!;
  const authenticated = ctx.principal !== undefined;
  if (ctx.cache) {
    // Cached reads are revalidated on every use (ETag), so no client keeps a copy past a write.
    headers['cache-control'] ??= authenticated ? 'private, no-cache' : 'public, no-cache';
    if (authenticated) headers.vary ??= 'Authorization';
    if (ctx.cache.outcome) headers['x-cache'] ??= ctx.cache.outcome;
  } else if (authenticated) {
    // Responses to authenticated requests are the caller's own data (RFC 9111 §3.5).
    headers['cache-control'] ??= 'no-store';
    headers.vary ??= 'Authorization';
  }
  // Every answer of an OAuth endpoint, whatever its handler sets (RFC 6749 §5.1).
  if (ctx.route!.op.errorFormat === 'oauth') Object.assign(headers, OAUTH_NO_STORE);
}

/** A 200 to a GET whose ETag the client holds becomes 304 with the validators and no body. */
function notModified(ctx: RequestContext): void {
  const response = ctx.response!;
  const etag = response.headers.etag;
  const held = ctx.req.headers['if-none-match'];
  if (response.status !== 200 || etag === undefined || held === undefined || ctx.route!.op.method !== 'GET') return;
  if (!noneMatchHits(held, etag)) return;
  const headers: Record<string, string> = { etag };
  for (const name of ['cache-control', 'vary', 'x-cache'])
    if (response.headers[name] !== undefined) headers[name] = response.headers[name]!;
  ctx.response = { status: 304, headers, body: undefined, contentType: undefined };
}
