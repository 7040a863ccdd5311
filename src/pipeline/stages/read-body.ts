/**
 * readBody: the whole body of an operation that takes one, within BODY_LIMIT_BYTES (413 as soon as
 * it is exceeded). Operations without a request body do not run it: the route stage drains what
 * they were sent (discardBody).
 */
import type { IncomingMessage } from 'node:http';
import { readBody as readLimited } from '../../http/body';
import type { RoutedContext } from '../context';

export function readBodyStage(limitBytes: number) {
  return function readBody(ctx: RoutedContext): Promise<void> {
    return readLimited(ctx.req, limitBytes).then((raw) => {
      ctx.rawBody = raw;
    });
  };
}

/** Drains a body nobody will read, so that the connection can be reused for the next request. */
export function discardBody(req: IncomingMessage): void {
  if (!req.readableEnded) req.resume();
}
