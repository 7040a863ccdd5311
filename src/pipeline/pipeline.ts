/**
 * The request pipeline: every request runs these stages in this order (README, "How a request
 * flows"). Each stage is a named function over the request's RequestContext; the answering stages
 * run until one of them produces the response, then the response stages run on it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { SecurityScheme } from '../auth/principal';
import type { HttpCache } from '../cache/http-cache';
import { isUnavailable, renderError } from '../core/errors';
import type { Logger } from '../core/logger';
import { ClientAbortedError, RequestTimedOutError } from '../http/body';
import type { SecurityHeaders } from '../http/security-headers';
import type { OpenApiDocument } from './compile/document';
import { compileRoutes, type OperationRoute } from './compile/operation-route';
import { ResponseValidator } from './compile/response-validator';
import { SchemaCompiler } from './compile/schema-compiler';
import { type RawHandler, RequestContext, type UnansweredOutcome } from './context';
import { checkCredentials, verifyCredentials } from './stages/authenticate';
import { authorize } from './stages/authorize';
import { cacheStages } from './stages/cache';
import { checkResponseStage } from './stages/check-response';
import { corsStage } from './stages/cors';
import { invoke } from './stages/invoke';
import { negotiate } from './stages/negotiate';
import { readBodyStage } from './stages/read-body';
import { routeStage } from './stages/route';
import { type StaticAsset, StaticAssets } from './stages/static-assets';
import { validateStage } from './stages/validate';
import { writeStage } from './stages/write';

export interface PipelineOptions {
  document: OpenApiDocument;
  handlers: Record<string, RawHandler>;
  securitySchemes: Record<string, SecurityScheme>;
  logger: Logger;
  bodyLimitBytes: number;
  /** Check every response against the document (dev and test); a mismatch is a 500. */
  validateResponses: boolean;
  /** How many proxies' X-Forwarded-For hops to trust for the client address. */
  trustProxy: number;
  /** The response cache; operations then must declare x-cache / x-invalidates. */
  cache?: HttpCache;
  /** CORS_ORIGINS, and headers to expose beyond specgate's own; no origins: no CORS headers. */
  cors?: { origins: readonly string[]; expose?: readonly string[] };
  /** Header sets by kind of response (API, docs page). */
  headers?: SecurityHeaders;
  /** Files served beside the operations, by path (the Redoc bundle). */
  assets?: Record<string, StaticAsset>;
  /** Prefix of problem `type` URIs (PROBLEM_TYPE_BASE). */
  problemTypeBase?: string;
  /** While `draining`, every response carries `Connection: close`. */
  lifecycle?: { readonly draining: boolean };
  /** Called once per response the pipeline writes (metrics). */
  onResponse?: (operationId: string | undefined, method: string, status: number, seconds: number) => void;
  /** Called once per request whose body never fully arrived, instead of onResponse (metrics). */
  onUnanswered?: (operationId: string | undefined, outcome: UnansweredOutcome) => void;
}

export type Stage = (ctx: RequestContext) => void | Promise<void>;

export interface Pipeline {
  /**
   * Answers a request. With `next` (embedded in express), a path outside the document and its
   * assets is handed to `next` untouched; without it, such a path is 404.
   */
  handle(req: IncomingMessage, res: ServerResponse, next?: () => void): Promise<void>;
  routes: readonly OperationRoute[];
  /** The stages' names, in the order they run (the README's "How a request flows" lists them). */
  stages: readonly string[];
}

