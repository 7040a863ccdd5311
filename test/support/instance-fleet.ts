/**
 * The instances of one test file (test/support/instance.ts) and what they share: one Redis and one
 * temporary folder, set up in `beforeAll` and torn down in `afterAll`, where an instance still
 * running is killed, so a failed test leaves no process behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_SECRET } from './app';
import { type Instance, startInstance } from './instance';
import { type RedisServer, startRedis } from './redis-server';

export interface InstanceFleet {
  /** The data folder of the instance named `name` (its PGlite lives in `pglite/` below it). */
  dataDir(name: string): string;
  /**
   * Starts an instance named `name`: plain HTTP on a free port of 127.0.0.1, the shared Redis (and
   * PostgreSQL when TEST_DATABASE_URL is set), info logs; then the fleet's `env`, then `extra`.
   */
  launch(name: string, extra?: Record<string, string>): Promise<Instance>;
}

/** Registers the fleet's `beforeAll`/`afterAll`; call it at the top level of a test file. */
export function useInstanceFleet(label: string, env: Record<string, string> = {}): InstanceFleet {
  let dir: string | undefined;
  let redis: RedisServer | undefined;
  const started: Instance[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `specgate-${label}-`));
    redis = await startRedis({ password: `${label}-test-password` });
  });
  afterAll(async () => {
    const running = started.filter((i) => i.child.exitCode === null && i.child.signalCode === null);
    for (const i of running) i.child.kill('SIGKILL');
    // Waited for: a child still exiting holds its pipes open in this jest worker.
    await Promise.all(running.map((i) => i.exited));
    await redis?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const dataDir = (name: string) => path.join(dir!, name);
  return {
    dataDir,
    async launch(name, extra = {}) {
      const instance = await startInstance({
        NODE_ENV: 'test',
        PLAIN_HTTP: 'true',
        HOST: '127.0.0.1',
        PORT: '0',
        REDIS_URL: redis!.url,
        REDIS_PASSWORD: redis!.password!,
        JWT_SECRET: TEST_SECRET,
        DATA_DIR: dataDir(name),
        ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
        LOG_LEVEL: 'info',
        ...env,
        ...extra,
      });
      started.push(instance);
      return instance;
    },
  };
}
