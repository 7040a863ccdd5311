/**
 * Serves a pipeline built from a fixture document over a real HTTP server, for tests of the
 * pipeline's generic behaviour (routing, validation, errors, scopes) apart from the product's
 * operations. The security scheme maps fixed token strings to principals.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecurityScheme } from '../../src/auth/principal';
import { tokenChallenge } from '../../src/auth/schemes/challenge';
import { ApiError } from '../../src/core/errors';
import type { OpenApiDocument } from '../../src/pipeline/compile/document';
import type { OperationRequest, RawHandler } from '../../src/pipeline/context';
import { createPipeline, type Pipeline } from '../../src/pipeline/pipeline';
import { capturingLogger } from './logs';

export interface FixtureServer {
  url: string;
  pipeline: Pipeline;
  logs: string[];
  /** Requests the handlers received, in order. */
  received: OperationRequest[];
  stop(): Promise<void>;
}

/** Tokens the fixture scheme accepts: `token-<scope>+<scope>` grants those scopes. */
export const fixtureScheme: SecurityScheme = {
  verify(request) {
    const auth = request.headers.authorization;
    if (!auth) throw new ApiError('unauthorized');
    const m = /^Bearer token-(.*)$/.exec(auth);
    if (!m) throw new ApiError('invalid_token');
    return {
      kind: 'user',
      userId: 'u1',
      scopes: m[1] ? m[1].split('+') : [],
      clientId: 'c',
      sessionId: 's',
      tokenId: 't',
      expiresAt: 0,
    };
  },
  challenge: (err) => tokenChallenge('Bearer', err),
};

export async function startFixtureServer(
  document: OpenApiDocument,
  handlers: Record<string, RawHandler>,
  opts: { bodyLimitBytes?: number; validateResponses?: boolean } = {},
): Promise<FixtureServer> {
  const logs: string[] = [];
  const received: OperationRequest[] = [];
  const logger = capturingLogger('debug', logs);
  const wrapped = Object.fromEntries(
    Object.entries(handlers).map(([id, h]) => [
      id,
      (req: OperationRequest) => {
        received.push(req);
        return h(req);
      },
    ]),
  );
  const pipeline = createPipeline({
    document,
    handlers: wrapped,
    securitySchemes: { bearer: fixtureScheme },
    logger,
    bodyLimitBytes: opts.bodyLimitBytes ?? 1024,
    validateResponses: opts.validateResponses ?? true,
    trustProxy: 0,
  });
  const server = http.createServer((req, res) => void pipeline.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pipeline,
    logs,
    received,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
