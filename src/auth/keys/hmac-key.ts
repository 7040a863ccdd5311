/**
 * The HS256 key: JWT_SECRET itself, under a `kid` derived from it. The id is a truncated SHA-256 of
 * the secret behind a label: stable across instances and restarts, and no help in guessing the
 * secret (a 256-bit secret is not found from 96 bits of its hash).
 */
import { createHash } from 'node:crypto';
import type { SigningKey } from './key-set';

const KID_LABEL = 'specgate HS256 kid v1\0';

/** The HS256 signing key of `secret`; signs from the epoch, never published. */
export function hmacKey(secret: Uint8Array): SigningKey {
  const kid = `hs256-${createHash('sha256').update(KID_LABEL).update(secret).digest('base64url').slice(0, 16)}`;
  return {
    kid,
    alg: 'HS256',
    signKey: secret,
    verifyKey: secret,
    publicJwk: undefined,
    signFrom: 0,
    retiredAt: undefined,
  };
}
