/**
 * Key files for tests: a temporary folder with a JWK Set of freshly generated private keys (mode
 * 0600), written as `npm run keys:rotate` writes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKeyFile } from '../../src/auth/keys/key-file';
import { generateStoredKey } from '../../src/auth/keys/key-generation';
import type { AsymmetricAlg, StoredJwk } from '../../src/auth/keys/key-set';

export interface TestKeyFile {
  file: string;
  keys: StoredJwk[];
  remove(): void;
}

/** A key file holding one key of each of `algs`, each signing from `signFrom` (default: now). */
export async function testKeyFile(
  algs: AsymmetricAlg[],
  signFrom = Math.floor(Date.now() / 1000),
): Promise<TestKeyFile> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-keys-'));
  const file = path.join(dir, 'signing-keys.json');
  const keys = await Promise.all(algs.map((alg) => generateStoredKey(alg, signFrom)));
  await createKeyFile(file, keys);
  return { file, keys, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
