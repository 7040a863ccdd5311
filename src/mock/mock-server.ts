/**
 * The mock server: the service's own request pipeline (routing, 404/405/406/413/415, request
 * validation, security and scopes, response validation) over handlers that answer from the
 * document's examples. No Redis, no database: API consumers and SDK users can build against the
 * contract before a handler exists. `npm run mock` (scripts/mock.ts) serves it.
 */
import http, { type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../core/logger';
import { loadDocument, type OpenApiDocument } from '../pipeline/compile/document';
import { createPipeline, type Pipeline } from '../pipeline/pipeline';
import { createMockHandlers } from './mock-handlers';
import { mockSecuritySchemes } from './mock-security';

/** Options of {@link createMockApp}. */
export interface MockAppOptions {
  /** Defaults to an `info` logger on stdout. */
  logger?: Logger;
  /** Request bodies above this get 413; the service's default, 64 KiB, unless set. */
  bodyLimitBytes?: number;
}

/** The mock as a node:http listener. It holds no connections or timers: closing its server stops it. */
export interface MockApp {
  listener: RequestListener;
  pipeline: Pipeline;
}

/** Builds the mock for `document` (default: openapi/openapi.yaml). */
export async function createMockApp(
  document: OpenApiDocument = loadDocument(),
  options: MockAppOptions = {},
): Promise<MockApp> {
  const logger = options.logger ?? createLogger('info');
  const pipeline = createPipeline({
    document,
    handlers: await createMockHandlers(document, logger),
    securitySchemes: mockSecuritySchemes(document),
    logger,
    bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024,
    // Always on: an example that has drifted from its schema is a 500 whose log line names the
    // mismatch, never a wrong contract handed to the mock's users.
    validateResponses: true,
    trustProxy: 0,
    // Browser apps on another origin build against the mock too (Prism answers CORS by default).
    cors: { origins: ['*'], expose: ['Preference-Applied'] },
  });
  return { listener: (req, res) => void pipeline.handle(req, res), pipeline };
}

/** A listening mock server. */
export interface RunningMock {
  /** `http://host:port`, with the port actually bound (PORT 0 picks a free one). */
  url: string;
  server: http.Server;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Starts {@link createMockApp} on `port` (default 4010, Prism's) and `host` (default 127.0.0.1). */
export async function startMockServer(
  options: MockAppOptions & { document?: OpenApiDocument; port?: number; host?: string } = {},
): Promise<RunningMock> {
  const { listener } = await createMockApp(options.document, options);
  const server = http.createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4010, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
