/**
 * Nothing held open for free: real sockets (net and tls) against the server as main.ts starts it,
 * measuring when the server closes them. Small configured timeouts keep the file fast; the bounds
 * are generous (the machine is shared), the behaviour asserted is "closed by the server, in about
 * the configured time, not left open".
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { Running } from '../../src/main';
import { capturingLogger } from '../support/logs';
import { type ServerPair, startServerPair } from '../support/server-pair';

const LIMITS = {
  KEEP_ALIVE_TIMEOUT_SECONDS: '1',
  HEADERS_TIMEOUT_SECONDS: '2',
  REQUEST_TIMEOUT_SECONDS: '3',
  MAX_CONNECTIONS: '4',
  // The per-address share is tested in address-share.test.ts; every socket here comes from 127.0.0.1.
  MAX_CONNECTIONS_PER_ADDRESS: '0',
  SEND_TIMEOUT_SECONDS: '2',
  SHUTDOWN_DRAIN_SECONDS: '0',
};
/** Scheduling slack on a loaded two-core machine. */
const SLACK_MS = 2000;
const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';
/** The plain server's log lines. */
const plainLogs: string[] = [];
/** The HTTPS server's log lines. */
const secureLogs: string[] = [];
/** Measured close times, written to test-output for the record. */
const measured: Record<string, number> = {};

let pair: ServerPair;
let plain: Running;
let secure: Running;
let ca: string;

const portOf = (r: Running) => Number(new URL(r.url).port);

beforeAll(async () => {
  pair = await startServerPair({
    env: LIMITS,
    plainEnv: { METRICS_TOKEN },
    plainLogger: capturingLogger('info', plainLogs),
    secureLogger: capturingLogger('info', secureLogs),
  });
  ({ plain, secure, ca } = pair);
}, 90_000);

afterAll(async () => {
  await pair?.stop();
  fs.mkdirSync('test-output', { recursive: true });
  fs.writeFileSync(path.join('test-output', 'connection-timings.json'), JSON.stringify(measured, null, 2));
});

interface Closed {
  /** Milliseconds from `since` until the server closed the socket. */
  ms: number;
  received: string;
}

/** Resolves when the socket closes (read side drained, so 'close' can fire). */
function whenClosed(socket: net.Socket, since: () => number): Promise<Closed> {
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.on('close', () => resolve({ ms: Date.now() - since(), received })));
}

function connectPlain(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(portOf(plain), '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function connectTls(): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port: portOf(secure), host: '127.0.0.1', ca, servername: 'localhost' }, () =>
      resolve(socket),
    );
    socket.once('error', reject);
  });
}

const GET_HEALTHZ = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';

/** Sends one keep-alive request and resolves once its whole response has arrived. */
function requestOnce(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (c: Buffer) => {
      text += c.toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? NaN);
      if (head !== -1 && text.length >= head + 4 + length) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.write(GET_HEALTHZ);
  });
}

