/**
 * The floor of scripts/bench-http.ts, run as its own process: a bare node:http server that answers
 * every request with the value of one ioredis GET, as `200 application/json`.
 *
 * The ioredis client is built by src/store/redis.ts's connectRedis, so it has exactly the
 * service's client settings (auto-pipelining, timeouts). Environment:
 *   BENCH_REDIS_URL, BENCH_REDIS_AUTH   the bench's private redis-server
 *   BENCH_FLOOR_KEY                         the key to GET (the bench stores a ~300-byte JSON there)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/core/logger';
import { connectRedis } from '../../src/store/redis';
import { announce, countResponses, serveParent } from './child-protocol';

async function main(): Promise<void> {
  const key = process.env.BENCH_FLOOR_KEY ?? 'bench:floor';
  const logger = createLogger('silent');
  const redis = await connectRedis(
    { url: process.env.BENCH_REDIS_URL, password: process.env.BENCH_REDIS_AUTH, useTls: false, tlsCaFile: undefined },
    logger,
  );
  const counted = countResponses((_req, res) => {
    redis.get(key).then(
      (value) => {
        if (value === null) {
          res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' });
          res.end('no value\n');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(value)) });
        res.end(value);
      },
      () => {
        res.writeHead(503, { 'content-length': '0' });
        res.end();
      },
    );
  });
  const server = http.createServer(counted.listener);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serveParent(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    redis.disconnect();
  }, () => counted.stats);
  announce({ port: (server.address() as AddressInfo).port, pid: process.pid });
}

main().catch((err) => {
  process.stderr.write(`floor server failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
