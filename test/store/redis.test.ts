import { connectRedis } from '../../src/store/redis';
import { capturingLogger } from '../support/logs';
import { type RedisServer, startRedis } from '../support/redis-server';

const servers: RedisServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

function capture() {
  const lines: string[] = [];
  return {
    lines,
    logger: capturingLogger('debug', lines),
  };
}

it('connects over TLS, verifying the server with REDIS_TLS_CA_FILE', async () => {
  const server = await startRedis({ tls: true, password: 'tls-pass-1' });
  servers.push(server);
  const { logger } = capture();
  const redis = await connectRedis(
    { url: server.url, password: 'tls-pass-1', useTls: true, tlsCaFile: server.tls!.caFile },
    logger,
  );
  try {
    expect(server.url).toMatch(/^rediss:/);
    expect(await redis.ping()).toBe('PONG');
  } finally {
    redis.disconnect();
  }
  // Without the CA the certificate is not trusted: no connection.
  await expect(
    connectRedis({ url: server.url, password: 'tls-pass-1', useTls: true, tlsCaFile: undefined }, logger),
  ).rejects.toThrow(/cannot connect to Redis/);
});

it('logs in as an ACL user named in the URL, limited to its key patterns', async () => {
  const server = await startRedis({
    password: 'admin-pass',
    aclUsers: [{ name: 'specgate', password: 'acl-pass-1', rules: '~auth:* ~cache:* ~rl:* +@all' }],
  });
  servers.push(server);
  const url = new URL(server.url);
  url.username = 'specgate';
  const redis = await connectRedis(
    { url: url.toString(), password: 'acl-pass-1', useTls: false, tlsCaFile: undefined },
    capture().logger,
  );
  try {
    expect(await redis.acl('WHOAMI')).toBe('specgate');
    expect(await redis.set('auth:session:x', '1')).toBe('OK');
    await expect(redis.set('other:key', '1')).rejects.toThrow(/NOPERM/);
  } finally {
    redis.disconnect();
  }
});

it('fails with a message that does not contain the password', async () => {
  const server = await startRedis({ password: 'right-password' });
  servers.push(server);
  const { lines, logger } = capture();
  const err = await connectRedis(
    { url: server.url, password: 'wrong-password-xyz', useTls: false, tlsCaFile: undefined },
    logger,
  ).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(/cannot connect to Redis/);
  expect((err as Error).message).not.toContain('wrong-password-xyz');
  expect(lines.join('')).not.toContain('wrong-password-xyz');
});

it('lets go of a connection to a Redis that went away within a fraction of a second, not 2 s', async () => {
  const server = await startRedis({ password: 'gone-pass' });
  servers.push(server);
  const redis = await connectRedis(
    { url: server.url, password: 'gone-pass', useTls: false, tlsCaFile: undefined },
    capture().logger,
  );
  // ioredis holds the process for disconnectTimeout after disconnecting a socket that had already
  // closed: kept well under the half second jest gives a worker to exit.
  expect(redis.options.disconnectTimeout).toBeLessThanOrEqual(250);
  await server.kill();
  redis.disconnect();
});
