/**
 * specgate's pipeline in memory, for the benches that time it without a network: an
 * IncomingMessage built in memory, a response that captures what is written, and the pipeline over
 * a document with every operation answered at once (bench:pipeline, bench:tracing).
 */
import http from 'node:http';
import net from 'node:net';
import type { Principal } from '../src/auth/principal';
import { createLogger } from '../src/core/logger';
import type { OpenApiDocument } from '../src/pipeline/compile/document';
import type { HandlerResult, OperationRequest } from '../src/pipeline/context';
import { createPipeline, type RequestTracing } from '../src/pipeline/pipeline';

export interface Req {
  method: string;
  /** Path and query string. */
  url: string;
  body?: string;
  contentType?: string;
  status: number;
}

/** One socket for every in-memory request: IncomingMessage only reads from it when it is readable. */
const SOCKET = new net.Socket();

export function makeRequest(r: Req): http.IncomingMessage {
  const req = new http.IncomingMessage(SOCKET);
  req.method = r.method;
  req.url = r.url;
  req.httpVersion = '1.1';
  req.headers = { host: 'bench.local', accept: 'application/json', authorization: 'Bearer bench' };
  if (r.body)
    Object.assign(req.headers, {
      'content-type': r.contentType ?? 'application/json',
      'content-length': String(Buffer.byteLength(r.body)),
    });
  if (r.body) req.push(r.body);
  req.push(null);
  req.complete = true; // fully received: auto-destroy after 'end' is not an abort
  return req;
}

/** Captures what the pipeline writes (one writeHead + end per request). */
export class CapturedResponse {
  statusCode = 0;
  headersSent = false;
  writableEnded = false;
  private headers: Record<string, unknown> = {};
  writeHead(status: number): this {
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }
  setHeader(name: string, value: unknown): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  getHeader(name: string): unknown {
    return this.headers[name.toLowerCase()];
  }
  end(): this {
    this.writableEnded = true;
    return this;
  }
  destroy(): this {
    return this;
  }
  once(): this {
    return this;
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
export const operationIds = (document: OpenApiDocument) =>
  Object.values(document.paths).flatMap((item) =>
    METHODS.flatMap((m) => (item as Record<string, { operationId?: string }>)[m]?.operationId ?? []),
  );

/** The pipeline over `document`, every operation answered by `answer`; runs one request, resolves with its status. */
export async function inMemoryPipeline(
  document: OpenApiDocument,
  answer: (req: OperationRequest) => HandlerResult,
  tracing?: RequestTracing,
): Promise<(r: Req) => Promise<number>> {
  const principal: Principal = {
    kind: 'user',
    userId: 'u-1',
    scopes: ['items:read', 'items:write'],
    clientId: 'bench',
    sessionId: 's-1',
    tokenId: 't-1',
    expiresAt: 4e9,
  };
  const schemes = Object.keys(
    (document as { components?: { securitySchemes?: object } }).components?.securitySchemes ?? {},
  );
  const pipeline = createPipeline({
    document: structuredClone(document),
    handlers: Object.fromEntries(operationIds(document).map((id) => [id, answer])),
    securitySchemes: Object.fromEntries(schemes.map((name) => [name, { verify: () => principal }])),
    logger: createLogger('silent'),
    bodyLimitBytes: 65_536,
    validateResponses: false,
    trustProxy: 0,
    tracing,
  });
  return async (r) => {
    const res = new CapturedResponse();
    await pipeline.handle(makeRequest(r), res as unknown as http.ServerResponse);
    return res.statusCode;
  };
}
