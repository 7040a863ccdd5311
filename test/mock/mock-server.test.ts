/**
 * The mock server (src/mock/, `npm run mock`) over a real socket: every operation answers from
 * the document, with the service's validation and security, and the typed client works against
 * it. Every response is checked against the document (test/support/contract.ts); the document is
 * passed explicitly so the mock's answers never count toward the service's response coverage.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createSpecgateClient, isProblem } from 'specgate/client';
import { type RunningMock, startMockServer } from '../../src/mock/mock-server';
import { loadDocument, resolveRef } from '../../src/pipeline/compile/document';
import { type CompiledOperation, compileOperations } from '../../src/pipeline/compile/operations';
import { contractFetch, refreshes } from '../client/contract-fetch';
import { challengeOf } from '../support/challenges';
import { client, type RequestOptions } from '../support/contract';
import { capturingLogger } from '../support/logs';

const doc = loadDocument();
const operations = compileOperations(doc);
const named = (ops: CompiledOperation[]) => ops.map((op) => [op.operationId, op] as const);
const isPublic = (op: CompiledOperation) =>
  op.security.length === 0 || op.security.some((r) => Object.keys(r).length === 0);
const lowestSuccess = (op: CompiledOperation) =>
  Number([...op.responses.keys()].filter((s) => /^2\d\d$/.test(s)).sort()[0]);

let mock: RunningMock;
let api: ReturnType<typeof client>;
/** The access token of the mock's POST /token answer. */
let token: string;
const logs: string[] = [];

beforeAll(async () => {
  const logger = capturingLogger('warn', logs);
  mock = await startMockServer({ document: doc, port: 0, logger });
  api = client(mock.url, doc);
  const res = await api.post('/token', {
    form: { grant_type: 'password', username: 'alice', password: 'any password' },
  });
  expect(res.status).toBe(200);
  token = res.body.access_token;
});
afterAll(() => mock.close());

