/**
 * A client that goes away halfway through its request body is not a failure of the service: no
 * error-level log line and no 500 in the metrics, one info line with outcome `client_aborted`.
 */
import net from 'node:net';
import { client } from '../support/contract';
import { startTestApp, type TestApp } from '../support/app';

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

it('logs an abort mid-body at info as client_aborted, counts no 500 and logs no error', async () => {
  const { port } = new URL(t.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const body = JSON.stringify({ name: 'half', category: 'aborts', price_cents: 1, description: 'x'.repeat(400) });
  socket.write(`POST /v1/items HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  socket.write(body.slice(0, body.length / 2));
  // The server has the head and half the body (it is waiting for the rest) before the client leaves.
  await new Promise((r) => setTimeout(r, 300));
  socket.destroy();

  await until(() => parsedLogs().some((l) => l.outcome === 'client_aborted'));
  const aborted = parsedLogs().find((l) => l.outcome === 'client_aborted')!;
  expect(aborted).toMatchObject({ level: 'info', method: 'POST', path: '/v1/items', operationId: 'createItem' });
  expect(parsedLogs().filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);

  const metrics = await client(t.url).get('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(metrics.status).toBe(200);
  expect(metrics.text).not.toMatch(/status="500"/);
  expect(metrics.text).not.toMatch(/operation="createItem"/);
});
