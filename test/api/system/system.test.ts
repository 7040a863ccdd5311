/**
 * The system operations: liveness, readiness, the document and the Redoc page.
 */
import fs from 'node:fs';
import { REDOC_FOOTER_LOGO, REDOC_FOOTER_LOGO_LOCAL } from '../../../src/app';
import { loadDocument } from '../../../src/pipeline/compile/document';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';
import { startRedis } from '../../support/redis-server';

let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  // A server of its own: the readiness case kills and restarts it.
  t = await startTestApp({ redisServer: await startRedis({ password: 'system-redis' }) });
  api = client(t.url);
});
afterAll(async () => {
  await t.stop();
  await t.redisServer.stop();
});

describe('getHealth', () => {
  it('answers ok without credentials', async () => {
    const res = await api.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

describe('getOpenApiDocument', () => {
  it('serves the document the service runs on, as JSON', async () => {
    const res = await api.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(loadDocument())));
  });
});

describe('getApiDocs', () => {
  it('serves a Redoc page whose script comes from this service', async () => {
    const res = await api.get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('<redoc spec-url="/openapi.json"></redoc>');
    const scripts = [...res.text.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(['/docs/redoc.standalone.js']);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.headers['content-security-policy']).toMatch(/worker-src 'self' blob:/);
  });

  it('serves the Redoc bundle from the redoc package, its CDN footer logo replaced by a data: URI', async () => {
    const res = await fetch(`${t.url}/docs/redoc.standalone.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const body = await res.text();
    const shipped = fs.readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'), 'utf8');
    expect(shipped).toContain(REDOC_FOOTER_LOGO);
    expect(body).not.toContain(REDOC_FOOTER_LOGO);
    expect(body).toBe(shipped.split(REDOC_FOOTER_LOGO).join(REDOC_FOOTER_LOGO_LOCAL));
    const again = await fetch(`${t.url}/docs/redoc.standalone.js`, {
      headers: { 'if-none-match': res.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
  });
});

describe('getReadiness', () => {
  it('is ready when Redis and the database answer', async () => {
    const res = await api.get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { redis: 'up', database: 'up' } });
  });

  it('answers 503 naming Redis when it is down, and recovers when it is back', async () => {
    await t.redisServer.kill();
    const down = await api.get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable', checks: { redis: 'down', database: 'up' } });
    expect(down.headers['retry-after']).toBe('5');
    await t.redisServer.restart();
    let again = await api.get('/readyz');
    for (let i = 0; i < 40 && again.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await api.get('/readyz');
    }
    expect(again.status).toBe(200);
  });
});
