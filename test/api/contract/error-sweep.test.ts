/**
 * The generic error answers, proved over every operation of the document that declares them:
 * content negotiation (406), the body limit (413), the request media type (415), a malformed path
 * parameter (400), conditional reads (304) and a down Redis on the public token endpoints (503).
 * The walk reads the document, so a new operation is covered the day it is added; the response
 * coverage gate (scripts/response-coverage.ts) fails when a declared status is never produced.
 */
import { randomUUID } from 'node:crypto';
import { loadDocument } from '../../../src/pipeline/compile/document';
import { type CompiledOperation, compileOperations } from '../../../src/pipeline/compile/operations';
import { startTestApp, type TestApp } from '../../support/app';
import { client, type TestResponse } from '../../support/contract';
import { startRedis } from '../../support/redis-server';

const operations = compileOperations(loadDocument());
const declaring = (status: number) => operations.filter((op) => op.responses.has(String(status)));
const named = (ops: CompiledOperation[]) => ops.map((op) => [op.operationId, op] as const);
const BODY_LIMIT = 1024;

let t: TestApp;
let api: ReturnType<typeof client>;
let token: string;
/** Real values for path parameters, so only the property under test is wrong. */
const pathValues: Record<string, string> = {};

const urlOf = (op: CompiledOperation, values: Record<string, string> = pathValues) =>
  op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? randomUUID()));

function expectError(op: CompiledOperation, res: TestResponse, status: number, code: string) {
  expect([op.operationId, res.status]).toEqual([op.operationId, status]);
  if (op.errorFormat === 'oauth') {
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(typeof res.body.error).toBe('string');
  } else if (op.errorFormat === 'html') {
    // A page a person reads (the sign-in pages): the status and a title, no problem document.
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<h1>');
  } else {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe(code);
  }
}

beforeAll(async () => {
  t = await startTestApp({
    redisServer: await startRedis({ password: 'sweep-redis' }),
    env: { BODY_LIMIT_BYTES: String(BODY_LIMIT) },
  });
  api = client(t.url);
  const userId = await t.createUser('sweeper', 'sweeper-password-1', [
    'items:read',
    'items:write',
    'users:admin',
    'tokens:introspect',
    'clients:admin',
  ]);
  token = await api.login('sweeper', 'sweeper-password-1');
  const item = await api.post('/v1/items', { token, json: { name: 'Sweep', category: 'sweep', price_cents: 1 } });
  expect(item.status).toBe(201);
  const sessions = await api.get('/me/sessions', { token });
  const registered = await api.post('/v1/clients', {
    token,
    json: { name: 'sweep', grant_types: ['client_credentials'], scopes: [] },
  });
  expect(registered.status).toBe(201);
  Object.assign(pathValues, {
    itemId: item.body.id,
    userId,
    sessionId: sessions.body.sessions[0].id,
    clientId: registered.body.client_id,
  });
});

afterAll(async () => {
  await t.stop();
  await t.redisServer.stop();
});

it('walks operations that declare each status (the sweeps below are not empty)', () => {
  for (const status of [304, 400, 406, 413, 415]) expect(declaring(status).length).toBeGreaterThan(0);
  // Every path parameter of the document has a real value above.
  for (const op of operations)
    for (const [, name] of op.path.matchAll(/\{([^}]+)\}/g)) expect(pathValues).toHaveProperty(name!);
});

it('declares 406 only where a success has a body to negotiate (a 204 has no representation to refuse)', () => {
  const bodiless = operations.filter((op) => op.produces.length === 0);
  expect(bodiless.length).toBeGreaterThan(0);
  expect(bodiless.filter((op) => op.responses.has('406')).map((op) => op.operationId)).toEqual([]);
});

describe.each(named(declaring(406)))('%s', (_id, op) => {
  it('answers 406 to an Accept it cannot produce, before anything else', async () => {
    const res = await api.request(op.method, urlOf(op), { headers: { accept: 'text/csv' } });
    expectError(op, res, 406, 'not_acceptable');
  });
});

describe.each(named(declaring(413)))('%s', (_id, op) => {
  it('answers 413 to a body over the limit, without reading it all', async () => {
    const type = [...op.body!.media.keys()][0]!;
    const filler = 'x'.repeat(BODY_LIMIT * 4);
    const body = type.includes('json') ? JSON.stringify({ filler }) : `filler=${filler}`;
    const res = await api.request(op.method, urlOf(op), { token, body, headers: { 'content-type': type } });
    expectError(op, res, 413, 'payload_too_large');
  });
});

describe.each(named(declaring(415)))('%s', (_id, op) => {
  it('answers 415 to a body of a media type it does not take', async () => {
    const res = await api.request(op.method, urlOf(op), {
      token,
      body: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expectError(op, res, 415, 'unsupported_media_type');
    expect(res.body?.detail ?? res.body?.error_description ?? res.text).toContain([...op.body!.media.keys()][0]);
  });
});

const withPathParams = declaring(400).filter((op) => op.path.includes('{'));
describe.each(named(withPathParams))('%s', (_id, op) => {
  // A "urn:uuid:" prefix passes ajv-formats' uuid but is not the RFC 9562 string form.
  it.each(['not-a-uuid', `urn:uuid:${randomUUID()}`, `${randomUUID()}0`])(
    'answers 400 naming the path parameter when it is %s',
    async (value) => {
      const broken = Object.fromEntries(Object.keys(pathValues).map((k) => [k, value]));
      const headers: Record<string, string> = op.body ? { 'content-type': [...op.body.media.keys()][0]! } : {};
      const res = await api.request(op.method, urlOf(op, broken), { token, headers, body: op.body ? '{}' : undefined });
      expectError(op, res, 400, 'validation_failed');
      expect(res.body.errors.some((e: { in: string }) => e.in === 'path')).toBe(true);
    },
  );
});

describe.each(named(declaring(304)))('%s', (_id, op) => {
  it('answers 304 without a body to If-None-Match with the current ETag, and 400 to an over-long one', async () => {
    const first = await api.request(op.method, urlOf(op), { token });
    expect(first.status).toBe(200);
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^(W\/)?"/);
    const again = await api.request(op.method, urlOf(op), { token, headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.etag).toBe(etag);
    const tooLong = await api.request(op.method, urlOf(op), {
      token,
      headers: { 'if-none-match': `"${'a'.repeat(2000)}"` },
    });
    expectError(op, tooLong, 400, 'validation_failed');
  });
});

describe('public operations that need Redis, when it is down', () => {
  // Readiness reports its own 503 (a JSON report of each dependency, tested with the system
  // operations); the rest answer an error document.
  const isError = (op: CompiledOperation) =>
    op.errorFormat === 'oauth' || op.responses.get('503')!.mediaTypes.includes('application/problem+json');
  const publicWithRedis = declaring(503).filter(
    (op) => (op.security.length === 0 || op.security.some((r) => Object.keys(r).length === 0)) && isError(op),
  );
  it.each(named(publicWithRedis))('%s answers 503 with Retry-After', async (_id, op) => {
    const grant: Record<string, string> =
      op.operationId === 'issueToken'
        ? { grant_type: 'password', username: 'sweeper', password: 'sweeper-password-1' }
        : { token: `${randomUUID()}.${'A'.repeat(43)}` };
    await t.redisServer.kill();
    try {
      const res = op.body
        ? await api.request(op.method, urlOf(op), { form: grant })
        : await api.request(op.method, urlOf(op));
      expectError(op, res, 503, 'unavailable');
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await t.redisServer.restart();
    }
  });
});
