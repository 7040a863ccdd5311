/**
 * `npm run client:create`: registers a client in the embedded database and prints its id and
 * secret as JSON; only the secret's argon2id hash is stored.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import { ClientsRepository } from '../../src/store/clients.repository';
import { openDatabase } from '../../src/store/database';

const root = path.resolve(__dirname, '../..');
let dataDir: string;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['scripts/create-client.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end();
  });
}

async function stored(id: string) {
  const db = await openDatabase({ dataDir: path.join(dataDir, 'pglite') });
  try {
    return await new ClientsRepository(db).findById(id);
  } finally {
    await db.close();
  }
}

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-client-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

it('registers a confidential client and prints its id and secret as JSON', async () => {
  const res = await run(['--name', 'billing', '--grants', 'client_credentials', '--scopes', 'items:read']);
  expect([res.code, res.stderr]).toEqual([0, '']);
  const out = JSON.parse(res.stdout);
  expect(Object.keys(out)).toEqual(['client_id', 'client_secret']);
  const client = await stored(out.client_id);
  expect(client).toMatchObject({ name: 'billing', grantTypes: ['client_credentials'], scopes: ['items:read'] });
  expect(await argon2.verify(client!.secretHash!, out.client_secret)).toBe(true);
}, 60_000);

it('registers a public client with redirect URIs and no secret', async () => {
  const res = await run([
    '--name',
    'spa',
    '--grants',
    'authorization_code refresh_token',
    '--public',
    '--redirect-uris',
    'https://app.example/cb http://127.0.0.1:5173/cb',
  ]);
  expect(res.code).toBe(0);
  const out = JSON.parse(res.stdout);
  expect(Object.keys(out)).toEqual(['client_id']);
  const client = await stored(out.client_id);
  expect(client).toMatchObject({
    secretHash: null,
    redirectUris: ['https://app.example/cb', 'http://127.0.0.1:5173/cb'],
  });
}, 60_000);

it('refuses unknown grants and scopes, bad redirect URIs and a missing name', async () => {
  const grant = await run(['--name', 'x', '--grants', 'implicit']);
  expect([grant.code, grant.stderr]).toEqual([2, expect.stringMatching(/unknown grant type\(s\): implicit/)]);
  const scope = await run(['--name', 'x', '--scopes', 'root']);
  expect([scope.code, scope.stderr]).toEqual([2, expect.stringMatching(/unknown scope\(s\): root/)]);
  const uri = await run(['--name', 'x', '--redirect-uris', 'http://app.example/cb']);
  expect([uri.code, uri.stderr]).toEqual([2, expect.stringMatching(/must be https/)]);
  expect((await run(['--grants', 'client_credentials'])).code).toBe(2);
  expect((await run(['--name', 'x', '--public', '--grants', 'client_credentials'])).code).toBe(2);
}, 60_000);
