/**
 * Each client address's share of MAX_CONNECTIONS, against the server as main.ts starts it: clients
 * on two loopback addresses (127.0.0.2 and 127.0.0.3, bound as the sockets' local addresses), one
 * holding every socket it can, the other still served. MAX_CONNECTIONS=20 and the default share (a
 * tenth: 2 sockets per address), over plain HTTP and HTTPS.
 */
import net from 'node:net';
import tls from 'node:tls';
import { createLogger } from '../../src/core/logger';
import type { Running } from '../../src/main';
import { type ServerPair, startServerPair } from '../support/server-pair';

const GREEDY = '127.0.0.2';
const OTHER = '127.0.0.3';
const GET_HEALTHZ = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';

let pair: ServerPair;
let plain: Running;
let secure: Running;
let ca: string;

beforeAll(async () => {
  pair = await startServerPair({
    env: { MAX_CONNECTIONS: '20' },
    plainLogger: createLogger('silent'),
    secureLogger: createLogger('silent'),
  });
  ({ plain, secure, ca } = pair);
}, 90_000);

afterAll(() => pair?.stop());

/** A TCP connection from `localAddress`; resolves once the server accepted it (TCP, not yet HTTP). */
function connectFrom(r: Running, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: Number(new URL(r.url).port), host: '127.0.0.1', localAddress }, () =>
      resolve(socket),
    );
    socket.once('error', reject);
  });
}

/**
 * Sends GET /healthz from `localAddress` (over TLS for the HTTPS server) and resolves with what
 * came back before the server closed or answered: '' for a refused socket.
 */
function healthzFrom(r: Running, localAddress: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const port = Number(new URL(r.url).port);
    const tcp = net.connect({ port, host: '127.0.0.1', localAddress });
    const socket = r === secure ? tls.connect({ socket: tcp, ca, servername: 'localhost' }) : tcp;
    socket.on(r === secure ? 'secureConnect' : 'connect', () => socket.write(GET_HEALTHZ));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      // The whole (small) answer: its head and the JSON body's field.
      if (text.includes('\r\n\r\n') && text.includes('"status"')) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
}

function connectionCount(r: Running): Promise<number> {
  return new Promise((resolve, reject) => r.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each([
  ['plain HTTP', () => plain],
  ['HTTPS', () => secure],
])('%s', (_name, r) => {
  it('refuses a client over its share of MAX_CONNECTIONS while another address is still served', async () => {
    await until(async () => (await connectionCount(r())) === 0);
    // Twenty sockets that send nothing: on the old server they took every slot.
    const greedy = await Promise.all(Array.from({ length: 20 }, () => connectFrom(r(), GREEDY)));
    for (const socket of greedy) socket.on('error', () => undefined);
    await until(async () => (await connectionCount(r())) === 2);

    expect(await healthzFrom(r(), OTHER)).toMatch(/^HTTP\/1\.1 200 /);
    expect(await healthzFrom(r(), GREEDY)).toBe('');
    for (const socket of greedy) socket.destroy();
  });

  it('admits an address again once one of its sockets has closed', async () => {
    await until(async () => (await connectionCount(r())) === 0);
    const held = await Promise.all([connectFrom(r(), GREEDY), connectFrom(r(), GREEDY)]);
    expect(await healthzFrom(r(), GREEDY)).toBe('');
    held[0]!.destroy();
    await until(async () => (await connectionCount(r())) === 1);
    expect(await healthzFrom(r(), GREEDY)).toMatch(/^HTTP\/1\.1 200 /);
    held[1]!.destroy();
  });
});
