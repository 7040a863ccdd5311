/**
 * Reading and parsing request bodies, with the limit enforced while reading (413 before the whole
 * body is buffered).
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, ServiceError, validationFailed } from '../core/errors';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';
import { multiValues } from './multi-values';
import { charsetOf, isJsonType } from './negotiate';

/**
 * The client closed the connection before its request body arrived. Not a failure of the service:
 * nothing is answered, it is logged at info and counted apart from responses.
 */
export class ClientAbortedError extends ServiceError {
  static override readonly code = 'client_aborted';
  readonly code = 'client_aborted';
  constructor(cause: unknown) {
    super('The client closed the connection before the request body arrived.', { cause });
  }
}

/**
 * The server cut the request: its body did not arrive within REQUEST_TIMEOUT_SECONDS, so node
 * answered 408 Request Timeout (RFC 9110 §15.5.9) and closed the connection. The client did not
 * leave, it was too slow; told apart from {@link ClientAbortedError} so the log and the metrics say
 * who ended the request.
 */
export class RequestTimedOutError extends ServiceError {
  static override readonly code = 'request_timeout';
  readonly code = 'request_timeout';
  constructor(cause: unknown) {
    super('The request body did not arrive within the request timeout.', { cause });
  }
}

/** Reads the whole body, failing with 413 as soon as it exceeds `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        req.resume();
        throw tooLarge(limit);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    // node:http fails the stream with "aborted" (ECONNRESET) whoever closed the socket mid-body;
    // the socket's own error tells: node destroys it with ERR_HTTP_REQUEST_TIMEOUT when its
    // requestTimeout cuts the request (after writing the 408), a client's EOF leaves a parser error.
    if (!(err instanceof ApiError) && (req.destroyed || req.socket?.destroyed)) {
      if ((req.socket?.errored as NodeJS.ErrnoException | null | undefined)?.code === 'ERR_HTTP_REQUEST_TIMEOUT')
        throw new RequestTimedOutError(err);
      throw new ClientAbortedError(err);
    }
    throw err;
  }
  const [only] = chunks;
  return chunks.length === 1 && only ? only : Buffer.concat(chunks, size);
}

function tooLarge(limit: number): ApiError {
  return new ApiError('payload_too_large', { detail: `The request body exceeds ${limit} bytes.` });
}

/**
 * Parses `raw` as `mediaType`. JSON bodies must be UTF-8 (RFC 8259 §8.1); form bodies become an
 * object whose repeated keys hold arrays, so a schema can reject repeats (RFC 6749 §3.2).
 */
export function parseBody(raw: Buffer, mediaType: string, contentTypeHeader: string): unknown {
  const charset = charsetOf(contentTypeHeader);
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ApiError('unsupported_media_type', { detail: `Unsupported charset "${charset}": use UTF-8.` });
  }
  const text = raw.toString('utf8');
  // RFC 6749 §3.2 / §4.3.2: a parameter sent without a value is treated as omitted.
  if (mediaType === 'application/x-www-form-urlencoded') return multiValues(text, { dropEmpty: true });
  if (isJsonType(mediaType)) {
    if (nestsDeeperThan(raw, MAX_JSON_DEPTH)) {
      throw validationFailed({
        in: 'body',
        pointer: '',
        message: `nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
      });
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ApiError('malformed_body', { detail: `The body is not valid JSON: ${(err as Error).message}` });
    }
  }
  return text;
}
