/**
 * Embedding: `app.use(specgate.express())` mounts every operation of the document, the docs and the
 * document itself in an existing express application, next to its own routes and middleware.
 * Requests for other paths go on to the application's next handler, untouched.
 *
 * Mount it before any body parser (express.json(), urlencoded()): specgate reads and validates the
 * raw body itself, and a body another middleware consumed cannot be read again.
 */
import type { RequestHandler } from 'express';
import type { Pipeline } from '../pipeline/pipeline';

export function expressMiddleware(pipeline: Pipeline): RequestHandler {
  return (req, res, next) => {
    pipeline.handle(req, res, () => next()).catch(next);
  };
}
