/**
 * readBody: the whole body of an operation that takes one, within BODY_LIMIT_BYTES (413 as soon as
 * it is exceeded); any other body is drained unread so the connection can be reused.
 */
import { readBody as readLimited } from '../../http/body';
import type { RequestContext } from '../context';

export function readBodyStage(limitBytes: number) {
  return function readBody(ctx: RequestContext): Promise<void> | void {
    if (!ctx.route!.op.body) {
      if (!ctx.req.readableEnded) ctx.req.resume();
      return;
    }
    return readLimited(ctx.req, limitBytes).then((raw) => {
      ctx.rawBody = raw;
    });
  };
}