export function createPipeline(opts: PipelineOptions): Pipeline {
  const compiler = new SchemaCompiler(opts.document);
  const { table, routes } = compileRoutes(opts.document, compiler, {
    handlers: opts.handlers,
    securitySchemes: opts.securitySchemes,
    caching: opts.cache !== undefined,
  });
  const cors = opts.cors?.origins.length ? corsStage(opts.cors.origins, opts.cors.expose) : undefined;
  const { prefetchCache, cached } = cacheStages(opts.cache);
  const checkResponse = opts.validateResponses
    ? checkResponseStage(new ResponseValidator(compiler), opts.logger)
    : undefined;
  const write = writeStage(opts.headers ?? { api: {}, page: {} }, opts.lifecycle ?? { draining: false });

  /** Until one of them produces the response. */
  const answer: Stage[] = [
    routeStage({ table, assets: new StaticAssets(opts.assets ?? {}), cors: cors !== undefined }),
    ...(cors ? [cors] : []),
    negotiate,
    readBodyStage(opts.bodyLimitBytes),
    verifyCredentials,
    prefetchCache,
    checkCredentials,
    authorize,
    validateStage(clientAddress(opts.trustProxy)),
    cached(invoke),
  ];
  /** Then, on every response (an error's too). */
  const respond: Stage[] = [...(checkResponse ? [checkResponse] : []), write];

  async function handle(req: IncomingMessage, res: ServerResponse, next?: () => void): Promise<void> {
    const ctx = new RequestContext(req, res, next);
    try {
      for (const stage of answer) {
        const pending = stage(ctx);
        if (pending) await pending;
        if (ctx.response || ctx.unanswered) break;
      }
      if (ctx.response) for (const stage of respond) stage(ctx);
    } catch (err) {
      if (answerError(ctx, err, opts)) write(ctx);
    }
    observe(ctx, opts);
    if (ctx.unanswered === 'handed_off') next!();
  }

  return { handle, routes, stages: [...answer, ...respond].map((stage) => stage.name) };
}

/** The client's address: the socket's, or through `hops` trusted proxies' X-Forwarded-For. */
function clientAddress(hops: number): (ctx: RequestContext) => string {
  if (hops === 0) return (ctx) => ctx.req.socket.remoteAddress ?? '';
  return (ctx) => proxyaddr(ctx.req, (_address, i) => i < hops);
}

/**
 * Turns what a stage threw into the response (problem+json or OAuth JSON, src/core/errors.ts);
 * false when there is nothing to write: the client left, or the response had already begun.
 */
function answerError(ctx: RequestContext, err: unknown, opts: PipelineOptions): boolean {
  if (err instanceof ClientAbortedError || err instanceof RequestTimedOutError) {
    // The client went away mid-request, or node cut it for slowness and answered 408 itself:
    // nothing left to answer here, and no fault of the service.
    ctx.unanswered = err.code;
    return false;
  }
  const rendered = renderError(err, {
    format: ctx.errorFormat,
    instance: ctx.path,
    requestId: ctx.requestId,
    typeBase: opts.problemTypeBase,
  });
  if (rendered.status >= 500) {
    const fields = { requestId: ctx.requestId, operationId: ctx.route?.op.operationId };
    if (isUnavailable(err))
      opts.logger.warn({ ...fields, err: String((err as Error).cause ?? err) }, 'dependency unavailable');
    else opts.logger.error({ ...fields, err }, 'request failed');
  }
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return false;
  }
  ctx.response = {
    status: rendered.status,
    headers: rendered.headers,
    body: rendered.body,
    contentType: 'application/problem+json',
  };
  return true;
}

/** One log line and one metric per request. */
function observe(ctx: RequestContext, opts: PipelineOptions): void {
  if (ctx.unanswered === 'handed_off') return;
  const seconds = Number(process.hrtime.bigint() - ctx.started) / 1e9;
  const operationId = ctx.route?.op.operationId;
  const aborted = ctx.unanswered === 'client_aborted' || ctx.unanswered === 'request_timeout';
  const status = ctx.response?.status ?? ctx.res.statusCode;
  if (aborted) opts.onUnanswered?.(operationId, ctx.unanswered as UnansweredOutcome);
  else opts.onResponse?.(operationId, ctx.method, status, seconds);
  // The access line's object is built only when the line is written.
  if (!opts.logger.isLevelEnabled('info')) return;
  const entry = {
    requestId: ctx.requestId,
    method: ctx.method,
    path: ctx.path,
    operationId,
    ms: Math.round(seconds * 1e5) / 100,
  };
  // Info, not warn, for a timeout too: a slow client is the client's condition, handled as
  // configured; the metrics counter is what to alert on.
  if (aborted) opts.logger.info({ ...entry, outcome: ctx.unanswered }, 'request');
  else opts.logger.info({ ...entry, status }, 'request');
}
