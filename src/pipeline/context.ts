/**
 * The one typed object a request carries through the stages, and the shapes handlers see.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/principal';
import type { CacheState } from '../cache/http-cache';
import type { ErrorFormat, Violation } from '../core/errors';
import type { Response, ResponseHeaders } from '../http/response';
import type { OperationRoute } from './compile/operation-route';

/** What a handler receives. Typed per operation by src/api/types.ts. */
export interface OperationRequest {
  operationId: string;
  method: string;
  path: string;
  /** Where the service is mounted ({@link RequestContext.base}): prefix of every link it writes. */
  base: string;
  /** Validated and coerced path parameters. */
  params: Record<string, unknown>;
  /** Validated and coerced query parameters. */
  query: Record<string, unknown>;
  /** Validated header parameters, under the names the document gives them. */
  headers: Record<string, unknown>;
  /** Validated cookie parameters (RFC 6265 §5.4), by name; empty for an operation that declares none. */
  cookies: Record<string, unknown>;
  body: unknown;
  /** Set on operations with a security requirement; undefined on public ones. */
  principal: Principal | undefined;
  requestId: string;
  /** The client's address, through TRUST_PROXY hops of X-Forwarded-For. */
  ip: string;
  /**
   * The Authorization header as sent. The document's security schemes read it before the handler
   * runs; OAuth endpoints read it themselves for client authentication (RFC 6749 §2.3.1), which
   * is not a security scheme of theirs (an OpenAPI header parameter cannot name Authorization).
   */
  authorization: string | undefined;
  /**
   * The request as it arrived, for handlers outside the document's types (the mock reads `Prefer`).
   * The product's handlers do not see it (api/types.ts): they get the validated parameters only.
   */
  raw: IncomingMessage;
}

/** What a handler returns; the pipeline writes it. Handlers never touch the response object. */
export interface HandlerResult {
  status: number;
  /** A list only for Set-Cookie, one value per cookie ({@link ResponseHeaders}). */
  headers?: ResponseHeaders;
  body?: unknown;
  /** Defaults to the media type negotiated for the request (or the document's first for the status). */
  contentType?: string;
}

export type RawHandler = (req: OperationRequest) => Promise<HandlerResult> | HandlerResult;

/** Validated path and query parameters, computed once per request (the cache key needs them early). */
export interface ParameterValues {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  violations: Violation[];
}

/**
 * How a request ended that the pipeline never answered: the client left mid-body, or node cut a
 * body slower than REQUEST_TIMEOUT_SECONDS (and answered 408 itself).
 */
export type UnansweredOutcome = 'client_aborted' | 'request_timeout';

/** A client's X-Request-Id is kept when it is a sane token; else the request gets a UUID. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * One request's state, created on arrival; each stage reads what earlier stages set. The types
 * below say what is set by the time a stage runs, so no stage has to assert it.
 */
export class RequestContext {
  readonly started = process.hrtime.bigint();
  readonly method: string;
  /** The path below the mount point: what the route table matches. */
  readonly path: string;
  /**
   * The path the service is mounted at: '' on its own server; under express, `req.baseUrl` (express
   * takes the mount path off `req.url` and keeps it there). Links the service writes start with it,
   * or a client of `app.use('/api', ...)` would follow them out of `/api`.
   */
  readonly base: string;
  /** The query string, without `?` ('' when absent). */
  readonly rawQuery: string;
  readonly requestId: string;
  /** The matched operation (route stage). */
  route: OperationRoute | undefined = undefined;
  /** How errors of this request are written: the operation's `x-error-format`, or the path's. */
  errorFormat: ErrorFormat = 'problem';
  /** Percent-decoded path parameters, not yet validated (route stage). */
  pathParams: Record<string, string> = {};
  /** The media type the response will have (negotiate stage). */
  mediaType: string | undefined = undefined;
  rawBody: Buffer | undefined = undefined;
  /** Validated path and query parameters, once computed (see stages/validate.ts). */
  parameters: ParameterValues | undefined = undefined;
  /** Per scheme of the operation: its verified credentials, or why they failed (authenticate stages). */
  credentials: (Principal | Error)[] = [];
  principal: Principal | undefined = undefined;
  /** The request as the handler sees it (validate stage). */
  input: OperationRequest | undefined = undefined;
  cache: CacheState | undefined = undefined;
  response: Response | undefined = undefined;
  /** What a stage threw that became the response (an error's trace attributes read it). */
  error: unknown = undefined;
  /** While the request's span is recorded (src/observability/tracing/): each stage marks its start here. */
  recording: { mark(stage: string): void } | undefined = undefined;
  /**
   * Set when the stages will not write a response: the client left or was cut, the cors stage
   * answered a preflight itself, or the path is not ours and goes to the embedding app's `next`.
   */
  unanswered: UnansweredOutcome | 'preflight' | 'handed_off' | undefined = undefined;

  /** The request's headers (a security scheme reads its credentials from them: CredentialRequest). */
  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** The embedding app's next handler (express), for paths outside the document. */
    readonly next: (() => void) | undefined,
  ) {
    this.method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.path = q === -1 ? url : url.slice(0, q);
    const { baseUrl } = req as { baseUrl?: unknown };
    this.base = typeof baseUrl === 'string' ? baseUrl : '';
    this.rawQuery = q === -1 ? '' : url.slice(q + 1);
    const incoming = req.headers['x-request-id'];
    this.requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  }
}

/** A request the route stage matched to an operation: what the operation's own stages receive. */
export interface RoutedContext extends RequestContext {
  readonly route: OperationRoute;
}

/** After validate: the request as the handler sees it is there too. */
export interface ValidatedContext extends RoutedContext {
  readonly input: OperationRequest;
}

/** A request with its response: what the stages after the answer receive. */
export interface AnsweredContext extends RequestContext {
  response: Response;
}

/** Whether the route stage matched an operation. */
export function isRouted(ctx: RequestContext): ctx is RoutedContext {
  return ctx.route !== undefined;
}

/** Whether a stage has produced the response (a handler, the cache, a static asset or an error). */
export function isAnswered(ctx: RequestContext): ctx is AnsweredContext {
  return ctx.response !== undefined;
}

/** One named step of a request's way (README, "How a request flows"), over what it may rely on. */
export type Stage<C extends RequestContext = RequestContext> = (ctx: C) => void | Promise<void>;
