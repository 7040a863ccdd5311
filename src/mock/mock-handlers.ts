/**
 * A handler for every operation of the document that answers from the document itself: the body
 * from openapi-backend's mock responses (the named example, else the media type's example, else
 * its first example, else one built from the schema), the headers from src/mock/mock-headers.ts.
 *
 * The answer is the operation's lowest documented 2xx status unless the request prefers another
 * documented status or a named example (src/mock/mock-preferences.ts). A preference the document
 * cannot meet is ignored, as RFC 7240 §2 asks (Prism answers 500 instead), and logged.
 */
import { type Document, OpenAPIBackend, type Operation } from 'openapi-backend';
import type { Logger } from '../core/logger';
import { negotiateMediaType } from '../http/negotiate';
import type { OpenApiDocument } from '../pipeline/compile/document';
import type { RawHandler } from '../pipeline/context';
import { type HeaderObject, mockHeaders } from './mock-headers';
import { parsePreferences } from './mock-preferences';

/** A Response Object of the dereferenced document (the parts read here). */
interface ResponseObject {
  content?: Record<string, { examples?: Record<string, unknown> }>;
  headers?: Record<string, HeaderObject>;
}

/** Builds the handlers, keyed by operationId, for createPipeline. */
export async function createMockHandlers(
  document: OpenApiDocument,
  logger: Logger,
): Promise<Record<string, RawHandler>> {
  // A copy: openapi-backend dereferences the definition it holds, the pipeline compiles the original.
  const api = new OpenAPIBackend({
    definition: structuredClone(document) as unknown as Document,
    quick: true,
    validate: false,
  });
  await api.init();
  const handlers: Record<string, RawHandler> = {};
  for (const op of api.getOperations()) {
    if (op.operationId === undefined) throw new Error(`${op.method} ${op.path} has no operationId`);
    handlers[op.operationId] = mockHandler(api, op, op.operationId, logger);
  }
  return handlers;
}

function mockHandler(api: OpenAPIBackend, op: Operation, operationId: string, logger: Logger): RawHandler {
  const responses = (op.responses ?? {}) as Record<string, ResponseObject>;
  const documented = Object.keys(responses).filter((s) => /^\d{3}$/.test(s));
  const success = documented.filter((s) => s.startsWith('2')).sort()[0];
  if (!success) throw new Error(`${operationId} documents no 2xx response for the mock to answer with`);

  return (req) => {
    const prefer = parsePreferences(req.raw.headers.prefer);
    const applied: string[] = [];
    let status = Number(success);
    if (prefer.code !== undefined) {
      if (documented.includes(String(prefer.code))) {
        status = prefer.code;
        applied.push(`code=${prefer.code}`);
      } else {
        logger.warn(
          { requestId: req.requestId, operationId, documented },
          `Prefer code=${prefer.code} ignored: not a documented status of ${operationId}`,
        );
      }
    }
    const response: ResponseObject | undefined = responses[status];
    const content = response?.content ?? {};
    const mediaTypes = Object.keys(content);
    const mediaType =
      mediaTypes.find((t) => negotiateMediaType(req.raw.headers.accept, [t]) !== undefined) ?? mediaTypes[0];
    let example: string | undefined;
    if (prefer.example !== undefined) {
      const named = mediaType === undefined ? [] : Object.keys(content[mediaType]?.examples ?? {});
      if (named.includes(prefer.example)) {
        example = prefer.example;
        applied.push(`example=${prefer.example}`);
      } else {
        logger.warn(
          { requestId: req.requestId, operationId, status, examples: named },
          `Prefer example=${prefer.example} ignored: no such example of ${operationId} ${status}`,
        );
      }
    }

    let body: unknown;
    if (mediaType !== undefined) {
      // A copy: the mock is the document's own example object, and problem answers are edited below.
      body = structuredClone(api.mockResponseForOperation(operationId, { code: status, mediaType, example }).mock);
      if (mediaType === 'application/problem+json' && body !== null && typeof body === 'object') {
        // The document promises the request's own path and id (the X-Request-Id header) here.
        Object.assign(body, { instance: req.path, request_id: req.requestId });
      }
    }
    const headers = mockHeaders(response?.headers ?? {}, { status, path: req.path, body });
    if (applied.length > 0) headers['preference-applied'] = applied.join(', ');
    return { status, body, headers, contentType: mediaType };
  };
}
