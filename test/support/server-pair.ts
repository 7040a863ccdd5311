/**
 * The same service started twice as main.ts starts it, once on plain HTTP and once on HTTPS (a
 * certificate of a local CA), sharing one private redis-server: for tests that hold real sockets
 * against both transports and compare what each server did with them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/core/config';
import type { Logger } from '../../src/core/logger';
import { type Running, start } from '../../src/main';
import { TEST_SECRET } from './app';
import { startRedis } from './redis-server';
import { writeLocalCertificate } from './tls';

export interface ServerPair {
  plain: Running;
  secure: Running;
  /** The CA that signed the HTTPS server's certificate (PEM). */
  ca: string;
  stop(): Promise<void>;
}

export async function startServerPair(opts: {
  /** Settings both servers run with, on top of the test defaults (no drain on stop). */
  env: Record<string, string>;
  /** Settings only the plain server runs with. */
  plainEnv?: Record<string, string>;
  plainLogger: Logger;
  secureLogger: Logger;
}): Promise<ServerPair> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-pair-'));
  const certificate = await writeLocalCertificate(dir);
  const redis = await startRedis({ password: 'server-pair-password' });
  const config = (name: string, extra: Record<string, string>) =>
    loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      REDIS_PASSWORD: redis.password,
      JWT_SECRET: TEST_SECRET,
      DATA_DIR: path.join(dir, name),
      ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
      LOG_LEVEL: 'silent',
      // stop() drains for nothing otherwise: 5 s per server by default (the drain is
      // test/server/drain.test.ts's subject).
      SHUTDOWN_DRAIN_SECONDS: '0',
      ...opts.env,
      ...extra,
    });
  const plain = await start(config('plain', { PLAIN_HTTP: 'true', ...opts.plainEnv }), opts.plainLogger);
  const secure = await start(
    config('secure', { TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile }),
    opts.secureLogger,
  );
  return {
    plain,
    secure,
    ca: certificate.ca,
    async stop() {
      await plain.stop();
      await secure.stop();
      await redis.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
