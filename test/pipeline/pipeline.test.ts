/**
 * The pipeline's generic behaviour over a fixture document: routing, JSON Schema 2020-12
 * validation, the error catalogue, scopes from the security requirement, and request ids.
 */
import path from 'node:path';
import { ApiError } from '../../src/core/errors';
import { loadDocument } from '../../src/pipeline/compile/document';
import type { OperationRequest } from '../../src/pipeline/context';
import { client } from '../support/contract';
import { type FixtureServer, startFixtureServer } from '../support/pipeline-server';

const doc = loadDocument(path.join(__dirname, '../fixtures/widgets.yaml'));
let server: FixtureServer;
let api: ReturnType<typeof client>;
const widget = { name: 'w', size: [2, 3] };

beforeAll(async () => {
  server = await startFixtureServer(doc, {
    listWidgets: (req: OperationRequest) => ({
      status: 200,
      body: { items: [{ id: Number(req.query.limit), ...widget }] },
    }),
    createWidget: (req: OperationRequest) => ({ status: 201, body: { id: 1, ...(req.body as object) } }),
    getWidget: (req: OperationRequest) => {
      if (req.params.widgetId === 404) throw new ApiError('not_found', { detail: 'No such widget.' });
      return { status: 200, body: { id: req.params.widgetId, ...widget } };
    },
    getSpecialWidget: () => ({ status: 200, body: { id: 0, ...widget } }),
    boom: () => {
      throw new Error('database password=hunter2 at /srv/app.js:42');
    },
  });
  api = client(server.url, doc);
});
afterAll(() => server.stop());

const WRITE = { headers: { authorization: 'Bearer token-widgets:write' } };

describe('routing', () => {
  it('answers 404 problem+json for a path the document does not have', async () => {
    const res = await api.get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });

  it('answers 405 with Allow for a known path and another method', async () => {
    const res = await api.request('DELETE', '/widgets');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    expect(res.body.allow).toEqual(['GET', 'HEAD', 'POST']);
  });

  it('prefers a literal segment over a parameter', async () => {
    const res = await api.get('/widgets/special');
    expect(res.operationId).toBe('getSpecialWidget');
    expect(res.body.id).toBe(0);
  });

  it('coerces and validates path parameters', async () => {
    expect((await api.get('/widgets/7')).body.id).toBe(7);
    const bad = await api.get('/widgets/abc');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ in: 'path', pointer: '/widgetId', message: 'must be integer' }]);
  });

  it('treats a trailing slash as another path', async () => {
    expect((await api.get('/widgets/7/')).status).toBe(404);
  });

  it('answers HEAD for a GET operation without a body', async () => {
    const res = await api.request('HEAD', '/widgets/7');
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });

  it('rejects malformed percent-encoding in a path parameter with 400', async () => {
    const res = await api.get('/widgets/%E0%A4%A');
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ in: 'path', pointer: '/widgetId' });
  });
});

