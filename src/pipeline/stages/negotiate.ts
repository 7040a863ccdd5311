/**
 * negotiate: the media type of the answer, from Accept and what the operation produces
 * (RFC 9110 §12.5.1); 406 when the client accepts none of them. Only operations that produce a
 * body run it.
 */
import { ApiError } from '../../core/errors';
import { negotiateMediaType } from '../../http/negotiate';
import type { RoutedContext } from '../context';

export function negotiate(ctx: RoutedContext): void {
  const { produces } = ctx.route.op;
  ctx.mediaType = negotiateMediaType(ctx.req.headers.accept, produces);
  if (ctx.mediaType === undefined) {
    throw new ApiError('not_acceptable', { detail: `This operation produces: ${produces.join(', ')}.` });
  }
}
