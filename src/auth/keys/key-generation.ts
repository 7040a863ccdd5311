/**
 * A new private signing key in the file's format, for the dev runner and `npm run keys:rotate add`.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { type AsymmetricAlg, SIGN_FROM, type StoredJwk } from './key-set';

/** Generates a key of `alg` that may sign from `signFrom` (seconds since the epoch). */
export async function generateStoredKey(alg: AsymmetricAlg, signFrom: number): Promise<StoredJwk> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: randomUUID(), alg, use: 'sig', [SIGN_FROM]: signFrom } as StoredJwk;
}
