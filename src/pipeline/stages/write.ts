/**
 * write: the response in one writeHead + end, over the header set of its kind (computed once), with
 * the request id, and `Connection: close` while the instance drains (RFC 9112 §9.6: keep-alive
 * clients then open their next connection elsewhere), Vary merged with what earlier stages set on
 * the response object (src/http/vary.ts). No body for HEAD.
 */
import { contentTypeValue } from '../../http/negotiate';
import type { SecurityHeaders } from '../../http/security-headers';
import { mergeVary } from '../../http/vary';
import type { AnsweredContext } from '../context';

export function writeStage(kinds: SecurityHeaders, lifecycle: { readonly draining: boolean }) {
  return function write(ctx: AnsweredContext): void {
    const { status, headers: own, body, contentType } = ctx.response;
    const headers: Record<string, string> = {
      ...(contentType === 'text/html' ? kinds.page : kinds.api),
      ...own,
      'x-request-id': ctx.requestId,
    };
    // The cors stage set its Vary on the response object; writeHead's own value would replace it.
    // Merged only when both are there: most answers carry one or none, and skip the parse.
    const early = ctx.res.getHeader('vary');
    if (early !== undefined && own.vary !== undefined) headers.vary = mergeVary(early, own.vary) ?? own.vary;
    if (lifecycle.draining) headers.connection = 'close';
    if (body !== undefined) {
      headers['content-type'] ??= contentTypeValue(contentType ?? 'application/octet-stream');
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    ctx.res.writeHead(status, headers);
    ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
  };
}
