import { existsSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { type RedisServer, startRedis } from './redis-server';

const clients: Redis[] = [];

/** A client that fails fast instead of retrying, so broken servers show up as errors. */
async function connect(server: RedisServer, extra: RedisOptions = {}): Promise<Redis> {
  const client = new Redis({
    host: server.host,
    port: server.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    connectTimeout: 2_000,
    ...extra,
  });
  client.on('error', () => undefined);
  clients.push(client);
  await client.connect();
  return client;
}

afterEach(() => {
  // disconnect() on an already-closed client leaves a 2 s timer behind in ioredis.
  for (const client of clients.splice(0)) if (client.status !== 'end') client.disconnect();
});

describe('startRedis with a password', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({
      password: 'pa ss"word',
      aclUsers: [{ name: 'reader', password: 'r-secret', rules: '~app:* +get +ping' }],
    });
  });
  afterAll(() => server.stop());

  test('exposes a credential-free URL on a random port', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.password).toBe('pa ss"word');
    expect(server.tls).toBeUndefined();
  });

  test('requires AUTH', async () => {
    // RESP2: the connection opens, commands are refused.
    const anonymous = await connect(server, { protocol: 2 });
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);

    // RESP3 (ioredis 6 default): the HELLO handshake itself is refused and the connection closed.
    const errors: Error[] = [];
    const resp3 = new Redis({ host: server.host, port: server.port, lazyConnect: true, retryStrategy: () => null });
    resp3.on('error', (err: Error) => errors.push(err));
    clients.push(resp3);
    await expect(resp3.connect()).rejects.toThrow();
    expect(errors.map((e) => e.message).join('\n')).toMatch(/NOAUTH/);

    const authed = await connect(server, { password: server.password! });
    expect(await authed.ping()).toBe('PONG');
    await authed.set('app:k', 'v');
    expect(await authed.get('app:k')).toBe('v');
  });

  test('creates ACL users with their rules', async () => {
    const reader = await connect(server, { username: 'reader', password: 'r-secret' });
    expect(await reader.ping()).toBe('PONG');
    await expect(reader.set('app:k', 'x')).rejects.toThrow(/NOPERM/);
  });
});

describe('startRedis with TLS', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ tls: true, password: 'tls-pw' });
  }, 30_000);
  afterAll(() => server.stop());

  test('serves TLS with a certificate the provided CA verifies', async () => {
    expect(server.url).toBe(`rediss://127.0.0.1:${server.port}`);
    expect(server.tls?.ca).toContain('BEGIN CERTIFICATE');
    expect(existsSync(server.tls!.caFile)).toBe(true);

    const client = await connect(server, { password: 'tls-pw', tls: { ca: server.tls!.ca } });
    expect(await client.ping()).toBe('PONG');
  });

  test('rejects clients that do not trust the CA', async () => {
    const errors: Error[] = [];
    const client = new Redis({
      host: server.host,
      port: server.port,
      tls: {},
      lazyConnect: true,
      retryStrategy: () => null,
    });
    client.on('error', (err: Error) => errors.push(err));
    clients.push(client);

    await expect(client.connect()).rejects.toThrow();
    expect(errors.map((e) => e.message).join('\n')).toMatch(/certificate/i);
  });
});

describe('crash and restart', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server.stop());

  test('kill() makes commands fail; restart() brings back an empty server on the same port', async () => {
    const before = await connect(server);
    await before.set('survives', 'no');

    await server.kill();
    await expect(before.get('survives')).rejects.toThrow();

    const port = server.port;
    await server.restart();
    expect(server.port).toBe(port);
    const after = await connect(server);
    expect(await after.ping()).toBe('PONG');
    expect(await after.get('survives')).toBeNull();
  });

  test('stop() shuts the server down for good', async () => {
    const extra = await startRedis();
    await extra.stop();
    await expect(connect(extra)).rejects.toThrow();
    await expect(extra.restart()).rejects.toThrow(/stopped/);
  });
});
