/**
 * The SERVER span of each request (OpenTelemetry HTTP server semantic conventions,
 * https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-server): it continues the
 * caller's W3C trace context (traceparent, tracestate), is the active span while the stages run (so
 * Redis, PostgreSQL and argon2 spans and log lines join it), times each stage, and is named and
 * attributed once the
 * request is answered, with what only specgate knows: the operationId, the cache outcome and the
 * auth decision. No header value, token, password or body reaches an attribute.
 */
import type { TLSSocket } from 'node:tls';
import {
  type Attributes,
  context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { clientAddress } from '../../http/client-address';
import type { RequestContext } from '../../pipeline/context';
import type { RequestTracing } from '../../pipeline/pipeline';
import { authAttributes } from './auth-attributes';
import { errorType } from './error-type';

/** specgate's own attributes, in its own namespace (semantic conventions §Attribute naming). */
export const ATTR_OPERATION_ID = 'specgate.operation_id';
export const ATTR_REQUEST_ID = 'specgate.request_id';
export const ATTR_CACHE_OUTCOME = 'specgate.cache.outcome';
/** Each stage's time, in the order they ran: `route 0.004 ms, negotiate 0.002 ms, ...`. */
export const ATTR_STAGES = 'specgate.stages';
/** Which dependency a 503 found down (`redis`, `database`, `cache`). */
export const ATTR_DEPENDENCY = 'specgate.dependency';

/** The methods HTTP defines (RFC 9110 §9, RFC 5789); any other is `_OTHER` (semantic conventions). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** The method as a span name says it: an unknown one is `HTTP` (conventions, "Name"). */
const spanMethod = (ctx: RequestContext) => (KNOWN_METHODS.has(ctx.method) ? ctx.method : 'HTTP');

/** Traces every request the pipeline runs with `tracer`; TRUST_PROXY's hops give `client.address`. */
export function requestTracing(tracer: Tracer, trustProxy: number): RequestTracing {
  const propagator = new W3CTraceContextPropagator();
  const client = clientAddress(trustProxy);
  return {
    async trace(ctx, run) {
      const parent = propagator.extract(ROOT_CONTEXT, ctx.req.headers, defaultTextMapGetter);
      const method = KNOWN_METHODS.has(ctx.method) ? ctx.method : '_OTHER';
      const span = tracer.startSpan(spanMethod(ctx), { kind: SpanKind.SERVER }, parent);
      // A request the sampler left out (most, at a low ratio) is spared every attribute and mark;
      // specgate's samplers (OTEL_TRACES_SAMPLER) decide on the trace id and the parent alone.
      if (span.isRecording()) {
        span.setAttributes(startAttributes(ctx, method));
        ctx.recording = new StageClock();
      }
      try {
        await context.with(trace.setSpan(parent, span), run, undefined, ctx);
      } finally {
        if (span.isRecording()) finish(span, ctx, client(ctx.req));
        span.end();
      }
    },
    stage(stage) {
      const { name } = stage;
      const marked: typeof stage = (ctx) => {
        ctx.recording?.mark(name);
        return stage(ctx);
      };
      // The pipeline lists its stages by name (README, "How a request flows").
      return Object.defineProperty(marked, 'name', { value: name });
    },
  };
}

/** What is known on arrival (the conventions list these for span creation). */
function startAttributes(ctx: RequestContext, method: string): Attributes {
  const { req } = ctx;
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_PATH]: ctx.base + ctx.path,
    [ATTR_URL_SCHEME]: (req.socket as TLSSocket).encrypted ? 'https' : 'http',
    [ATTR_REQUEST_ID]: ctx.requestId,
  };
  // Recommended when it says something: HTTP/1.1 is what nearly every request speaks.
  if (req.httpVersion !== '1.1') attributes[ATTR_NETWORK_PROTOCOL_VERSION] = req.httpVersion;
  if (method === '_OTHER') attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = ctx.method;
  const host = hostAndPort(req.headers.host);
  if (host) {
    attributes[ATTR_SERVER_ADDRESS] = host.address;
    if (host.port !== undefined) attributes[ATTR_SERVER_PORT] = host.port;
  }
  const agent = req.headers['user-agent'];
  if (agent) attributes[ATTR_USER_AGENT_ORIGINAL] = agent;
  return attributes;
}

/** The answer's attributes: route, operation, status, cache and auth outcomes, the failure if any. */
function finish(span: Span, ctx: RequestContext, clientAddress: string): void {
  const { route } = ctx;
  const attributes: Attributes = { [ATTR_CLIENT_ADDRESS]: clientAddress };
  if (clientAddress !== ctx.req.socket.remoteAddress)
    attributes[ATTR_NETWORK_PEER_ADDRESS] = ctx.req.socket.remoteAddress;
  if (ctx.recording instanceof StageClock) attributes[ATTR_STAGES] = ctx.recording.describe();
  if (route) {
    const template = ctx.base + route.op.path;
    span.updateName(`${spanMethod(ctx)} ${template}`);
    attributes[ATTR_HTTP_ROUTE] = template;
    attributes[ATTR_OPERATION_ID] = route.op.operationId;
    Object.assign(attributes, authAttributes(route.security, ctx));
  }
  const status =
    ctx.unanswered === undefined || ctx.unanswered === 'preflight'
      ? (ctx.response?.status ?? ctx.res.statusCode)
      : undefined;
  if (status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
  if (ctx.cache) attributes[ATTR_CACHE_OUTCOME] = status === 304 ? '304' : ctx.cache.outcome;
  if (status !== undefined && status >= 500) {
    // Only a 5xx is a server span's error (conventions, "Status"): a 4xx is the client's.
    attributes[ATTR_ERROR_TYPE] = errorType(ctx.error) ?? String(status);
    const { dependency } = (ctx.error ?? {}) as { dependency?: unknown };
    if (typeof dependency === 'string') attributes[ATTR_DEPENDENCY] = dependency;
    span.setStatus({ code: SpanStatusCode.ERROR });
  } else if (ctx.unanswered === 'client_aborted' || ctx.unanswered === 'request_timeout') {
    attributes[ATTR_ERROR_TYPE] = ctx.unanswered;
  }
  span.setAttributes(attributes);
}

/** The Host header's name and port (RFC 9110 §7.2), brackets off an IPv6 literal. */
function hostAndPort(host: string | undefined): { address: string; port?: number } | undefined {
  if (!host) return undefined;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(host);
  if (!match?.[1]) return undefined;
  const address = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  return match[2] === undefined ? { address } : { address, port: Number(match[2]) };
}

/**
 * When each stage of a recorded request began. One attribute at the end, not an event per stage:
 * ten events cost a sampled request more to record and encode than all its other attributes.
 */
class StageClock {
  private readonly stages: string[] = [];
  private readonly starts: number[] = [];

  mark(stage: string): void {
    this.stages.push(stage);
    this.starts.push(performance.now());
  }

  /** Each stage's milliseconds, until the next began or until now (the request's end). */
  describe(): string {
    const end = performance.now();
    return this.stages
      .map((stage, i) => `${stage} ${((this.starts[i + 1] ?? end) - (this.starts[i] ?? end)).toFixed(3)} ms`)
      .join(', ');
  }
}
