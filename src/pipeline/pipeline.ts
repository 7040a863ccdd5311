/**
 * The request pipeline, as a function over Node's own request and response objects so it can be
 * mounted inside express or straight on `node:http`:
 *
 *   route (table built once) → 404 / 405 + Allow
 *   → Accept negotiation (406) → body read with limit (413)
 *   → openapi-backend: security handlers per scheme → unauthorizedHandler (401 / 503)
 *     → postSecurityHandler: scopes from the operation's requirement (403)
 *     → preOperationHandler: media type (415), JSON (400), Ajv 2020-12 validation (400)
 *     → handlers[operationId]
 *   → response validation (dev/test) → one writeHead + end.
 *
 * openapi-backend binds handlers by operationId and evaluates the OR-of-AND security requirements;
 * its per-request router and draft-07 validator are replaced by the precompiled table and the
 * 2020-12 validators (see route-table.ts and schema-compiler.ts for why).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { OpenAPIBackend, OpenAPIRouter, type Context, type Document, type Operation, type Request as BackendRequest } from 'openapi-backend';
import proxyaddr from 'proxy-addr';
import { ApiError, dependencyUnavailable, isUnavailable, OAUTH_NO_STORE, renderError, type ErrorFormat, type Violation } from '../core/errors';
import type { Logger } from '../core/logger';
import { accepts, ClientAbortedError, mediaTypeOf, parseBody, readBody, RequestTimedOutError } from './body';
import type { OpenApiDocument } from './document';
import { compileOperations, validateParameters, type CompiledOperation } from './operations';
import { compileCachePolicy, type OperationCachePolicy } from '../cache/cache-policy';
import { isJsonType, serialise, type CacheableResult, type CacheOutcome, type HttpCache, type PreparedRead } from '../cache/http-cache';
import { ResponseValidator } from './response-validator';
import { RouteTable } from './route-table';
import { SchemaCompiler, toViolations } from './schema-compiler';

/** Who a request is authenticated as, produced by a security scheme. */
export interface Principal {
  userId: string;
  scopes: string[];
  clientId: string;
  /** The session (login) the credentials belong to. */
  sessionId: string;
  /** The access token's own id (jti). */
  tokenId: string;
  /** Token expiry, seconds since the epoch. */
  expiresAt: number;
}

/** What a handler receives. Typed per operation by src/api/types.ts. */
export interface PipelineRequest {
  operationId: string;
  method: string;
  path: string;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  body: unknown;
  principal: Principal | undefined;
  requestId: string;
  ip: string;
  raw: IncomingMessage;
  /**
   * Called by a security scheme as soon as the credentials' signature checks out, in the same tick
   * as its session lookup, so the cache stage's reads can share that Redis round trip.
   */
  onAuthenticated?: (who: { userId: string; scopes: string[] }) => void;
}

/** What a handler returns; the pipeline writes it. Handlers never touch the response object. */
export interface HandlerResult {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Defaults to the first media type the document lists for the status. */
  contentType?: string;
}

export type RawHandler = (req: PipelineRequest) => Promise<HandlerResult> | HandlerResult;

/**
 * Authenticates a request for one security scheme. Throws an {@link ApiError}: `unauthorized`
 * when no credentials were sent, `invalid_token`, or `unavailable` when its store is down.
 */
export type SecuritySchemeHandler = (req: PipelineRequest) => Promise<Principal>;

/** Optional connect-style middlewares run first on every request (helmet, cors). */
export type RawMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export interface PipelineOptions {
  document: OpenApiDocument;
  handlers: Record<string, RawHandler>;
  securitySchemes: Record<string, SecuritySchemeHandler>;
  logger: Logger;
  bodyLimitBytes: number;
  /** Validate every handler result against the document (dev and test); a mismatch is a 500. */
  validateResponses: boolean;
  /** express-style `trust proxy` hop count for the client IP. */
  trustProxy: number;
  middlewares?: RawMiddleware[];
  /** The response cache; operations then must declare x-cache / x-invalidates. */
  cache?: HttpCache;
  /** Headers every response carries (helmet's, computed once). */
  staticHeaders?: Record<string, string>;
  /** Called once per response the pipeline writes (metrics). */
  onResponse?: (operationId: string | undefined, method: string, status: number, seconds: number) => void;
  /** Called once per request whose body never fully arrived, instead of onResponse (metrics). */
  onUnanswered?: (operationId: string | undefined, outcome: UnansweredOutcome) => void;
  /** While `draining`, every response carries `Connection: close`. */
  lifecycle?: { readonly draining: boolean };
}

