/**
 * Production weighs JWT_SECRET's randomness in a worker thread while the service starts
 * (src/core/secret-strength-thread.ts, awaited in main.ts before listening): real processes, as
 * main.ts runs. A random secret serves; a weak one never does, and is refused as a config error
 * (exit 2, the problem on stderr, the value never echoed) whether or not the database and Redis
 * could be reached meanwhile. What is weak is test/core/secret-strength.test.ts's subject.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useInstanceFleet } from '../support/instance-fleet';
import { type RedisServer, startRedis } from '../support/redis-server';

const WEAK = 'this is my super secret jwt signing key for production use';
const PRODUCTION = { NODE_ENV: 'production', PUBLIC_URL: 'https://api.example.com', PLAIN_HTTP: 'true' };

// Ended by SIGTERM once it serves: no drain (5 s by default), which is drain.test.ts's subject.
const fleet = useInstanceFleet('secret-weighed', { ...PRODUCTION, SHUTDOWN_DRAIN_SECONDS: '0' });

/** Runs `src/main.ts` as production would until it exits; its exit code and output. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...PRODUCTION, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  // A weak secret that served anyway would keep running: stop it, and let the assertions say why.
  child.stdout.on('data', () => {
    if (stdout.includes('"msg":"specgate listening"')) child.kill('SIGKILL');
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const expectRefused = (run: { code: number | null; stdout: string; stderr: string }) => {
  expect(run.stdout).not.toContain('specgate listening');
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('Invalid configuration:');
  expect(run.stderr).toMatch(/JWT_SECRET must carry at least 256 bits of randomness .*it is made of words/);
  expect(run.stdout + run.stderr).not.toContain(WEAK.slice(0, 12));
};

it('serves with a random JWT_SECRET', async () => {
  const instance = await fleet.launch('random');
  expect((await fetch(`${instance.url}/readyz`)).status).toBe(200);
  instance.signal('SIGTERM');
  expect((await instance.exited).code).toBe(0);
}, 90_000);

describe('refuses a weak JWT_SECRET with exit code 2, never listening', () => {
  let redis: RedisServer | undefined;
  let dataDir: string | undefined;
  beforeAll(async () => {
    redis = await startRedis({ password: 'secret-weighed-test-password' });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-secret-weighed-'));
  });
  afterAll(async () => {
    await redis?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('when the database and Redis answer (it started meanwhile)', async () => {
    expectRefused(
      await runToExit({
        REDIS_URL: redis!.url,
        REDIS_PASSWORD: redis!.password!,
        DATA_DIR: dataDir!,
        JWT_SECRET: WEAK,
      }),
    );
  }, 90_000);

  it('when they cannot be reached: the weak secret is the error reported', async () => {
    expectRefused(
      await runToExit({
        REDIS_URL: 'redis://127.0.0.1:1',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
        JWT_SECRET: WEAK,
      }),
    );
  }, 90_000);
});
