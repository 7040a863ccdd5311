/**
 * The request pipeline: every request runs these stages in this order (README, "How a request
 * flows"). Each stage is a named function over the request's RequestContext, typed by what earlier
 * stages set: route (and cors) until one answers or an operation is found; then that operation's
 * own stages, chosen once at start-up, validate and its answer; then the response stages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecurityScheme } from '../auth/principal';
import type { HttpCache } from '../cache/http-cache';
import { isUnavailable, renderError } from '../core/errors';
import type { Logger } from '../core/logger';
import { ClientAbortedError, RequestTimedOutError } from '../http/body';
import { clientAddress } from '../http/client-address';
import { mediaTypeOf } from '../http/negotiate';
import type { SecurityHeaders } from '../http/security-headers';
import type { OpenApiDocument } from './compile/document';
import { type CompiledRoute, compileRoutes, type OperationRoute } from './compile/operation-route';
import { ResponseValidator } from './compile/response-validator';
import { RouteTable } from './compile/route-table';
import { SchemaCompiler } from './compile/schema-compiler';
import {
  type AnsweredContext,
  isAnswered,
  isRouted,
  type RawHandler,
  RequestContext,
  type RoutedContext,
  type Stage,
  type UnansweredOutcome,
  type ValidatedContext,
} from './context';
import { checkCredentials, verifyCredentials } from './stages/authenticate';
import { authorize } from './stages/authorize';
import { cacheStage, prefetchCacheStage } from './stages/cache';
import { challengeFor } from './stages/challenge';
import { checkResponseStage } from './stages/check-response';
import { corsStage } from './stages/cors';
import { invoke } from './stages/invoke';
import { negotiate } from './stages/negotiate';
import { readBodyStage } from './stages/read-body';
import { routeStage } from './stages/route';
import { type StaticAsset, StaticAssets } from './stages/static-assets';
import { type Validate, validateStage } from './stages/validate';
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
  /** Runs each request inside its trace's span (src/observability/tracing/); absent: no tracing at all. */
  tracing?: RequestTracing;
}

/**
 * How a request is traced: `run` inside the request's span, which ends with what ctx then holds;
 * each stage, compiled once, marks its start on that span (which stage took the time).
 */
export interface RequestTracing {
  trace(ctx: RequestContext, run: (ctx: RequestContext) => Promise<void>): Promise<void>;
  stage<C extends RequestContext>(stage: Stage<C>): Stage<C>;
}

/** A stage for one operation, or undefined where it cannot need that stage; asked once, at start-up. */
type StageFor<C extends RoutedContext> = (route: CompiledRoute) => Stage<C> | undefined;

export interface Pipeline {
  /**
   * Answers a request. With `next` (embedded in express), a path outside the document and its
   * assets is handed to `next` untouched; without it, such a path is 404.
   */
  handle(req: IncomingMessage, res: ServerResponse, next?: () => void): Promise<void>;
  routes: readonly OperationRoute[];
  /**
   * The stages' names, in the order they run: each operation runs those it needs (its
   * `stages`), so this is their union (the README's "How a request flows" lists it).
   */
  stages: readonly string[];
}

