/**
 * The span tree of a request, as an in-memory exporter receives it from the real app (real Redis,
 * real PGlite, a real HTTP server): a cached read's HIT, MISS and 304, a login, a refused token and
 * a Redis outage. Each request carries a traceparent of its own, so its trace is found by id.
 */
import { randomBytes } from 'node:crypto';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { startRedis } from '../support/redis-server';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);

let t: TestApp;
let api: ReturnType<typeof client>;
let reader: string;
let writer: string;
const PASSWORD = 'trace-reader-password-1';

beforeAll(async () => {
  t = await startTestApp({
    tracer: provider.getTracer('test'),
    redisServer: await startRedis({ password: 'p' }),
  });
  api = client(t.url);
  await t.createUser('trace-reader', PASSWORD, ['items:read']);
  await t.createUser('trace-writer', 'trace-writer-password-1', ['items:read', 'items:write']);
  await t.createUser('trace-admin', 'trace-admin-password-1', ['users:admin']);
  reader = await api.login('trace-reader', PASSWORD);
  writer = await api.login('trace-writer', 'trace-writer-password-1');
});
afterAll(async () => {
  await t.stop();
  await t.redisServer.stop();
  await provider.shutdown();
  context.disable();
});

/** A caller's trace context (W3C Trace Context §3.2): its trace id and the caller's span id. */
function callerContext() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The request's spans: its SERVER span and everything under it, once the SERVER span has ended. */
async function traceOf(traceId: string): Promise<{ server: ReadableSpan; spans: ReadableSpan[] }> {
  // The server span ends once the response is written; the client may read it a moment before.
  for (let i = 0; i < 200; i++) {
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const server = spans.find((s) => s.kind === 1 /* SERVER */);
    if (server) {
      // Let a fire-and-forget command of the request (a fill lock's release) end too.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { server, spans: exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId) };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no SERVER span in trace ${traceId}`);
}

const childrenOf = (parent: ReadableSpan, spans: ReadableSpan[]) =>
  spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
const redisSpans = (spans: ReadableSpan[]) => spans.filter((s) => s.attributes['db.system.name'] === 'redis');
const sqlSpans = (spans: ReadableSpan[]) => spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');

/** Every attribute value and event of the trace, as text: where a secret must not appear. */
const everything = (spans: ReadableSpan[]) =>
  JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events, s.status, s.resource.attributes]));

async function newItem(name: string): Promise<{ id: string }> {
  const res = await api.post('/v1/items', { token: writer, json: { name, category: 'traces', price_cents: 100 } });
  return res.body as { id: string };
}

async function get(path: string, opts: { token?: string; headers?: Record<string, string> } = {}) {
  const caller = callerContext();
  const res = await api.request('GET', path, {
    ...opts,
    headers: { ...opts.headers, traceparent: caller.traceparent },
  });
  return { res, caller, ...(await traceOf(caller.traceId)) };
}

describe('a cached read', () => {
  it('MISS: the server span holds the query under the cache fill, without its values', async () => {
    const { id } = await newItem('traced mug');
    const { res, caller, server, spans } = await get(`/v1/items/${id}`, { token: reader });
    expect(res.headers['x-cache']).toBe('MISS');
    // The caller's trace continues: same trace, the caller's span is the parent.
    expect(server.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(server.name).toBe('GET /v1/items/{itemId}');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/v1/items/{itemId}',
      'http.response.status_code': 200,
      'specgate.operation_id': 'getItem',
      'specgate.cache.outcome': 'MISS',
      'specgate.auth.outcome': 'authenticated',
      'specgate.auth.scheme': 'oauth2',
      'url.path': `/v1/items/${id}`,
      'client.address': '127.0.0.1',
    });
    const [fill, ...moreFills] = spans.filter((s) => s.name === 'cache fill');
    expect(moreFills).toEqual([]);
    expect(fill?.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    const queries = sqlSpans(spans);
    expect(queries.length).toBeGreaterThanOrEqual(1);
    for (const query of queries) {
      expect(query.kind).toBe(2 /* CLIENT */);
      expect(query.parentSpanContext?.spanId).toBe(fill?.spanContext().spanId);
      expect(query.attributes['db.query.text']).toMatch(/\$1/);
      expect(query.attributes['db.query.text']).not.toContain(id);
    }
    expect(queries.map((q) => q.name)).toContain('SELECT items');
  });

  it('HIT: one Redis round trip carries the session check and the cache lookup, and nothing else runs', async () => {
    const { id } = await newItem('traced cup');
    await api.get(`/v1/items/${id}`, { token: reader });
    const { res, server, spans } = await get(`/v1/items/${id}`, { token: reader });
    expect(res.headers['x-cache']).toBe('HIT');
    expect(server.attributes['specgate.cache.outcome']).toBe('HIT');
    expect(childrenOf(server, spans)).toEqual(redisSpans(spans));
    const [trip, ...more] = redisSpans(spans);
    expect(more).toEqual([]);
    expect(trip?.kind).toBe(2 /* CLIENT */);
    expect(trip?.attributes['db.operation.batch.size']).toBeGreaterThanOrEqual(2);
    expect(trip?.attributes['db.operation.name']).toMatch(/^BATCH/);
    expect(sqlSpans(spans)).toEqual([]);
    expect(everything(spans)).not.toContain(reader);
    // Each stage's time, in the order the README's request flow gives.
    const stages = String(server.attributes['specgate.stages']);
    expect([...stages.matchAll(/(\w+) \d+\.\d{3} ms/g)].map((m) => m[1])).toEqual([
      'route',
      'negotiate',
      'verifyCredentials',
      'prefetchCache',
      'checkCredentials',
      'authorize',
      'validate',
      'cache',
      'checkResponse',
      'write',
    ]);
  });

  it('304: the outcome says the client already had it', async () => {
    const { id } = await newItem('traced saucer');
    const etag = (await api.get(`/v1/items/${id}`, { token: reader })).headers.etag ?? '';
    const { res, server } = await get(`/v1/items/${id}`, { token: reader, headers: { 'if-none-match': etag } });
    expect(res.status).toBe(304);
    expect(server.attributes).toMatchObject({ 'http.response.status_code': 304, 'specgate.cache.outcome': '304' });
  });

  it('every log line of the request carries its trace and span', async () => {
    const before = t.logs.length;
    const { server, caller } = await get('/v1/items/00000000-0000-4000-8000-000000000000', { token: reader });
    const lines = t.logs
      .slice(before)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'request' && line.path === '/v1/items/00000000-0000-4000-8000-000000000000');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ trace_id: caller.traceId, span_id: server.spanContext().spanId });
  });
});

