/**
 * negotiate: the media type of the answer, from Accept and what the operation produces
 * (RFC 9110 §12.5.1); 406 when the client accepts none of them.
 */
import { ApiError } from '../../core/errors';
import { negotiateMediaType } from '../../http/negotiate';
import type { RequestContext } from '../context';

export function negotiate(ctx: RequestContext): void {
  const { produces } = ctx.route!.op;
  if (produces.length === 0) return;
  ctx.mediaType = negotiateMediaType(ctx.req.headers.accept, produces);
  if (ctx.mediaType === undefined) {
    throw new ApiError('not_acceptable', { detail: `This operation produces: ${produces.join(', ')}.` });
  }
}
