/**
 * specgate inside an existing application:
 *
 *   import express from 'express';
 *   import { createSpecgate } from 'specgate/embed';
 *
 *   const app = express();
 *   const specgate = await createSpecgate(); // reads the same environment as `npm start`
 *   app.get('/hello', (req, res) => res.send('mine'));
 *   app.use(specgate.express());             // every operation, /docs and /openapi.json
 *   // or below a path: app.use('/api', specgate.express()); its links (Location...) then start with /api
 *   app.listen(3000);
 *   // on shutdown: await specgate.close();
 *
 * express is an optional peer dependency: the application installs it, specgate only refers to its
 * types. An application that builds its own app with createApp mounts it with
 * `expressMiddleware(app.pipeline)`.
 */
import type { RequestHandler } from 'express';
import { type App, createApp } from '../app';
import { type Config, loadConfig } from '../core/config';
import { createLogger, type Logger } from '../core/logger';
import { openResources } from '../main';
import { expressMiddleware } from './express';

export { expressMiddleware };

export interface Specgate {
  app: App;
  /** express middleware; paths outside the document go on to the application's next handler. */
  express(): RequestHandler;
  /** Closes Redis and the database (the application owns its server). */
  close(): Promise<void>;
}

export async function createSpecgate(opts: { config?: Config; logger?: Logger } = {}): Promise<Specgate> {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger(config.logLevel);
  const resources = await openResources(config, logger);
  const app = await createApp({
    config,
    logger,
    redis: resources.redis,
    db: resources.db,
    cacheRedis: resources.cacheRedis,
  });
  return { app, express: () => expressMiddleware(app.pipeline), close: resources.close };
}
