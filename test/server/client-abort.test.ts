/**
 * A client that goes away halfway through its request body is not a failure of the service: no
 * error-level log line and no 500 in the metrics, one info line with outcome `client_aborted`, and
 * one count in `specgate_client_aborts_total` per abort (not in the request-timeout counter: the
 * client left, the server did not cut it; test/server/connections.test.ts covers the timeout).
 */
import net from 'node:net';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';

const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ env: { METRICS_TOKEN } });
});
afterAll(() => t.stop());

const parsedLogs = () => t.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function metricsText(): Promise<string> {
  const metrics = await client(t.url).get('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(metrics.status).toBe(200);
  return metrics.text;
}

/** A counter's value for createItem; 0 while the series does not exist yet. */
function createItemCount(text: string, name: string): number {
  const m = new RegExp(`^${name}\\{operation="createItem"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Sends the head and half the body of a createItem request, waits until the server has them, and leaves. */
async function abortMidBody(): Promise<void> {
  const { port } = new URL(t.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const body = JSON.stringify({ name: 'half', category: 'aborts', price_cents: 1, description: 'x'.repeat(400) });
  socket.write(
    `POST /v1/items HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  socket.write(body.slice(0, body.length / 2));
  // The server has the head and half the body (it is waiting for the rest) before the client leaves.
  await new Promise((r) => setTimeout(r, 300));
  socket.destroy();
}

const abortLines = () => parsedLogs().filter((l) => l.outcome === 'client_aborted');

it('logs an abort mid-body at info as client_aborted, counts it once per abort, counts no 500 and logs no error', async () => {
  const before = await metricsText();

  await abortMidBody();
  await until(() => abortLines().length === 1);
  expect(abortLines()[0]).toMatchObject({
    level: 'info',
    method: 'POST',
    path: '/v1/items',
    operationId: 'createItem',
  });
  const afterOne = await metricsText();
  expect(createItemCount(afterOne, 'specgate_client_aborts_total')).toBe(
    createItemCount(before, 'specgate_client_aborts_total') + 1,
  );

  await abortMidBody();
  await until(() => abortLines().length === 2);
  const afterTwo = await metricsText();
  expect(createItemCount(afterTwo, 'specgate_client_aborts_total')).toBe(
    createItemCount(before, 'specgate_client_aborts_total') + 2,
  );

  // The client left; the server cut nothing: no request_timeout, in the log or the metrics.
  expect(parsedLogs().filter((l) => l.outcome === 'request_timeout')).toEqual([]);
  expect(createItemCount(afterTwo, 'specgate_request_timeouts_total')).toBe(0);
  expect(parsedLogs().filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  expect(afterTwo).not.toMatch(/status="500"/);
  // Not a response: createItem has no latency series at all.
  expect(afterTwo).not.toMatch(/^specgate_http_request_duration_seconds_\w+\{[^}]*operation="createItem"/m);
});
