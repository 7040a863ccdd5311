/**
 * cors: the `cors` package's headers for allowed origins, and its answer to a preflight (OPTIONS).
 * Runs only for paths of the document, so an embedding app's own routes keep their own policy.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import corsMiddleware from 'cors';
import type { RequestContext } from '../context';

/** Headers a browser script may read beyond the CORS-safelisted ones (Fetch §3.2.6). */
const EXPOSED = [
  'X-Request-Id',
  'WWW-Authenticate',
  'Retry-After',
  'RateLimit-Policy',
  'RateLimit',
  'Location',
  'ETag',
];

export function corsStage(origins: readonly string[], expose: readonly string[] = []) {
  const middleware = corsMiddleware({
    origin: origins.includes('*') ? '*' : [...origins],
    exposedHeaders: [...EXPOSED, ...expose],
    maxAge: 600,
  });
  return function cors(ctx: RequestContext): Promise<void> | void {
    return new Promise<void>((resolve, reject) => {
      middleware(
        ctx.req as IncomingMessage & { method: string },
        ctx.res as ServerResponse & { statusCode: number },
        (err?: unknown) => (err ? reject(err) : resolve()),
      );
      // A preflight is answered by the middleware itself (204), without calling next.
      if (ctx.res.writableEnded) {
        ctx.unanswered = 'preflight';
        resolve();
      }
    });
  };
}
