/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9), stateless: `<time step, base 36>.<tag>`, the tag a
 * truncated HMAC-SHA256 of the step, keyed by a key HKDF derives from the JWT secret for nonces
 * alone (RFC 5869; one key per purpose, RFC 8725 §3.5). Every instance with the same JWT_SECRET
 * derives the same key, so a nonce one instance hands out is accepted by all, with nothing stored.
 * A nonce is good for the step it was made in and the one after: between one and two steps.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../tokens';

/** HKDF `info` of the nonce key: never the JWT key itself, nor the cursor or refresh-successor key. */
const NONCE_KEY_INFO = 'specgate dpop nonce v1';

/** Tag bytes kept: 128 bits (RFC 2104 §5 allows half of SHA-256's output). */
const TAG_BYTES = 16;

/** Issues and checks DPoP nonces. */
export class DpopNonces {
  private readonly key: Buffer;

  /** `secret`: the JWT secret; `stepSeconds`: how long one nonce stays current. */
  constructor(
    secret: Uint8Array,
    private readonly stepSeconds: number,
    private readonly clock: Clock,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), NONCE_KEY_INFO, 32));
  }

  /** The nonce of the current step: what a `DPoP-Nonce` response header carries. */
  current(): string {
    const step = Math.floor(this.clock() / this.stepSeconds);
    return `${step.toString(36)}.${this.tag(step).toString('base64url')}`;
  }

  /** Whether `nonce` is one this service made in the current or the previous step. */
  valid(nonce: string | undefined): boolean {
    if (nonce === undefined || nonce.length > 64) return false;
    const dot = nonce.indexOf('.');
    const step = Number.parseInt(nonce.slice(0, dot), 36);
    const now = Math.floor(this.clock() / this.stepSeconds);
    if (dot < 1 || (step !== now && step !== now - 1)) return false;
    const presented = Buffer.from(nonce.slice(dot + 1), 'base64url');
    // The exact text we issue (a step with leading zeros or stray tag bits is not ours).
    if (nonce !== `${step.toString(36)}.${presented.toString('base64url')}`) return false;
    return presented.length === TAG_BYTES && timingSafeEqual(presented, this.tag(step));
  }

  private tag(step: number): Buffer {
    return createHmac('sha256', this.key).update(`dpop-nonce:${step}`).digest().subarray(0, TAG_BYTES);
  }
}