export function createPipeline(opts: PipelineOptions): Pipeline {
  const { cache } = opts;
  const compiler = new SchemaCompiler(opts.document);
  const cors = opts.cors?.origins.length ? corsStage(opts.cors.origins, opts.cors.expose) : undefined;
  const readBody = readBodyStage(opts.bodyLimitBytes);
  const client = clientAddress(opts.trustProxy);
  // Untraced, each stage is its function itself: tracing adds nothing to a request it does not trace.
  const step = opts.tracing ? opts.tracing.stage : <C extends RequestContext>(stage: Stage<C>) => stage;
  const validate: Validate = step(validateStage((ctx) => client(ctx.req))) as Validate;
  const checkResponse = opts.validateResponses
    ? checkResponseStage(new ResponseValidator(compiler), opts.logger)
    : undefined;
  const write = step(writeStage(opts.headers ?? { api: {}, page: {} }, opts.lifecycle ?? { draining: false }));
  const secured = (route: CompiledRoute) => !route.security.public;
  const table = new RouteTable<OperationRoute>();

  /** Before the operation is known, every request. */
  const front: Stage[] = [
    routeStage({ table, assets: new StaticAssets(opts.assets ?? {}), cors: cors !== undefined }),
    ...(cors ? [cors] : []),
  ].map(step);
  // Then the operation's own stages, chosen once per operation at start-up, as fastify's route
  // contexts and Connexion's per-operation security do: a public operation has no auth stages, one
  // without a request body no readBody, one the cache does not serve no cache stages.
  /** Until its input is valid, in this order. */
  const checks = {
    negotiate: (route) => (route.op.produces.length > 0 ? negotiate : undefined),
    readBody: (route) => (route.op.body ? readBody : undefined),
    verifyCredentials: (route) => (secured(route) ? verifyCredentials : undefined),
    prefetchCache: (route) => (cache && route.cache?.read ? prefetchCacheStage(cache, route.cache.read) : undefined),
    checkCredentials: (route) => (secured(route) ? checkCredentials : undefined),
    authorize: (route) => (secured(route) ? authorize : undefined),
  } satisfies Record<string, StageFor<RoutedContext>>;
  // Then validate, for every operation.
  /** Then its answer: the first of these it has. */
  const answers = {
    cache: (route) => (cache && route.cache ? cacheStage(cache, route.cache) : undefined),
    invoke: () => invoke,
  } satisfies Record<string, StageFor<ValidatedContext>>;
  /** Then, on every response (an error's too). */
  const respond = [...(checkResponse ? [step(checkResponse)] : []), write];

  const routes = compileRoutes(opts.document, compiler, table, {
    handlers: opts.handlers,
    securitySchemes: opts.securitySchemes,
    caching: cache !== undefined,
    stages: (route) => ({
      checks: Object.values(checks).flatMap((stageFor) => {
        const stage = stageFor(route);
        return stage ? [step(stage)] : [];
      }),
      answer: step(answers.cache(route) ?? answers.invoke()),
    }),
  });

  async function run(ctx: RequestContext): Promise<void> {
    try {
      for (const stage of front) {
        const pending = stage(ctx);
        if (pending) await pending;
        if (ended(ctx)) break;
      }
      if (!ended(ctx)) {
        // Only an OPTIONS the cors stage answers passes the route stage without an operation.
        if (!isRouted(ctx)) throw new Error(`${ctx.method} ${ctx.path}: no operation and no answer`);
        const own = ctx.route.stages;
        for (const stage of own.checks) {
          const pending = stage(ctx);
          if (pending) await pending;
        }
        validate(ctx);
        await own.answer(ctx);
      }
      if (isAnswered(ctx)) for (const stage of respond) stage(ctx);
    } catch (err) {
      const answered = answerError(ctx, err, opts);
      if (answered) write(answered);
    }
    observe(ctx, opts);
  }

  const { tracing } = opts;
  // One branch per request when tracing is off: no span, no context, nothing else.
  async function handle(req: IncomingMessage, res: ServerResponse, next?: () => void): Promise<void> {
    const ctx = new RequestContext(req, res, next);
    if (tracing) await tracing.trace(ctx, run);
    else await run(ctx);
    if (ctx.unanswered === 'handed_off') ctx.next?.();
  }

  const names = (stages: readonly { name: string }[]) => stages.map((stage) => stage.name);
  return {
    handle,
    routes,
    stages: [...names(front), ...Object.keys(checks), validate.name, ...Object.keys(answers), ...names(respond)],
  };
}

/** Whether a stage answered, or the request will get no answer from the pipeline. */
function ended(ctx: RequestContext): boolean {
  return ctx.response !== undefined || ctx.unanswered !== undefined;
}

/**
 * Turns what a stage threw into the response (problem+json or OAuth JSON, src/core/errors.ts);
 * undefined when there is nothing to write: the client left, or the response had already begun.
 */
function answerError(ctx: RequestContext, err: unknown, opts: PipelineOptions): AnsweredContext | undefined {
  if (err instanceof ClientAbortedError || err instanceof RequestTimedOutError) {
    // The client went away mid-request, or node cut it for slowness and answered 408 itself:
    // nothing left to answer here, and no fault of the service.
    ctx.unanswered = err.code;
    return undefined;
  }
  ctx.error = err;
  const rendered = renderError(err, {
    format: ctx.errorFormat,
    instance: ctx.base + ctx.path,
    requestId: ctx.requestId,
    typeBase: opts.problemTypeBase,
    challenge: challengeFor(ctx, err),
  });
  if (rendered.status >= 500) {
    const fields = { requestId: ctx.requestId, operationId: ctx.route?.op.operationId };
    if (isUnavailable(err))
      opts.logger.warn({ ...fields, err: String((err as Error).cause ?? err) }, 'dependency unavailable');
    else opts.logger.error({ ...fields, err }, 'request failed');
  }
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return undefined;
  }
  const response = {
    status: rendered.status,
    headers: rendered.headers,
    body: rendered.body,
    contentType: mediaTypeOf(rendered.headers['content-type']) ?? 'application/problem+json',
  };
  return Object.assign(ctx, { response });
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
