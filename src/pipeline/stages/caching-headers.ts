/**
 * The caching headers of every answer a handler gives, whether the response cache served it or not
 * (the last step of the invoke and cache stages): Cache-Control, Vary and X-Cache, and 304 Not
 * Modified for a GET whose ETag the client holds (RFC 9110 §13.1.2, §15.4.5).
 */
import { OAUTH_NO_STORE } from '../../core/errors';
import { noneMatchHits } from '../../http/conditional';
import type { Response, ResponseHeaders } from '../../http/response';
import type { RoutedContext } from '../context';

/** The response with its caching headers (a handler's own values win), or the 304 that replaces it. */
export function withCachingHeaders(ctx: RoutedContext, response: Response): Response {
  cachingHeaders(ctx, response.headers);
  return notModified(ctx, response);
}

function cachingHeaders(ctx: RoutedContext, headers: ResponseHeaders): void {
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
  if (ctx.route.op.errorFormat === 'oauth') Object.assign(headers, OAUTH_NO_STORE);
}

/** A 200 to a GET whose ETag the client holds becomes 304 with the validators and no body. */
function notModified(ctx: RoutedContext, response: Response): Response {
  const { etag } = response.headers;
  const held = ctx.req.headers['if-none-match'];
  if (response.status !== 200 || typeof etag !== 'string' || held === undefined || ctx.route.op.method !== 'GET')
    return response;
  if (!noneMatchHits(held, etag)) return response;
  const headers: ResponseHeaders = { etag };
  for (const name of ['cache-control', 'vary', 'x-cache']) {
    const value = response.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return { status: 304, headers, body: undefined, contentType: undefined };
}