describe('request validation (JSON Schema 2020-12)', () => {
  it('enforces unevaluatedProperties through allOf and names the field', async () => {
    const res = await api.post('/widgets', { ...WRITE, json: { ...widget, colour: 'red' } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual([{ in: 'body', pointer: '/colour', message: 'is not allowed' }]);
  });

  it('enforces prefixItems tuples', async () => {
    const res = await api.post('/widgets', { ...WRITE, json: { name: 'w', size: [2, 'x'] } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ in: 'body', pointer: '/size/1', message: 'must be integer' }]);
    const tooLong = await api.post('/widgets', { ...WRITE, json: { name: 'w', size: [2, 3, 4] } });
    expect(tooLong.status).toBe(400);
  });

  it('follows recursive $refs', async () => {
    const ok = await api.post('/widgets', { ...WRITE, json: { ...widget, parent: { ...widget, parent: widget } } });
    expect(ok.status).toBe(201);
    const bad = await api.post('/widgets', {
      ...WRITE,
      json: { ...widget, parent: { ...widget, parent: { name: '' } } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/parent/parent/name',
      '/parent/parent/size',
    ]);
  });

  it("hands the handler the validated header parameters, coerced and under the document's names", async () => {
    const res = await api.get('/widgets/7', { headers: { 'x-widget-revision': '3', 'x-other': 'not documented' } });
    expect(res.status).toBe(200);
    expect(server.received.at(-1)!.headers).toEqual({ 'X-Widget-Revision': 3 });
    const bad = await api.get('/widgets/7', { headers: { 'x-widget-revision': '0' } });
    expect([bad.status, bad.body.errors]).toEqual([
      400,
      [{ in: 'header', pointer: '/x-widget-revision', message: 'must be >= 1' }],
    ]);
  });

  it('lists every violation across locations at once', async () => {
    const res = await api.get('/widgets?limit=0&tag=toolongtag&tag=ok', {
      headers: { authorization: 'Bearer token-widgets:read' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { in: 'query', pointer: '/limit', message: 'must be >= 1' },
      { in: 'query', pointer: '/tag/0', message: 'must NOT have more than 5 characters' },
    ]);
  });

  it('applies query defaults and coerces types', async () => {
    const res = await api.get('/widgets', { headers: { authorization: 'Bearer token-widgets:read' } });
    expect(res.body.items[0].id).toBe(20);
    expect(server.received.at(-1)!.query).toEqual({ limit: 20 });
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await api.post('/widgets', {
      ...WRITE,
      body: '{"name": ',
      headers: { ...WRITE.headers, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('malformed_body');
  });

  it('answers 400 for a missing required body', async () => {
    const res = await api.post('/widgets', WRITE);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ in: 'body', pointer: '', message: 'a request body is required' }]);
  });

  it('answers 415 for a media type the operation does not take', async () => {
    const res = await api.post('/widgets', {
      ...WRITE,
      body: 'name=w',
      headers: { ...WRITE.headers, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
  });

  it('answers 413 for a body over the limit, before reading it all', async () => {
    const res = await api.post('/widgets', { ...WRITE, json: { name: 'x'.repeat(2000), size: [1, 1] } });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('answers 406 when Accept excludes what the operation produces', async () => {
    const res = await api.get('/widgets/1', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(406);
    expect((await api.get('/widgets/1', { headers: { accept: 'text/html, application/*;q=0.5' } })).status).toBe(200);
    expect((await api.get('/widgets/1', { headers: { accept: 'application/json;q=0' } })).status).toBe(406);
  });
});

describe('security from the document', () => {
  it('checks credentials before the body: 401 beats 415 and 400', async () => {
    const res = await api.post('/widgets', { body: 'not json', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(401);
  });

  it('answers 403 naming the scope when the token lacks it', async () => {
    const res = await api.get('/widgets', { headers: { authorization: 'Bearer token-other' } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="specgate", error="insufficient_scope", scope="widgets:read"',
    );
  });

  it('accepts any one of several requirements (OR across the list)', async () => {
    expect(
      (await api.post('/widgets', { json: widget, headers: { authorization: 'Bearer token-admin' } })).status,
    ).toBe(201);
    expect(
      (await api.post('/widgets', { json: widget, headers: { authorization: 'Bearer token-widgets:write' } })).status,
    ).toBe(201);
    expect(
      (await api.post('/widgets', { json: widget, headers: { authorization: 'Bearer token-widgets:read' } })).status,
    ).toBe(403);
  });

  it('hands the handler the principal of the satisfied requirement', async () => {
    await api.post('/widgets', { json: widget, headers: { authorization: 'Bearer token-admin+x' } });
    expect(server.received.at(-1)!.principal).toMatchObject({ userId: 'u1', scopes: ['admin', 'x'] });
  });

  it('runs no handler when authentication fails', async () => {
    const before = server.received.length;
    await api.post('/widgets', { json: widget, headers: { authorization: 'Bearer wrong' } });
    await api.get('/widgets');
    expect(server.received.length).toBe(before);
  });
});

describe('errors and request ids', () => {
  it('turns an unexpected error into a 500 with the request id and nothing else', async () => {
    const res = await api.get('/boom', { headers: { 'x-request-id': 'req-123' } });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      type: '/docs#section/Errors/internal',
      title: 'Internal server error',
      status: 500,
      code: 'internal',
      instance: '/boom',
      request_id: 'req-123',
    });
    expect(res.text).not.toMatch(/hunter2|app\.js|stack/);
    expect(server.logs.join('')).toMatch(/request failed/);
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    expect((await api.get('/widgets/1', { headers: { 'x-request-id': 'abc-1' } })).headers['x-request-id']).toBe(
      'abc-1',
    );
    const replaced = (await api.get('/widgets/1', { headers: { 'x-request-id': 'bad id\u00e9' } })).headers[
      'x-request-id'
    ];
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes a handler error through the one mapping module', async () => {
    const res = await api.get('/widgets/404');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'not_found', detail: 'No such widget.', instance: '/widgets/404' });
  });
});

describe('response validation', () => {
  it('turns a handler result that departs from the document into a 500 and logs why', async () => {
    const bad = await startFixtureServer(doc, {
      listWidgets: () => ({ status: 200, body: { items: [{ id: 'one' }] } }),
      createWidget: () => ({ status: 418, body: {} }),
      getWidget: () => ({ status: 200, body: { id: 1, ...widget } }),
      getSpecialWidget: () => ({ status: 200, body: { id: 1, ...widget } }),
      boom: () => ({ status: 200, body: {} }),
    });
    try {
      const c = client(bad.url, doc);
      expect((await c.get('/widgets', { headers: { authorization: 'Bearer token-widgets:read' } })).status).toBe(500);
      expect(
        (await c.post('/widgets', { json: widget, headers: { authorization: 'Bearer token-admin' } })).status,
      ).toBe(500);
      const logged = bad.logs.join('');
      expect(logged).toMatch(/status 418 is not documented for createWidget/);
      expect(logged).toMatch(/body\/items\/0\/id: must be integer/);
    } finally {
      await bad.stop();
    }
  });
});
