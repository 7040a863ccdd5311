/**
 * examples/quickstart.ts runs as documented (`npx tsx examples/quickstart.ts`, importing
 * "specgate/client" through tsconfig's paths) against a running service.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { startTestApp, type TestApp } from '../support/app';

const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('quickstart', 'quickstart-password-1', ['items:read', 'items:write']);
});
afterAll(() => t.stop());

function runExample(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Only what the script and node need: no SPECGATE_* leaking in from the caller's environment.
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  return new Promise((resolve) => {
    execFile(
      tsx,
      ['examples/quickstart.ts'],
      { cwd: root, env: { ...base, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}

describe('examples/quickstart.ts', () => {
  it('logs in, creates, reads and lists items, and logs out', async () => {
    const run = await runExample({
      SPECGATE_URL: t.url,
      SPECGATE_USERNAME: 'quickstart',
      SPECGATE_PASSWORD: 'quickstart-password-1',
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('logged in, scopes: items:read items:write');
    const id = /^created item ([0-9a-f-]{36}) \(version 1\)$/.exec(lines[1]!)?.[1];
    expect(id).toBeDefined();
    expect(lines[2]).toBe(`read item ${id}: Espresso cup, 1250 cents`);
    expect(lines[3]).toBe('listed 1 kitchen item(s)');
    expect(lines[4]).toBe('logged out');
    // What the service saw, from its request log.
    const requests = t.logs
      .map((line) => JSON.parse(line))
      .filter((r) => r.msg === 'request')
      .map((r) => `${r.operationId} ${r.status}`);
    expect(requests).toEqual(['issueToken 200', 'createItem 201', 'getItem 200', 'listItems 200', 'logout 204']);
  }, 60_000);

  it('fails with a clear message, and a non-zero exit code, on a wrong password', async () => {
    const run = await runExample({
      SPECGATE_URL: t.url,
      SPECGATE_USERNAME: 'quickstart',
      SPECGATE_PASSWORD: 'wrong-password-1',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toMatch(/^error: 400 invalid_grant/);
  }, 60_000);

  it('reads its settings from the environment only', async () => {
    const run = await runExample({ SPECGATE_URL: t.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Set SPECGATE_USERNAME\./);
  }, 60_000);
});