function connectionCount(r: Running): Promise<number> {
  return new Promise((resolve, reject) => r.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

/** A counter's value for issueToken on the plain server; 0 while the series does not exist yet. */
async function issueTokenCount(name: string): Promise<number> {
  const res = await fetch(`${plain.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  const m = new RegExp(`^${name}\\{operation="issueToken"\\} (\\d+)$`, 'm').exec(await res.text());
  return m ? Number(m[1]) : 0;
}

/**
 * A client as the issue's reproductions wrote it: it connects (TLS when `r` is the HTTPS server)
 * and never reads. Its socket is not flowing, so it sees neither the server's answer nor its close
 * until the test resumes it; what the server did is read from the server's side.
 */
async function connectNeverReading(r: Running): Promise<net.Socket> {
  const socket = await (r === secure ? connectTls() : connectPlain());
  neverReading.push(socket);
  return socket;
}

/** Sockets of connectNeverReading, closed after each test so a failed one leaves nothing to the next. */
const neverReading: net.Socket[] = [];
afterEach(() => {
  for (const socket of neverReading.splice(0)) socket.destroy();
});

/** Waits until `r` holds no connection (sockets of earlier tests gone), then returns the time. */
async function noConnections(r: Running, timeoutMs = 10_000): Promise<number> {
  await until(async () => (await connectionCount(r)) === 0, timeoutMs);
  return Date.now();
}

/** Everything the socket still has to give, once resumed, until the server's close. */
function readToClose(socket: net.Socket): Promise<string> {
  const closed = whenClosed(socket, () => 0);
  socket.resume();
  return closed.then((c) => c.received);
}

const REDOC = '/docs/redoc.standalone.js';
/** Pipelined requests for the 1.1 MB bundle: more than the loopback socket buffers hold. */
const PIPELINED_REDOC = `GET ${REDOC} HTTP/1.1\r\nHost: localhost\r\n\r\n`
  .repeat(9)
  .concat(`GET ${REDOC} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);

const logLines = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

const plainLogLines = () => plainLogs.map((line) => JSON.parse(line) as Record<string, unknown>);

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The tests every transport passes: `r` is the plain or the HTTPS server, `logs` its log lines. */
function idleAndStalledClients(r: () => Running, logs: string[]) {
  it('closes a connection that sends nothing within HEADERS_TIMEOUT_SECONDS, though its client never reads', async () => {
    await noConnections(r());
    const socket = await connectNeverReading(r());
    expect(await connectionCount(r())).toBe(1);
    const opened = Date.now();
    await noConnections(r(), 2000 + SLACK_MS);
    measured[`${r() === secure ? 'tls' : 'plain'}SilentNeverReadingMs`] = Date.now() - opened;
    expect(await readToClose(socket)).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection that sends one byte and then nothing within HEADERS_TIMEOUT_SECONDS', async () => {
    await noConnections(r());
    const socket = await connectNeverReading(r());
    socket.write('G');
    const opened = Date.now();
    await noConnections(r(), 2000 + SLACK_MS);
    measured[`${r() === secure ? 'tls' : 'plain'}OneByteMs`] = Date.now() - opened;
    expect(await readToClose(socket)).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a kept-alive connection whose next request stops after one byte (408, not the keep-alive close)', async () => {
    await noConnections(r());
    const socket = await connectNeverReading(r());
    expect(await requestOnce(socket)).toMatch(/^HTTP\/1\.1 200 /);
    socket.pause();
    socket.write('G');
    await noConnections(r(), 2000 + SLACK_MS);
    // The keep-alive timeout closes without a word; the head timeout answers 408 (RFC 9110 §15.5.9).
    expect(await readToClose(socket)).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes, and logs at info, a connection whose client sends requests and never reads the responses', async () => {
    await noConnections(r());
    const socket = await connectNeverReading(r());
    socket.write(PIPELINED_REDOC);
    const sent = Date.now();
    // SEND_TIMEOUT_SECONDS=2; generous: the server first fills the socket buffers (megabytes).
    await noConnections(r(), 2000 + 2 * SLACK_MS);
    measured[`${r() === secure ? 'tls' : 'plain'}NeverReadingMs`] = Date.now() - sent;
    const line = logLines(logs).find((l) => l.outcome === 'send_timeout');
    expect(line).toMatchObject({ level: 'info', sendTimeoutSeconds: 2, remoteAddress: '127.0.0.1' });
    expect(line?.pendingBytes).toBeGreaterThan(0);
  });

  it('serves every response to a client that stops reading for less than SEND_TIMEOUT_SECONDS', async () => {
    await noConnections(r());
    const cutBefore = logLines(logs).filter((l) => l.outcome === 'send_timeout').length;
    const socket = await connectNeverReading(r());
    const received: Buffer[] = [];
    socket.write(PIPELINED_REDOC);
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise((resolve) => socket.on('close', resolve));
    const text = Buffer.concat(received).toString('latin1');
    expect(text.match(/HTTP\/1\.1 200 OK\r\n/g)).toHaveLength(10);
    expect(logLines(logs).filter((l) => l.outcome === 'send_timeout')).toHaveLength(cutBefore);
  });
}

describe('plain HTTP', () => {
  idleAndStalledClients(() => plain, plainLogs);

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_SECONDS (advertised in Keep-Alive)', async () => {
    const socket = await connectPlain();
    const response = await requestOnce(socket);
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(response).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i);
    const answered = Date.now();
    const closed = await whenClosed(socket, () => answered);
    measured.keepAliveIdleMs = closed.ms;
    // 1 s plus node's keepAliveTimeoutBuffer (1 s), so a client honouring the header closes first.
    expect(closed.ms).toBeGreaterThanOrEqual(900);
    expect(closed.ms).toBeLessThan(2000 + SLACK_MS);
  });

  it('closes a TCP connection that never sends a byte within HEADERS_TIMEOUT_SECONDS', async () => {
    const opened = Date.now();
    const socket = await connectPlain();
    const closed = await whenClosed(socket, () => opened);
    measured.silentTcpMs = closed.ms;
    expect(closed.ms).toBeGreaterThanOrEqual(1500);
    expect(closed.ms).toBeLessThan(2000 + SLACK_MS);
  });

  it('cuts a request head that trickles in (408)', async () => {
    const opened = Date.now();
    const socket = await connectPlain();
    const closed = whenClosed(socket, () => opened);
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 200);
    const { ms, received } = await closed;
    clearInterval(trickle);
    measured.trickledHeadersMs = ms;
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(2000 + SLACK_MS);
  });

  it('cuts a request body that trickles in after REQUEST_TIMEOUT_SECONDS (408), logged and counted as request_timeout, not client_aborted', async () => {
    const timeoutsBefore = await issueTokenCount('specgate_request_timeouts_total');
    const abortsBefore = await issueTokenCount('specgate_client_aborts_total');
    const opened = Date.now();
    const socket = await connectPlain();
    const closed = whenClosed(socket, () => opened);
    socket.write(
      'POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n',
    );
    const trickle = setInterval(() => socket.writable && socket.write('a'), 200);
    const { ms, received } = await closed;
    clearInterval(trickle);
    measured.trickledBodyMs = ms;
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(2500);
    expect(ms).toBeLessThan(3000 + SLACK_MS);

    // The server ended this request (RFC 9110 §15.5.9: 408, the client took too long), so it is no
    // client abort: its own outcome in the log, its own counter.
    await until(async () => plainLogLines().some((l) => l.outcome === 'request_timeout'));
    const line = plainLogLines().find((l) => l.outcome === 'request_timeout')!;
    expect(line).toMatchObject({ level: 'info', method: 'POST', path: '/token', operationId: 'issueToken' });
    expect(plainLogLines().filter((l) => l.outcome === 'client_aborted')).toEqual([]);
    expect(plainLogLines().filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(await issueTokenCount('specgate_request_timeouts_total')).toBe(timeoutsBefore + 1);
    expect(await issueTokenCount('specgate_client_aborts_total')).toBe(abortsBefore);
  });

  it('takes at most MAX_CONNECTIONS sockets at once', async () => {
    await until(async () => (await connectionCount(plain)) === 0);
    const held = await Promise.all([1, 2, 3, 4].map(() => connectPlain()));
    for (const socket of held) expect(await requestOnce(socket)).toMatch(/^HTTP\/1\.1 200/);
    const extra = await connectPlain();
    const refused = await whenClosed(extra, () => Date.now());
    extra.write(GET_HEALTHZ);
    expect((await refused).received).toBe('');
    // A slot frees up: a new connection is served again.
    held[0]!.destroy();
    await until(async () => (await connectionCount(plain)) < 4);
    const next = await connectPlain();
    expect(await requestOnce(next)).toMatch(/^HTTP\/1\.1 200/);
    for (const socket of [...held, next]) socket.destroy();
  });
});

