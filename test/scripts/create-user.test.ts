/**
 * `npm run user:create`: creates a user in the embedded database, reading the password from stdin,
 * never from argv.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import { passwordProblem } from '../../src/auth/password-policy';
import { openDatabase } from '../../src/store/database';
import { UsersRepository } from '../../src/store/users.repository';

const root = path.resolve(__dirname, '../..');
let dataDir: string;

function run(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['scripts/create-user.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-user-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

it('creates a user whose password was read from stdin', async () => {
  const res = await run(['--username', ' Ivan ', '--scopes', 'items:read items:write'], 'ivan-stdin-password\n');
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/^created user ivan \([0-9a-f-]{36}\) with scopes: items:read items:write\n$/);
  expect(res.stdout).not.toContain('ivan-stdin-password');
  const db = await openDatabase({ dataDir: path.join(dataDir, 'pglite') });
  try {
    const user = await new UsersRepository(db).findByUsername('ivan');
    expect(user?.scopes).toEqual(['items:read', 'items:write']);
    expect(await argon2.verify(user!.passwordHash, 'ivan-stdin-password')).toBe(true);
    expect(user!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  } finally {
    await db.close();
  }
}, 60_000);

it('refuses a password on the command line, unknown scopes and short passwords', async () => {
  expect((await run(['--username', 'judy', '--password', 'judy-password'], '')).stderr).toMatch(
    /Unknown option '--password'/,
  );
  const scope = await run(['--username', 'judy', '--scopes', 'root'], 'judy-password-1');
  expect([scope.code, scope.stderr]).toEqual([2, expect.stringMatching(/unknown scope\(s\): root/)]);
  const short = await run(['--username', 'judy'], 'short');
  expect([short.code, short.stderr]).toEqual([2, 'user:create: the password must be at least 8 characters\n']);
}, 60_000);

it('refuses the passwords the API refuses, for the same reason, and creates no user', async () => {
  // Each is long enough: only the API's other rules (common passwords, the username) refuse them.
  const cases = [
    { username: 'kim', password: 'password123' },
    { username: 'kim', password: 'Sunshine2024!' },
    { username: 'kimberly-k', password: ' Kimberly-K ' },
  ];
  const results = await Promise.all(cases.map((c) => run(['--username', c.username], `${c.password}\n`)));
  results.forEach((res, i) => {
    const { username, password } = cases[i]!;
    const problem = passwordProblem(password, username);
    expect(problem).toBeDefined();
    expect([password, res.code, res.stderr]).toEqual([password, 2, `user:create: the password ${problem}\n`]);
  });
  const db = await openDatabase({ dataDir: path.join(dataDir, 'pglite') });
  try {
    const repo = new UsersRepository(db);
    expect([await repo.findByUsername('kim'), await repo.findByUsername('kimberly-k')]).toEqual([null, null]);
  } finally {
    await db.close();
  }
}, 60_000);
