/**
 * GET /metrics (getMetrics): Prometheus text with cache outcomes and latency, for METRICS_TOKEN or
 * a users:admin access token.
 */

import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';

const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';
let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ env: { METRICS_TOKEN } });
  api = client(t.url);
  await t.createUser('ops', 'ops-password-1', ['users:admin', 'items:read', 'items:write']);
  await t.createUser('plain', 'plain-password-1', ['items:read']);
});
afterAll(() => t.stop());

it('counts cache outcomes per operation and request latency', async () => {
  const token = await api.login('ops', 'ops-password-1');
  const { id } = (await api.post('/v1/items', { token, json: { name: 'metered', category: 'm', price_cents: 1 } }))
    .body;
  await api.get(`/v1/items/${id}`, { token });
  await api.get(`/v1/items/${id}`, { token });
  const res = await api.get('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(res.text).toMatch(/specgate_cache_requests_total\{operation="getItem",outcome="MISS"\} 1/);
  expect(res.text).toMatch(/specgate_cache_requests_total\{operation="getItem",outcome="HIT"\} 1/);
  expect(res.text).toMatch(
    /specgate_http_request_duration_seconds_count\{operation="getItem",method="GET",status="200"\} 2/,
  );
  expect(res.text).toMatch(/process_cpu_seconds_total/);
});

it('takes the static token or a users:admin access token, nothing else', async () => {
  expect((await api.get('/metrics', { token: await api.login('ops', 'ops-password-1') })).status).toBe(200);
  expect((await api.get('/metrics', { token: await api.login('plain', 'plain-password-1') })).status).toBe(403);
  expect((await api.get('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })).status).toBe(401);
  expect((await api.get('/metrics')).status).toBe(401);
});
