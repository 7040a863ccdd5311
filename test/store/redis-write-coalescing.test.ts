/**
 * A connection sends the commands one event-loop turn issued in one socket write (the session check
 * and the cache lookup of a request leave together), on a real redis-server, across reconnections.
 * The socket's flushes are counted where the stream hands data to the kernel: `_write` (one chunk)
 * and `_writev` (a corked batch).
 */
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/store/redis';
import { capturingLogger } from '../support/logs';
import { type RedisServer, startRedis } from '../support/redis-server';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis({ password: 'coalesce-pass' });
  redis = await connectRedis(
    { url: server.url, password: 'coalesce-pass', useTls: false, tlsCaFile: undefined },
    capturingLogger('debug', []),
  );
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

type Flushing = Duplex & {
  _write: (...args: unknown[]) => void;
  _writev: (chunks: { chunk: unknown }[], cb: unknown) => void;
};

/** Counts the socket's flushes (each with the number of chunks it carried) while `act` runs. */
async function flushesDuring(act: () => Promise<unknown>): Promise<number[]> {
  const stream = (redis as unknown as { stream: Flushing }).stream;
  const flushes: number[] = [];
  const [write, writev] = [stream._write, stream._writev];
  stream._write = function (...args) {
    flushes.push(1);
    return write.apply(this, args);
  };
  stream._writev = function (chunks, cb) {
    flushes.push(chunks.length);
    return writev.call(this, chunks, cb);
  };
  try {
    await act();
  } finally {
    [stream._write, stream._writev] = [write, writev];
  }
  return flushes;
}

it('sends twenty commands issued in one turn in one write, and answers each in order', async () => {
  await redis.mset(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`coalesce:${i}`, `v${i}`])));
  let replies: (string | null)[] = [];
  const flushes = await flushesDuring(async () => {
    replies = await Promise.all(Array.from({ length: 20 }, (_, i) => redis.get(`coalesce:${i}`)));
  });
  expect(flushes).toEqual([20]);
  expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
});

it('sends commands of different turns in writes of their own', async () => {
  const flushes = await flushesDuring(async () => {
    await redis.get('coalesce:0');
    await redis.get('coalesce:1');
    await Promise.all([redis.get('coalesce:2'), redis.get('coalesce:3')]);
  });
  expect(flushes).toEqual([1, 1, 2]);
});

it('keeps coalescing on the socket of a reconnection', async () => {
  const before = (redis as unknown as { stream: Duplex }).stream;
  const reconnected = new Promise((resolve) => redis.once('ready', resolve));
  // Another connection has Redis close every other one; ioredis opens a new socket.
  const killer = await connectRedis(
    { url: server.url, password: 'coalesce-pass', useTls: false, tlsCaFile: undefined },
    capturingLogger('debug', []),
  );
  await killer.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
  killer.disconnect();
  await reconnected;
  expect((redis as unknown as { stream: Duplex }).stream).not.toBe(before);
  const flushes = await flushesDuring(() => Promise.all([redis.ping(), redis.ping(), redis.ping()]));
  expect(flushes).toEqual([3]);
});
