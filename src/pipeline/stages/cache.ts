/**
 * The cache stages, for the operations the response cache serves (x-cache reads, writes with
 * x-invalidates tags); the others' answer is invoke alone.
 *
 * - prefetchCache (between token verification and the session check): for a GET whose operation
 *   declares x-cache, the entry and its tag generations are looked up in the same tick as the
 *   session check, so both share one Redis round trip. Only for a caller whose token claims the
 *   scopes, and only with valid parameters (they make the key).
 * - cache(invoke): a read is answered from the entry (HIT) or loaded through the handler and stored
 *   (MISS, one loader per key), or served without the cache when it is slow (BYPASS); a write that
 *   succeeded bumps its x-invalidates tags before it is acknowledged (503 if that fails). Then the
 *   caching headers every answer carries (caching-headers.ts).
 */
import type { OperationCachePolicy, ReadPolicy } from '../../cache/cache-policy';
import type { HttpCache } from '../../cache/http-cache';
import { DependencyUnavailableError } from '../../core/errors';
import { firstSatisfied } from '../compile/security';
import type { RoutedContext, Stage, ValidatedContext } from '../context';
import { withCachingHeaders } from './caching-headers';
import { handlerResponse } from './invoke';
import { parameters } from './validate';

/** Starts the lookup of an operation's cached read early; see the module comment. */
export function prefetchCacheStage(httpCache: HttpCache, read: ReadPolicy): Stage<RoutedContext> {
  return function prefetchCache(ctx: RoutedContext): void {
    const { route } = ctx;
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
      prepared: httpCache.prepare(read, { operationId: route.op.operationId, params, query, userId }),
      outcome: undefined,
    };
  };
}

/**
 * cache(invoke) for an operation the response cache serves: the read-through of an x-cache read, or
 * the invalidation after a write with x-invalidates tags; undefined for any other operation.
 */
export function cacheStage(httpCache: HttpCache, policy: OperationCachePolicy): Stage<ValidatedContext> | undefined {
  const { read, invalidates } = policy;
  if (read)
    /** HIT from the entry (prefetched, or looked up now), else the handler and a fill. */
    return async function cache(ctx: ValidatedContext): Promise<void> {
      const { operationId, params, query } = ctx.input;
      const state = (ctx.cache ??= {
        prepared: httpCache.prepare(read, { operationId, params, query, userId: ctx.principal?.userId }),
        outcome: undefined,
      });
      const { response, outcome } = await httpCache.read(operationId, state.prepared, () => handlerResponse(ctx));
      state.outcome = outcome;
      ctx.response = withCachingHeaders(ctx, response);
    };
  if (invalidates.length > 0)
    /** A write that succeeded bumps its tags before it is acknowledged. */
    return async function cache(ctx: ValidatedContext): Promise<void> {
      const response = await handlerResponse(ctx);
      if (response.status >= 200 && response.status < 300) await invalidate(httpCache, policy, ctx.input.params);
      ctx.response = withCachingHeaders(ctx, response);
    };
  return undefined;
}

async function invalidate(httpCache: HttpCache, policy: OperationCachePolicy, params: Record<string, unknown>) {
  try {
    await httpCache.invalidate(policy, params);
  } catch (err) {
    // Acknowledging this write could let a stale cached copy be served after it: refuse.
    const detail =
      'The change was saved, but cached copies could not be invalidated; read it back before relying on it.';
    throw new DependencyUnavailableError('cache', { detail, cause: err });
  }
}
