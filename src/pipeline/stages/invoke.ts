/**
 * invoke: the operation's handler, bound by operationId, with the validated request; its result
 * becomes the response, with the body serialised once into the bytes that go on the wire. An
 * operation the response cache serves runs it through the cache stage instead (cache(invoke)).
 */
import { isJsonType } from '../../http/negotiate';
import type { Response, ResponseHeaders } from '../../http/response';
import { ResponseValidator } from '../compile/response-validator';
import type { HandlerResult, RoutedContext, ValidatedContext } from '../context';
import { withCachingHeaders } from './caching-headers';

export async function invoke(ctx: ValidatedContext): Promise<void> {
  const result = await ctx.route.handler(ctx.input);
  ctx.response = withCachingHeaders(ctx, toResponse(ctx, result));
}

/** The handler's answer as a response, before its caching headers: what the cache stage loads. */
export async function handlerResponse(ctx: ValidatedContext): Promise<Response> {
  return toResponse(ctx, await ctx.route.handler(ctx.input));
}

function toResponse(ctx: RoutedContext, result: HandlerResult): Response {
  const headers: ResponseHeaders = {};
  if (result.headers)
    for (const name in result.headers) {
      const value = result.headers[name];
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
  if (result.body === undefined || result.status === 204 || result.status === 304) {
    return { status: result.status, headers, body: undefined, contentType: undefined };
  }
  const contentType = result.contentType ?? mediaTypeFor(ctx, result.status);
  const { body } = result;
  const bytes = Buffer.isBuffer(body)
    ? body
    : typeof body === 'string' && !isJsonType(contentType)
      ? body
      : JSON.stringify(body);
  return { status: result.status, headers, body: bytes, contentType };
}

/** The negotiated type when the document lists it for this status, else the first it lists. */
function mediaTypeFor(ctx: RoutedContext, status: number): string {
  const listed = ResponseValidator.lookup(ctx.route.op, status)?.mediaTypes ?? [];
  if (ctx.mediaType !== undefined && listed.includes(ctx.mediaType)) return ctx.mediaType;
  return listed[0] ?? 'application/json';
}