/**
 * How a request ended that the pipeline never answered: the client left mid-body, or node cut a
 * body slower than REQUEST_TIMEOUT_SECONDS (and answered 408 itself).
 */
export type UnansweredOutcome = 'client_aborted' | 'request_timeout';

/** The mounted pipeline. */
export interface Pipeline {
  /** Handles a request; calls `fallback` when no path of the document matches (docs assets, etc.). */
  handle(req: IncomingMessage, res: ServerResponse, fallback?: () => void): Promise<void>;
  /** express middleware form of {@link handle}. */
  middleware(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  operations: readonly CompiledOperation[];
  backend: OpenAPIBackend;
}

interface RequestState {
  op: CompiledOperation;
  backendOp: Operation;
  request: PipelineRequest;
  rawBody: Buffer | undefined;
  policy: OperationCachePolicy | undefined;
  prepared?: PreparedRead;
  cacheOutcome?: CacheOutcome;
  /** The body as it goes on the wire, when the cache stage already has it. */
  serialised?: string;
}

/**
 * The router openapi-backend calls: the match was made before, from the precompiled table. The
 * operation list is built once; the base class rebuilds it on every getOperation() call, which made
 * registering N handlers cost O(N²) at start-up.
 */
class PrecomputedRouter extends OpenAPIRouter {
  private readonly list: Operation[] = super.getOperations();
  private readonly byId = new Map(this.list.map((o) => [o.operationId, o]));