describe('HTTPS', () => {
  idleAndStalledClients(() => secure, secureLogs);

  it('closes a TCP connection that never starts its TLS handshake within HEADERS_TIMEOUT_SECONDS', async () => {
    const opened = Date.now();
    const socket = await new Promise<net.Socket>((resolve) => {
      const s = net.connect(portOf(secure), '127.0.0.1', () => resolve(s));
    });
    const closed = await whenClosed(socket, () => opened);
    measured.silentTlsHandshakeMs = closed.ms;
    expect(closed.ms).toBeGreaterThanOrEqual(1500);
    expect(closed.ms).toBeLessThan(2000 + SLACK_MS);
  });

  it('closes a TLS connection that completes its handshake and sends nothing within HEADERS_TIMEOUT_SECONDS', async () => {
    const socket = await connectTls();
    const handshaken = Date.now();
    const closed = await whenClosed(socket, () => handshaken);
    measured.silentTlsMs = closed.ms;
    expect(closed.ms).toBeGreaterThanOrEqual(1500);
    expect(closed.ms).toBeLessThan(2000 + SLACK_MS);
  });

  it('closes an idle keep-alive TLS connection after KEEP_ALIVE_TIMEOUT_SECONDS', async () => {
    const socket = await connectTls();
    expect(await requestOnce(socket)).toMatch(/^HTTP\/1\.1 200/);
    const answered = Date.now();
    const closed = await whenClosed(socket, () => answered);
    measured.keepAliveIdleTlsMs = closed.ms;
    expect(closed.ms).toBeGreaterThanOrEqual(900);
    expect(closed.ms).toBeLessThan(2000 + SLACK_MS);
  });
});
