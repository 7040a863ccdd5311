/**
 * A key rotation under load: two instances share one key file and one Redis while
 * `npm run keys:rotate` takes the file through add → promote → retire, and keep-alive GETs with
 * tokens issued by both never fail. Each step is read by each instance on its own poll, at a
 * different moment: the rules of src/auth/keys/key-ring.ts make every order of reading safe.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import type { Database } from '../../src/store/database';
import { startTestApp, TEST_SECRET, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { openTestPglite } from '../support/pglite-snapshot';
import { type RedisServer, startRedis } from '../support/redis-server';
import { type TestKeyFile, testKeyFile } from '../support/signing-keys';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const env = { JWT_KEY_NOTICE_SECONDS: '3600', JWT_KEYS_POLL_MS: '100' };

let redis: RedisServer;
let db: Database;
let keyFile: TestKeyFile;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  redis = await startRedis({ password: 'rotation' });
  db = await openTestPglite();
  keyFile = await testKeyFile(['ES256']);
  const opts = { redisServer: redis, db, env: { ...env, JWT_SIGNING_KEYS_FILE: keyFile.file } };
  a = await startTestApp(opts);
  b = await startTestApp(opts);
  await a.createUser('rita', 'rita-password-1', ['items:read']);
});
afterAll(async () => {
  await a.stop();
  await b.stop();
  await db.close();
  await redis.stop();
  keyFile.remove();
});

/** One rotation step through the script, as an operator runs it; returns what it printed. */
async function rotate(step: string): Promise<{ kids: string[]; signer: string }> {
  const { stdout } = await run(
    path.join(root, 'node_modules', '.bin', 'tsx'),
    ['scripts/keys-rotate.ts', step, '--file', keyFile.file],
    {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test', JWT_SECRET: TEST_SECRET, ...env },
    },
  );
  return JSON.parse(stdout);
}

/** Waits until both instances have read the file's latest step (each polls on its own). */
async function untilBoth(ok: (t: TestApp) => boolean): Promise<void> {
  while (!ok(a) || !ok(b)) await new Promise((r) => setTimeout(r, 20));
}

const now = () => Math.floor(Date.now() / 1000);
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

it('rotates the signing key with no failed request, old tokens valid to the end', async () => {
  const apis = [client(a.url), client(b.url)];
  const login = (i: number) => apis[i]!.login('rita', 'rita-password-1');
  const tokens = [await login(0), await login(1)];
  const oldKid = keyFile.keys[0]!.kid;
  expect(tokens.map(kidOf)).toEqual([oldKid, oldKid]);

  const failures: string[] = [];
  let requests = 0;
  let loading = true;
  const loop = async (api: (typeof apis)[number], offset: number) => {
    for (let i = offset; loading; i++) {
      const token = tokens[i % tokens.length]!;
      const res = await api.get('/me', { token }).catch((err: Error) => ({ status: 0, text: err.message }));
      requests++;
      if (res.status !== 200) failures.push(`${res.status} with kid ${kidOf(token)}: ${res.text}`);
    }
  };
  const load = [loop(apis[0]!, 0), loop(apis[0]!, 1), loop(apis[1]!, 0), loop(apis[1]!, 1)];

  const added = await rotate('add');
  const newKid = added.kids[0]!;
  expect(added.signer).toBe(oldKid);
  await untilBoth((t) => t.app.tokens.keys.published(now()).some((k) => k.kid === newKid));
  // Published, not yet signing: the notice period has not passed.
  tokens.push(await login(0), await login(1));
  expect(tokens.slice(-2).map(kidOf)).toEqual([oldKid, oldKid]);

  expect((await rotate('promote')).signer).toBe(newKid);
  await untilBoth((t) => t.app.tokens.keys.signer(now()).kid === newKid);
  const fromA = await login(0);
  const fromB = await login(1);
  expect([fromA, fromB].map(kidOf)).toEqual([newKid, newKid]);
  // A token signed with the new key verifies on the other instance.
  expect((await apis[1]!.get('/me', { token: fromA })).status).toBe(200);
  expect((await apis[0]!.get('/me', { token: fromB })).status).toBe(200);
  tokens.push(fromA, fromB);

  expect((await rotate('retire')).kids).toEqual([oldKid]);
  await untilBoth((t) => t.app.tokens.keys.published(now()).find((k) => k.kid === oldKid)?.retiredAt !== undefined);
  const before = requests;
  while (requests < before + 200) await new Promise((r) => setTimeout(r, 20));
  loading = false;
  await Promise.all(load);

  // Signed by the retired key before the rotation, still good on both until they expire.
  for (const api of apis) expect((await api.get('/me', { token: tokens[0]! })).status).toBe(200);
  expect(failures).toEqual([]);
  expect(requests).toBeGreaterThan(400);
});