  override getOperations(): Operation[] {
    return this.list;
  }
  override getOperation(operationId: string): Operation | undefined {
    return this.byId.get(operationId);
  }
  override matchOperation(req: BackendRequest): Operation;
  override matchOperation(req: BackendRequest, strict: true): Operation;
  override matchOperation(req: BackendRequest): Operation | undefined {
    return stateOf(req).backendOp;
  }
  override parseRequest(req: BackendRequest): ReturnType<OpenAPIRouter['parseRequest']> {
    const state = stateOf(req);
    const { request } = state;
    // The parsed request becomes context.request: it carries the state on to the hooks.
    return { method: request.method.toLowerCase(), path: request.path, params: request.params, query: request.query, headers: request.headers, cookies: {}, requestBody: request.body, [STATE]: state } as unknown as ReturnType<OpenAPIRouter['parseRequest']>;
  }
}

const STATE = Symbol('specgate.state');
function stateOf(req: BackendRequest): RequestState {
  return (req as unknown as { [STATE]: RequestState })[STATE];
}

/** Builds the pipeline: compiles the document, binds handlers, checks every operation has one. */
export async function createPipeline(opts: PipelineOptions): Promise<Pipeline> {
  const { document, logger } = opts;
  const compiler = new SchemaCompiler(document);
  const operations = compileOperations(document, compiler);
  const responseValidator = new ResponseValidator(compiler);

  const missing = operations.filter((o) => !opts.handlers[o.operationId]).map((o) => o.operationId);
  if (missing.length) throw new Error(`no handler for operation(s): ${missing.join(', ')}`);
  const ids = new Set(operations.map((o) => o.operationId));
  const unknown = Object.keys(opts.handlers).filter((id) => !ids.has(id));
  if (unknown.length) throw new Error(`handlers for operations not in the document: ${unknown.join(', ')}`);

  const backend = new OpenAPIBackend({ definition: document as unknown as Document, quick: true, validate: false, strict: true });
  await backend.init();
  backend.router = new PrecomputedRouter({ definition: backend.definition });
  const backendOps = new Map(backend.getOperations().map((o) => [o.operationId!, o]));

  const table = new RouteTable<{ op: CompiledOperation; backendOp: Operation }>();
  for (const op of operations) table.add(op.method, op.path, { op, backendOp: backendOps.get(op.operationId)! });

  for (const [name, scheme] of Object.entries(opts.securitySchemes)) {
    backend.registerSecurityHandler(name, (c: Context) => scheme(stateOf(c.request as never).request));
  }
  backend.register({
    unauthorizedHandler: (c: Context) => {
      // Fail closed: rethrow the most telling failure; 503 (store down) outranks a bad token.
      const failures = Object.values(c.security ?? {})
        .map((r) => (r && typeof r === 'object' && 'error' in r ? (r as { error: unknown }).error : undefined))
        .filter((e) => e !== undefined);
      const rank = (e: unknown) => (e instanceof ApiError ? { unavailable: 3, invalid_token: 2 }[e.code as string] ?? 1 : 4);
      failures.sort((a, b) => rank(b) - rank(a));
      throw failures[0] ?? new ApiError('unauthorized');
    },
    postSecurityHandler: (c: Context) => authorizeScopes(c, stateOf(c.request as never)),
    preOperationHandler: (c: Context) => validateRequest(stateOf(c.request as never)),
  });
  const cache = opts.cache;
  const policies = new Map<string, OperationCachePolicy>();
  if (cache) {
    for (const op of operations) {
      policies.set(op.operationId, compileCachePolicy({ operationId: op.operationId, method: op.method, raw: op.raw, pathParams: op.parameters.path?.names ?? [] }));
    }
  }
  for (const op of operations) {
    const handler = opts.handlers[op.operationId]!;
    const policy = policies.get(op.operationId);
    if (cache && policy?.read) {
      const read = policy.read;
      const contentTypeOf = (r: CacheableResult) => r.contentType ?? op.responses.get(String(r.status))?.mediaTypes[0] ?? 'application/json';
      backend.register(op.operationId, async (c: Context) => {
        const state = stateOf(c.request as never);
        const { request } = state;
        // The lookup started with the session check was keyed by the same validated request.
        const prepared =
          state.prepared ?? cache.prepare(read, { operationId: op.operationId, params: request.params, query: request.query, userId: request.principal?.userId }, false);
        const { result, outcome, serialised } = await cache.read(op.operationId, prepared, async () => handler(request), contentTypeOf);
        state.cacheOutcome = outcome;
        state.serialised = serialised;
        return result;
      });
    } else if (cache && policy && policy.invalidates.length > 0) {
      backend.register(op.operationId, async (c: Context) => {
        const { request } = stateOf(c.request as never);
        const result = await handler(request);
        if (result.status >= 200 && result.status < 300) {
          try {
            await cache.invalidate(policy, request.params);
          } catch (err) {
            // Acknowledging this write could let a stale cached copy be served after it: refuse.
            throw dependencyUnavailable('The change was saved, but cached copies could not be invalidated; read it back before relying on it.', err);
          }
        }
        return result;
      });
    } else {
      backend.register(op.operationId, (c: Context) => handler(stateOf(c.request as never).request));
    }
  }

  const trust = (_addr: string, i: number) => i < opts.trustProxy;
  const middlewares = opts.middlewares ?? [];
  const staticHeaders = opts.staticHeaders ?? {};

  async function handle(req: IncomingMessage, res: ServerResponse, fallback?: () => void): Promise<void> {
    const started = process.hrtime.bigint();
    const incomingId = req.headers['x-request-id'];
    const requestId = typeof incomingId === 'string' && /^[\w.:-]{1,128}$/.test(incomingId) ? incomingId : randomUUID();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    let op: CompiledOperation | undefined;
    let status = 500;
    let unanswered: UnansweredOutcome | undefined;
    let pathFormat: ErrorFormat = 'problem';
    // Here for the express fallback's responses, and again just before writing for a request that
    // was already in flight when the drain began.
    closeIfDraining(res, opts.lifecycle);
    try {
      if (middlewares.length && (await runMiddlewares(middlewares, req, res))) return;
      const method = req.method ?? 'GET';
      const found = table.lookup(method, path);
      if (!found) {
        if (fallback) {
          res.setHeader('x-request-id', requestId);
          status = 0; // express answers and logs nothing of ours
          return fallback();
        }
        throw new ApiError('not_found', { detail: `No operation at ${path}.` });
      }
      if (found.kind === 'method') {
        // The path's error format: a 405 from an OAuth endpoint carries its no-store headers too.
        pathFormat = found.others.some((o) => o.op.errorFormat === 'oauth') ? 'oauth' : 'problem';
        throw new ApiError('method_not_allowed', { detail: `${method} is not allowed on ${path}.`, allow: found.allow });
      }
      op = found.value.op;
      if (!accepts(req.headers.accept, op.produces)) {
        throw new ApiError('not_acceptable', { detail: `This operation produces: ${op.produces.join(', ')}.` });
      }
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(found.params)) {
        try {
          params[k] = decodeURIComponent(v);
        } catch {
          throw new ApiError('validation_failed', { detail: 'The request has 1 violation.', errors: [{ in: 'path', pointer: `/${k}`, message: 'is not valid percent-encoding' }] });
        }
      }
      let rawBody: Buffer | undefined;
      if (op.body) rawBody = await readBody(req, opts.bodyLimitBytes);
      else if (!req.readableEnded) req.resume();
      const request: PipelineRequest = {
        operationId: op.operationId,
        method,
        path,
        params,
        query: q === -1 ? {} : parseQuery(url.slice(q + 1)),
        headers: req.headers,
        body: undefined,
        principal: undefined,
        requestId,
        ip: proxyaddr(req, trust),
        raw: req,
      };
      const state: RequestState = { op, backendOp: found.value.backendOp, request, rawBody, policy: policies.get(op.operationId) };
      const read = state.policy?.read;
      if (cache && read) {
        const current = op;
        request.onAuthenticated = (who) => {
          // Scopes first: no cache read for a caller who may not call the operation.
          if (!current.security.some((r) => Object.values(r).every((scopes) => scopes.every((s) => who.scopes.includes(s))))) return;
          const params = validateParameters(current.parameters.path, 'path', request.params as Record<string, string>);
          const query = validateParameters(current.parameters.query, 'query', request.query as Record<string, string | string[]>);
          if (params.violations.length || query.violations.length) return;
          state.prepared = cache.prepare(read, { operationId: current.operationId, params: params.values, query: query.values, userId: who.userId }, true);
          state.prepared.lookup!.catch(() => undefined);
        };
      }
      const backendReq = { method, path, headers: req.headers as Record<string, string>, [STATE]: state };
      const result = (await backend.handleRequest(backendReq as unknown as BackendRequest)) as HandlerResult;
      if (opts.validateResponses) {
        const checked = state.serialised !== undefined && result.body === undefined ? { ...result, body: JSON.parse(state.serialised) } : result;
        const problems = responseValidator.check(op, checked);
        if (problems.length) {
          logger.error({ requestId, operationId: op.operationId, status: result.status, problems }, 'handler response does not match the document');
          throw new ApiError('internal');
        }
      }
      closeIfDraining(res, opts.lifecycle);
      status = writeResult(res, op, result, { staticHeaders, requestId, head: method === 'HEAD', authenticated: request.principal !== undefined, state, ifNoneMatch: req.headers['if-none-match'] });
    } catch (err) {
      if (err instanceof ClientAbortedError || err instanceof RequestTimedOutError) {
        // The client went away mid-request, or node cut it for slowness and answered 408 itself:
        // nothing left to answer here, and no fault of the service.
        unanswered = err.code;
        return;
      }
      const rendered = renderError(err, { format: op?.errorFormat ?? pathFormat, instance: path, requestId });
      status = rendered.status;
      if (rendered.status >= 500) {
        if (isUnavailable(err)) logger.warn({ requestId, operationId: op?.operationId, err: String((err as Error).cause ?? err) }, 'dependency unavailable');
        else logger.error({ err, requestId, operationId: op?.operationId }, 'request failed');
      }
      if (!res.headersSent) {
        closeIfDraining(res, opts.lifecycle);
        res.writeHead(rendered.status, { ...staticHeaders, ...rendered.headers, 'x-request-id': requestId, 'content-length': Buffer.byteLength(rendered.body) });
        res.end(req.method === 'HEAD' ? undefined : rendered.body);
      } else {
        res.destroy();
      }
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (unanswered) {
        // Info, not warn, for a timeout too: a slow client is the client's condition, handled as
        // configured, and warn lines any client can produce at will would drown the service's
        // own; the metrics counter is what to alert on.
        opts.onUnanswered?.(op?.operationId, unanswered);
        logger.info({ requestId, method: req.method, path, operationId: op?.operationId, outcome: unanswered, ms: Math.round(ms * 100) / 100 }, 'request');
      } else if (status !== 0) {
        opts.onResponse?.(op?.operationId, req.method ?? 'GET', status, ms / 1000);
        logger.info({ requestId, method: req.method, path, operationId: op?.operationId, status, ms: Math.round(ms * 100) / 100 }, 'request');
      }
    }
  }

