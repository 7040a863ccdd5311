/**
 * The JWK Set the service publishes (RFC 7517 §5): the public half of every key that signs, will
 * sign, or signed a token still alive. The members come from the imported public key, so no private
 * member (`d`, `p`, `q`, `dp`, `dq`, `qi`) can reach it.
 */
import type { JWK } from 'jose';
import type { KeyRing } from './key-ring';

/** Longest max-age a JWKS answer carries even with a longer notice period. */
const MAX_JWKS_AGE = 3600;

/** The public keys published at `now`; empty when tokens are signed HS256. */
export function jwksView(ring: KeyRing, now: number): { keys: JWK[] } {
  return { keys: ring.published(now).flatMap((k) => (k.publicJwk ? [k.publicJwk] : [])) };
}

/**
 * The JWKS max-age: a client that fetched the set just before a key was added must fetch it again
 * before that key signs, so the age plus the time an instance takes to see the file (one poll)
 * stays within the notice period (RFC 8725 §3.1 asks that keys be known before use).
 */
export function jwksMaxAge(noticeSeconds: number, pollMs: number): number {
  return Math.max(0, Math.min(MAX_JWKS_AGE, noticeSeconds - Math.ceil(pollMs / 1000)));
}
