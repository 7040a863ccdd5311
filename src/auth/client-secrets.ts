/**
 * Client secrets (RFC 6749 §2.3.1): 256 random bits, base64url, so they need no escaping in a
 * form or in Basic credentials. Stored only as an argon2id hash; shown once, when made.
 */
import { randomBytes } from 'node:crypto';

/** A new client secret (43 characters). */
export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}