/** An unsigned JWT with these claims: the mock grants its `scope` claim. */
function jwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'at+jwt' })}.${part(claims)}.${part({ unsigned: true })}`;
}

const urlOf = (op: CompiledOperation) => op.path.replace(/\{[^}]+\}/g, () => randomUUID());

/** A valid request for `op`: a token with every scope and the document's own request example. */
function validRequest(op: CompiledOperation, headers: Record<string, string> = {}): RequestOptions {
  const opts: RequestOptions = { token, headers: { ...headers } };
  if (!op.raw.requestBody) return opts;
  type Media = { example?: unknown; examples?: Record<string, unknown> };
  const content = resolveRef<{ content: Record<string, Media> }>(doc, op.raw.requestBody).content;
  const [type, media] = Object.entries(content)[0]!;
  const value =
    'example' in media ? media.example : resolveRef<{ value: unknown }>(doc, Object.values(media.examples!)[0]).value;
  if (type === 'application/x-www-form-urlencoded') opts.form = value as Record<string, string>;
  else Object.assign(opts, { json: value, headers: { ...opts.headers, 'content-type': type } });
  return opts;
}

describe.each(named(operations))('%s', (_id, op) => {
  it('answers a valid request with its lowest documented 2xx, a body only where one is documented', async () => {
    const res = await api.request(op.method, urlOf(op), validRequest(op));
    const status = lowestSuccess(op);
    expect([op.operationId, res.status]).toEqual([op.operationId, status]);
    expect(res.text !== '').toBe(op.responses.get(String(status))!.mediaTypes.length > 0);
  });

  it('answers every documented status when the request prefers it (Prefer: code=…)', async () => {
    const statuses = [...op.responses.keys()];
    const answered: [string, number, string | undefined][] = [];
    for (const status of statuses) {
      const res = await api.request(op.method, urlOf(op), validRequest(op, { prefer: `code=${status}` }));
      answered.push([status, res.status, res.headers['preference-applied']]);
    }
    expect(answered).toEqual(statuses.map((s) => [s, Number(s), `code=${s}`]));
  });
});

describe('Prefer', () => {
  it('picks a named example, and says so in Preference-Applied', async () => {
    const first = await api.get('/v1/items', { token });
    expect(first.body.items).toHaveLength(2);
    expect(first.headers['preference-applied']).toBeUndefined();
    const last = await api.get('/v1/items', { token, headers: { prefer: 'example=last' } });
    expect(last.body).toEqual({ items: [], next_cursor: null });
    expect(last.headers['preference-applied']).toBe('example=last');
  });

  it('combines a status with one of its examples', async () => {
    const res = await api.get('/me', { token: jwt({ sub: 'u1' }), headers: { prefer: 'code=401, example="revoked"' } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
    expect(res.headers['preference-applied']).toBe('code=401, example=revoked');
  });

  it('ignores a status or an example the document does not have (RFC 7240), and logs why', async () => {
    const res = await api.get('/v1/items', { token, headers: { prefer: 'code=418, example=nope' } });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(2);
    expect(res.headers['preference-applied']).toBeUndefined();
    const warned = logs.map((l) => JSON.parse(l)).filter((l) => l.requestId === res.headers['x-request-id']);
    expect(warned.map((l) => l.msg)).toEqual([
      'Prefer code=418 ignored: not a documented status of listItems',
      'Prefer example=nope ignored: no such example of listItems 200',
    ]);
  });

  it('fills a problem answer with the request’s own path and request id', async () => {
    const itemPath = `/v1/items/${randomUUID()}`;
    const res = await api.get(itemPath, { token, headers: { prefer: 'code=404', 'x-request-id': 'mock-test-1' } });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'not_found', instance: itemPath, request_id: 'mock-test-1' });
    expect(res.headers['x-request-id']).toBe('mock-test-1');
  });

  it('cannot skip validation: an invalid request is refused whatever it prefers', async () => {
    const res = await api.post('/v1/items', { token, json: { name: 'Cup' }, headers: { prefer: 'code=201' } });
    expect(res.status).toBe(400);
  });
});

describe('security, as the service checks it', () => {
  const protectedOps = operations.filter((op) => !isPublic(op));

  it.each(named(protectedOps))('%s answers 401 unauthorized without a token', async (_id, op) => {
    const res = await api.request(op.method, urlOf(op), { ...validRequest(op), token: undefined });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
    expect(challengeOf(res.headers['www-authenticate'], 'Bearer')).toEqual({ realm: 'specgate' });
  });

  it('answers 401 to other schemes and to malformed tokens', async () => {
    const basic = await api.get('/me', { headers: { authorization: 'Basic YWxpY2U6cHc=' } });
    expect([basic.status, basic.body.code]).toEqual([401, 'unauthorized']);
    for (const bad of ['Bearer', 'Bearer has spaces', 'Bearer a:b', 'Bearer not.a.jwt']) {
      const res = await api.get('/me', { headers: { authorization: bad } });
      expect([bad, res.status, res.body.code]).toEqual([bad, 401, 'invalid_token']);
    }
  });

  it('grants a JWT the scopes of its scope claim: 403 insufficient_scope for the others', async () => {
    const reader = jwt({ sub: 'reader', scope: 'items:read' });
    expect((await api.get('/v1/items', { token: reader })).status).toBe(200);
    const write = await api.post('/v1/items', {
      token: reader,
      json: { name: 'Cup', category: 'kitchen', price_cents: 1 },
    });
    expect([write.status, write.body.code]).toEqual([403, 'insufficient_scope']);
    expect(write.headers['www-authenticate']).toContain('scope="items:write"');
    const none = await api.get('/v1/users', { token: jwt({ scope: '' }) });
    expect(none.status).toBe(403);
  });

  it('grants every scope to a token without a scope claim, and refuses an expired JWT', async () => {
    for (const t of [token, 'opaque-token', jwt({ sub: 'admin' })]) {
      expect([t, (await api.get('/v1/users', { token: t })).status]).toEqual([t, 200]);
    }
    const expired = await api.get('/v1/items', {
      token: jwt({ scope: 'items:read', exp: Math.floor(Date.now() / 1000) - 60 }),
    });
    expect([expired.status, expired.body.code, expired.body.detail]).toEqual([
      401,
      'invalid_token',
      'The access token has expired.',
    ]);
  });
});

describe('request validation, as the service does it', () => {
  it('answers 400 validation_failed with every violation of an invalid body', async () => {
    const res = await api.post('/v1/items', {
      token,
      json: { name: '', category: 'Not A Slug', price_cents: -1, colour: 'red' },
    });
    expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
    expect(res.body.errors.map((e: { in: string; pointer: string }) => `${e.in} ${e.pointer}`)).toEqual([
      'body /name',
      'body /name',
      'body /category',
      'body /price_cents',
      'body /colour',
    ]);
    expect(res.body.errors.at(-1).message).toBe('is not allowed');
  });

  it('answers the OAuth error format on /token, and 415 / 406 / 404 / 405 like the service', async () => {
    const grant = await api.post('/token', { form: { username: 'alice' } });
    expect([grant.status, grant.body.error]).toEqual([400, 'invalid_request']);
    const media = await api.post('/v1/items', { token, body: 'name=Cup', headers: { 'content-type': 'text/plain' } });
    expect([media.status, media.body.code]).toEqual([415, 'unsupported_media_type']);
    const accept = await api.get('/v1/items', { token, headers: { accept: 'text/csv' } });
    expect([accept.status, accept.body.code]).toEqual([406, 'not_acceptable']);
    expect((await api.get('/v2/nothing-here')).status).toBe(404);
    expect((await api.request('DELETE', '/healthz')).status).toBe(405);
  });
});

describe('the typed client against the mock', () => {
  it('runs a session: login, list, read, revalidate, update with If-Match, a preferred 404, logout', async () => {
    const fetch = contractFetch([], doc);
    const sdk = createSpecgateClient({ baseUrl: mock.url, fetch });
    const tokens = await sdk.login('alice', 'any password');
    expect(tokens.accessToken).toBe(token);

    const page = await sdk.GET('/v1/items', { params: { query: { limit: 2 } } });
    expect(page.data?.items).toHaveLength(2);
    const itemId = page.data!.items[0]!.id;

    const read = await sdk.GET('/v1/items/{itemId}', { params: { path: { itemId } } });
    expect(read.data).toMatchObject({ id: itemId, name: 'Espresso cup' });
    const etag = read.response.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await sdk.GET('/v1/items/{itemId}', {
      params: { path: { itemId }, header: { 'If-None-Match': etag } },
    });
    expect(again.response.status).toBe(304);

    const patched = await sdk.PATCH('/v1/items/{itemId}', {
      params: { path: { itemId }, header: { 'If-Match': etag } },
      body: { price_cents: 990 },
    });
    expect(patched.response.status).toBe(200);
    expect(fetch.exchanges.at(-1)!.contentType).toBe('application/merge-patch+json');

    const missing = await sdk.GET('/v1/items/{itemId}', {
      params: { path: { itemId } },
      headers: { prefer: 'code=404' },
    });
    expect(isProblem(missing.error) && missing.error.code).toBe('not_found');

    await sdk.logout();
    expect(sdk.tokens).toBeUndefined();
    expect(fetch.exchanges.at(-1)).toMatchObject({ method: 'POST', path: '/logout', status: 204 });
    const after = await sdk.GET('/v1/items', {});
    expect(isProblem(after.error) && after.error.code).toBe('unauthorized');
  });

  it('refreshes an expired access token through the mock’s /token and retries', async () => {
    const fetch = contractFetch([], doc);
    const sdk = createSpecgateClient({ baseUrl: mock.url, fetch });
    const expired = jwt({ sub: 'u1', scope: '', exp: Math.floor(Date.now() / 1000) - 1 });
    sdk.setTokens({ accessToken: expired, refreshToken: 'old-refresh-token', expiresAt: 0, scope: '' });
    const me = await sdk.GET('/me', {});
    expect(me.data?.username).toBe('alice');
    expect(fetch.exchanges.map((e) => [e.path, e.status])).toEqual([
      ['/me', 401],
      ['/token', 200],
      ['/me', 200],
    ]);
    expect(refreshes(fetch.exchanges)).toHaveLength(1);
    expect(sdk.tokens?.accessToken).toBe(token);
  });
});

it('answers a browser’s CORS preflight, allowing Prefer', async () => {
  const res = await fetch(`${mock.url}/v1/items`, {
    method: 'OPTIONS',
    headers: {
      origin: 'http://localhost:5173',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, prefer, content-type',
    },
  });
  expect(res.status).toBe(204);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  expect(res.headers.get('access-control-allow-headers')).toBe('authorization, prefer, content-type');
});

describe('npm run mock', () => {
  const root = path.resolve(__dirname, '../..');
  const run = (env: Record<string, string>) =>
    spawn(path.join(root, 'node_modules/.bin/tsx'), ['scripts/mock.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, ...env },
    });

  it('listens on PORT, logs its URL, serves the document and stops on SIGTERM', async () => {
    const child = run({ PORT: '0', LOG_LEVEL: 'info' });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the mock did not start:\n${output}`)), 30_000);
        const onData = (c: Buffer) => {
          output += c;
          const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', () => reject(new Error(`the mock exited:\n${output}`)));
      });
      const health = await client(url, doc).get('/healthz');
      expect([health.status, health.body]).toEqual([200, { status: 'ok' }]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('names every bad setting and exits 2', async () => {
    const child = run({ PORT: 'eighty', LOG_LEVEL: 'loud' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(2);
    expect(stderr).toContain('PORT must be an integer from 0 to 65535, got eighty');
    expect(stderr).toContain('LOG_LEVEL must be one of');
  });
});
