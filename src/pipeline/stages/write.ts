/**
 * write: the response in one writeHead + end, over the header set of its kind (computed once), with
 * the request id, and `Connection: close` while the instance drains (RFC 9112 §9.6: keep-alive
 * clients then open their next connection elsewhere), Vary merged with what earlier stages set on
 * the response object (src/http/vary.ts), Set-Cookie after any the host application set there. No
 * body for HEAD.
 */
import { contentTypeValue } from '../../http/negotiate';
import type { ResponseHeaders } from '../../http/response';
import type { SecurityHeaders } from '../../http/security-headers';
import { mergeVary } from '../../http/vary';
import type { AnsweredContext } from '../context';

export function writeStage(kinds: SecurityHeaders, lifecycle: { readonly draining: boolean }) {
  return function write(ctx: AnsweredContext): void {
    const { status, headers: own, body, contentType } = ctx.response;
    const headers: ResponseHeaders = {
      ...(contentType === 'text/html' ? kinds.page : kinds.api),
      ...own,
      'x-request-id': ctx.requestId,
    };
    // The cors stage set its Vary on the response object; writeHead's own value would replace it.
    // Merged only when both are there: most answers carry one or none, and skip the parse.
    const early = ctx.res.getHeader('vary');
    if (early !== undefined && own.vary !== undefined) headers.vary = mergeVary(early, own.vary) ?? own.vary;
    // Embedded in express, the host may have set cookies of its own before handing the request on
    // (res.cookie): writeHead's Set-Cookie would replace them, so theirs go first, then ours.
    if (own['set-cookie'] !== undefined) {
      const hosts = ctx.res.getHeader('set-cookie');
      if (hosts !== undefined) headers['set-cookie'] = [...lines(hosts), ...lines(own['set-cookie'])];
    }
    if (lifecycle.draining) headers.connection = 'close';
    if (body !== undefined) {
      headers['content-type'] ??= contentTypeValue(contentType ?? 'application/octet-stream');
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    ctx.res.writeHead(status, headers);
    ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
  };
}

/** A header value as its field lines. */
const lines = (value: string | number | readonly string[]): string[] =>
  Array.isArray(value) ? [...value] : [String(value)];
