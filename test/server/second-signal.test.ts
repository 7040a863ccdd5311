/**
 * A second SIGTERM or SIGINT while the instance drains is an operator (or an orchestrator) saying
 * "now": the process exits at once with code 1 and logs a warning, instead of finishing a drain
 * that could last SHUTDOWN_DRAIN_SECONDS + SHUTDOWN_TIMEOUT_SECONDS. Real processes, as main.ts
 * runs. (A single SIGTERM drains and exits 0: test/server/drain.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_SECRET } from '../support/app';
import { startInstance, type Instance } from '../support/instance';
import { startRedis, type RedisServer } from '../support/redis-server';

/** Long enough that an exit inside it can only come from the second signal. */
const DRAIN_SECONDS = 30;
/** "Promptly" on a loaded two-core machine: far below the drain, far above a process exit. */
const PROMPT_MS = 10_000;

let dir: string;
let redis: RedisServer;
const instances: Instance[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-second-signal-'));
  redis = await startRedis({ password: 'second-signal-password' });
});

afterAll(async () => {
  for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGKILL');
  await redis?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function launch(name: string): Promise<Instance> {
  const instance = await startInstance({
    NODE_ENV: 'test',
    PLAIN_HTTP: 'true',
    HOST: '127.0.0.1',
    PORT: '0',
    REDIS_URL: redis.url,
    REDIS_PASSWORD: redis.password!,
    JWT_SECRET: TEST_SECRET,
    DATA_DIR: path.join(dir, name),
    ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_SECONDS: String(DRAIN_SECONDS),
  });
  instances.push(instance);
  return instance;
}

const logLines = (i: Instance) =>
  i
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

it.each(['SIGTERM', 'SIGINT'] as const)('a %s during the drain after a SIGTERM exits at once with code 1 and a warning', async (second) => {
  const instance = await launch(`second-${second}`);
  // Served first: main.ts installs its signal handlers just after it logs "specgate listening",
  // and on a loaded machine a SIGTERM sent on that line alone can arrive before them (the default
  // action then kills the process). An answered request comes from a later turn of its event loop.
  expect((await fetch(`${instance.url}/readyz`)).status).toBe(200);
  instance.signal('SIGTERM');
  // The first signal is being handled: the drain has begun (and /readyz says so).
  await until(() => logLines(instance).some((l) => l.msg === 'draining'));
  expect((await fetch(`${instance.url}/readyz`)).status).toBe(503);

  instance.signal(second);
  const { code, afterSignalMs } = await instance.exited;

  expect(code).toBe(1);
  expect(afterSignalMs).toBeLessThan(PROMPT_MS);
  expect(logLines(instance)).toContainEqual(expect.objectContaining({ level: 'warn', signal: second, msg: 'second signal: exiting now' }));
  // It did not finish the drain: no clean stop was logged.
  expect(instance.output()).not.toContain('"msg":"specgate stopped"');
}, 90_000);