  return {
    handle,
    middleware: (req, res, next) => void handle(req, res, () => next()).catch(next),
    operations,
    backend,
  };
}

/** Runs connect-style middlewares; resolves true when one of them ended the response (CORS preflight). */
function runMiddlewares(list: RawMiddleware[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let i = 0;
    const next = (err?: unknown) => {
      if (err) return reject(err);
      if (res.writableEnded) return resolve(true);
      const mw = list[i++];
      if (!mw) return resolve(false);
      mw(req, res, next);
    };
    res.once('finish', () => resolve(true));
    next();
  });
}

function parseQuery(qs: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(qs)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** 403 unless one requirement is met by its schemes AND its scopes (RFC 6750 §3.1). */
function authorizeScopes(c: Context, state: RequestState): void {
  const { op, request } = state;
  if (!c.security?.authorized || op.security.length === 0) return;
  let firstShortfall: string[] | undefined;
  for (const requirement of op.security) {
    const schemes = Object.keys(requirement);
    const principals = schemes.map((s) => c.security?.[s] as Principal | undefined);
    if (!principals.every((p) => p && typeof p === 'object' && !('error' in p))) continue;
    const granted = new Set(principals.flatMap((p) => p!.scopes));
    const needed = schemes.flatMap((s) => requirement[s] ?? []);
    if (needed.every((s) => granted.has(s))) {
      request.principal = principals[0];
      return;
    }
    firstShortfall ??= needed;
  }
  if (firstShortfall) {
    throw new ApiError('insufficient_scope', { detail: `This operation needs the scope(s): ${firstShortfall.join(' ')}.`, scope: firstShortfall.join(' ') });
  }
}

/** Media type, parsing and schema validation, after authentication so 401 comes before 400/415. */
function validateRequest(state: RequestState): void {
  const { op, request, rawBody } = state;
  const violations: Violation[] = [];
  const path = validateParameters(op.parameters.path, 'path', request.params as Record<string, string>);
  const query = validateParameters(op.parameters.query, 'query', request.query as Record<string, string | string[]>);
  const header = validateParameters(op.parameters.header, 'header', request.headers as Record<string, string>);
  violations.push(...path.violations, ...query.violations, ...header.violations);
  request.params = path.values;
  request.query = query.values;
  collectNul(path.values, 'path', '', violations);
  collectNul(query.values, 'query', '', violations);

  if (op.body) {
    const contentType = request.headers['content-type'];
    const empty = !rawBody || rawBody.length === 0;
    if (empty && !contentType) {
      if (op.body.required) violations.push({ in: 'body', pointer: '', message: 'a request body is required' });
    } else {
      const type = mediaTypeOf(contentType);
      const validate = type ? op.body.media.get(type) : undefined;
      if (!type || !validate) {
        throw new ApiError('unsupported_media_type', { detail: `Send the body as ${[...op.body.media.keys()].join(' or ')}.` });
      }
      if (empty && op.body.required) {
        violations.push({ in: 'body', pointer: '', message: 'a request body is required' });
      } else if (!empty) {
        const body = parseBody(rawBody!, type, contentType!);
        if (!validate(body)) violations.push(...toViolations(validate.errors, 'body'));
        // JSON can only carry U+0000 as the escape \u0000, a form as %00: look only then.
        if (rawBody!.includes('\\u0000') || rawBody!.includes('%00')) collectNul(body, 'body', '', violations);
        request.body = body;
      }
    }
  }
  if (violations.length) {
    throw new ApiError('validation_failed', {
      detail: `The request has ${violations.length} violation${violations.length === 1 ? '' : 's'}.`,
      errors: violations,
    });
  }
}

/**
 * No string of a request may hold U+0000: PostgreSQL text cannot store it (SQLSTATE 22021), so
 * such a value would pass the schema and fail in the store with a 500. Refused for every operation
 * (info.description says so), so a new resource's handlers never meet one.
 */
function collectNul(value: unknown, location: Violation['in'], pointer: string, out: Violation[]): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push({ in: location, pointer, message: 'must not contain U+0000 (NUL)' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => collectNul(v, location, `${pointer}/${i}`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectNul(v, location, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  }
}

interface WriteContext {
  staticHeaders: Record<string, string>;
  requestId: string;
  head: boolean;
  authenticated: boolean;
  state: RequestState;
  ifNoneMatch: string | undefined;
}

/**
 * RFC 9112 §9.6: while the instance drains, each response closes its connection, so keep-alive
 * clients open their next one elsewhere.
 */
function closeIfDraining(res: ServerResponse, lifecycle: { readonly draining: boolean } | undefined): void {
  if (lifecycle?.draining) res.setHeader('connection', 'close');
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored; `*` matches any. */
function noneMatch(header: string, etag: string): boolean {
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.trim() === '*' || header.split(',').some((t) => bare(t) === bare(etag));
}

/** Writes the response in one writeHead + end; returns the status written (304 for a fresh validator). */
function writeResult(res: ServerResponse, op: CompiledOperation, result: HandlerResult, ctx: WriteContext): number {
  const headers: Record<string, string | number> = { ...ctx.staticHeaders, 'x-request-id': ctx.requestId };
  const cached = ctx.state.policy?.read !== undefined;
  if (cached) {
    // Cached reads are revalidated on every use (ETag), so no client keeps a copy past a write.
    headers['cache-control'] = ctx.authenticated ? 'private, no-cache' : 'public, no-cache';
    if (ctx.authenticated) headers.vary = 'Authorization';
    if (ctx.state.cacheOutcome) headers['x-cache'] = ctx.state.cacheOutcome;
  } else if (ctx.authenticated) {
    // Responses to authenticated requests are the caller's own data (RFC 9111 §3.5).
    headers['cache-control'] = 'no-store';
    headers.vary = 'Authorization';
  }
  // Every answer of an OAuth endpoint, whatever its handler sets (RFC 6749 §5.1).
  if (op.errorFormat === 'oauth') Object.assign(headers, OAUTH_NO_STORE);
  if (result.headers) for (const [k, v] of Object.entries(result.headers)) headers[k.toLowerCase()] = v;
  const etag = headers.etag;
  if (result.status === 200 && typeof etag === 'string' && ctx.ifNoneMatch !== undefined && (op.method === 'GET') && noneMatch(ctx.ifNoneMatch, etag)) {
    // RFC 9110 §15.4.5: a 304 repeats ETag, Cache-Control and Vary, and has no body.
    const notModified: Record<string, string | number> = { ...ctx.staticHeaders, 'x-request-id': ctx.requestId, etag };
    for (const h of ['cache-control', 'vary', 'x-cache']) if (headers[h] !== undefined) notModified[h] = headers[h]!;
    res.writeHead(304, notModified);
    res.end();
    return 304;
  }
  let payload: string | Buffer | undefined;
  if ((result.body !== undefined || ctx.state.serialised !== undefined) && result.status !== 204 && result.status !== 304) {
    const type = result.contentType ?? op.responses.get(String(result.status))?.mediaTypes[0] ?? 'application/json';
    payload =
      ctx.state.serialised ??
      (Buffer.isBuffer(result.body) ? result.body : serialise(result, type));
    headers['content-type'] = type.includes(';') || !(isJsonType(type) || type.startsWith('text/')) ? type : `${type}; charset=utf-8`;
    headers['content-length'] = Buffer.byteLength(payload);
  }
  res.writeHead(result.status, headers);
  res.end(ctx.head ? undefined : payload);
  return result.status;
}
