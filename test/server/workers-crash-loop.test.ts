/**
 * A worker that cannot start (here: its database refuses connections) is replaced after a back-off
 * that doubles with each crash in a row, so a crash loop does not spin the CPU; SIGTERM ends the
 * loop, nothing is started after it, and the primary exits 1 (no worker drained cleanly). A real
 * primary and real workers (`src/main.ts`, WORKERS=2); nothing listens on the ports they are given.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { TEST_SECRET } from '../support/app';

it('replaces a worker that keeps failing to start after 100, 200, then 400 ms, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PLAIN_HTTP: 'true',
      HOST: '127.0.0.1',
      PORT: '0',
      JWT_SECRET: TEST_SECRET,
      // Port 1: refused at once, so each worker fails as soon as it opens its database.
      DATABASE_URL: 'postgres://specgate@127.0.0.1:1/specgate',
      REDIS_URL: 'redis://127.0.0.1:1',
      WORKERS: '2',
    },
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c));
  child.stderr.on('data', (c: Buffer) => (output += c));
  // 'close', not 'exit': the process can be gone while the last of its output is still in the pipe.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = () =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const deaths = () => lines().filter((l) => l.msg === 'worker died: starting a replacement');

  try {
    while (deaths().length < 3) {
      if (child.exitCode !== null) throw new Error(`the primary exited:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
  } finally {
    child.kill('SIGKILL');
  }

  expect(
    deaths()
      .slice(0, 3)
      .map((l) => [l.code, l.restartInMs]),
  ).toEqual([
    [1, 100],
    [1, 200],
    [1, 400],
  ]);
  // The primary's own lines, in the order it wrote them. The workers write to the same pipe, and
  // how their lines fall between the primary's is up to the scheduler: nothing is read from that.
  const primary = lines().filter((l) => l.pid === child.pid);
  // Every worker's exit was logged, under its own pid; none was forked once the stop began: two at
  // start plus at most one replacement per death before the stop.
  const stop = primary.findIndex((l) => l.msg === 'shutting down');
  expect(stop).toBeGreaterThan(0);
  const exits = primary.filter((l) => l.msg === 'worker stopped' || l.msg === 'worker died: starting a replacement');
  expect(new Set(exits.map((l) => l.workerPid)).size).toBe(exits.length);
  expect(exits.length).toBeLessThanOrEqual(
    2 + primary.slice(0, stop).filter((l) => l.restartInMs !== undefined).length,
  );
  expect(primary.at(-1)).toMatchObject({ msg: 'all workers stopped' });
}, 90_000);