describe('auth', () => {
  it('a login: an argon2 span, and the password nowhere', async () => {
    const caller = callerContext();
    const res = await api.request('POST', '/token', {
      form: { grant_type: 'password', username: 'trace-reader', password: PASSWORD },
      headers: { traceparent: caller.traceparent },
    });
    expect(res.status).toBe(200);
    const { server, spans } = await traceOf(caller.traceId);
    expect(server.name).toBe('POST /token');
    expect(server.attributes['specgate.operation_id']).toBe('issueToken');
    const argon2 = spans.filter((s) => s.name === 'argon2 verify');
    expect(argon2).toHaveLength(1);
    expect(argon2[0]?.kind).toBe(0 /* INTERNAL */);
    expect(argon2[0]?.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(sqlSpans(spans).map((q) => q.name)).toContain('SELECT users');
    const text = everything(spans);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(res.body.access_token);
    expect(text).not.toContain(res.body.refresh_token);
  });

  it('a refused token: the outcome and why, never the token', async () => {
    const forged = `${reader.slice(0, -4)}AAAA`;
    const { res, server, spans } = await get('/v1/items', { token: forged });
    expect(res.status).toBe(401);
    expect(server.attributes).toMatchObject({
      'http.response.status_code': 401,
      'specgate.auth.outcome': 'refused',
      'specgate.auth.failure': 'invalid_token',
    });
    // A client's error is not the server's: no error status, no error.type (HTTP span conventions).
    expect(server.status.code).toBe(0);
    expect(server.attributes['error.type']).toBeUndefined();
    expect(everything(spans)).not.toContain(forged);
    expect(everything(spans)).not.toContain(forged.split('.')[2]);
  });

  it('no token: refused as unauthorized', async () => {
    const { server } = await get('/v1/items');
    expect(server.attributes).toMatchObject({
      'specgate.auth.outcome': 'refused',
      'specgate.auth.failure': 'unauthorized',
    });
  });

  it('a token without the scope: refused as insufficient_scope', async () => {
    const { res, server } = await get('/v1/users', { token: reader });
    expect(res.status).toBe(403);
    expect(server.attributes).toMatchObject({
      'specgate.auth.outcome': 'refused',
      'specgate.auth.failure': 'insufficient_scope',
    });
  });
});

describe('a write in a transaction', () => {
  it('its queries hang under one transaction span', async () => {
    const admin = await api.login('trace-admin', 'trace-admin-password-1');
    const userId = await t.createUser('trace-target', 'trace-target-password-1', ['items:read']);
    const caller = callerContext();
    const res = await api.request('PATCH', `/v1/users/${userId}`, {
      token: admin,
      body: JSON.stringify({ scopes: ['items:read', 'items:write'] }),
      headers: { 'content-type': 'application/merge-patch+json', traceparent: caller.traceparent },
    });
    expect(res.status).toBe(200);
    const { server, spans } = await traceOf(caller.traceId);
    const [transaction, ...more] = spans.filter((s) => s.name === 'transaction');
    expect(more).toEqual([]);
    expect(transaction?.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    const inside = sqlSpans(spans).filter((q) => q.parentSpanContext?.spanId === transaction?.spanContext().spanId);
    expect(inside.map((q) => q.name)).toEqual(expect.arrayContaining(['SELECT users', 'UPDATE users']));
  });
});

describe('a Redis outage', () => {
  it('the request is a 503 server error, its Redis round trip failed, the auth outcome unavailable', async () => {
    const { id } = await newItem('traced plate');
    await t.redisServer.kill();
    try {
      const { res, server, spans } = await get(`/v1/items/${id}`, { token: reader });
      expect(res.status).toBe(503);
      expect(server.status.code).toBe(2 /* ERROR */);
      expect(server.attributes).toMatchObject({
        'http.response.status_code': 503,
        'error.type': 'dependency_unavailable',
        'specgate.dependency': 'redis',
        'specgate.auth.outcome': 'unavailable',
      });
      const trips = redisSpans(spans);
      expect(trips.length).toBeGreaterThanOrEqual(1);
      for (const trip of trips) {
        expect(trip.status.code).toBe(2 /* ERROR */);
        expect(trip.attributes['error.type']).toEqual(expect.any(String));
      }
    } finally {
      await t.redisServer.restart();
    }
  });
});
