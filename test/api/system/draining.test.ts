/**
 * While the instance drains (SIGTERM; here the app's lifecycle directly): /readyz answers 503
 * `draining` with Retry-After, and every response, the express fallback's included, carries
 * `Connection: close` so keep-alive clients move to another instance. Requests still succeed.
 */
import http from 'node:http';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
});
afterAll(() => t.stop());

/** The Connection header as sent (fetch does not expose hop-by-hop headers reliably). */
const connectionHeader = (path: string) =>
  new Promise<string | undefined>((resolve, reject) => {
    http
      .get(`${t.url}${path}`, { agent: false }, (res) => {
        res.resume();
        resolve(res.headers.connection);
      })
      .on('error', reject);
  });

it('is ready and keeps connections alive until the drain begins', async () => {
  expect((await api.get('/readyz')).body.status).toBe('ready');
  const keepAlive = new http.Agent({ keepAlive: true });
  const res = await new Promise<http.IncomingMessage>((resolve) =>
    http.get(`${t.url}/healthz`, { agent: keepAlive }, resolve),
  );
  res.resume();
  expect(res.headers.connection).toBe('keep-alive');
  keepAlive.destroy();
});

it('answers readiness 503 draining, and closes every connection after its response', async () => {
  t.app.lifecycle.beginDrain();
  const ready = await api.get('/readyz');
  expect(ready.status).toBe(503);
  expect(ready.headers['retry-after']).toBe('5');
  expect(ready.body).toEqual({ status: 'draining', checks: { redis: 'up', database: 'up' } });
  expect((await api.get('/healthz')).status).toBe(200);
  expect(await connectionHeader('/healthz')).toBe('close');
  expect(await connectionHeader('/nowhere')).toBe('close');
  expect(await connectionHeader('/docs/redoc.standalone.js')).toBe('close');
});
