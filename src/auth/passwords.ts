/**
 * argon2id password hashing at OWASP's minimum (m=19 MiB, t=2, p=1), with a dummy hash made at
 * start-up so that an unknown username costs one verification too and timing reveals nothing.
 */
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import type { InSpan } from '../core/in-span';

/** argon2id cost parameters (memory in KiB). */
export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1. */
export const ARGON2_PARAMS: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  /** `inSpan`: each verification as a span of the request's trace (src/observability/tracing/). */
  constructor(
    private readonly params: Argon2Params = ARGON2_PARAMS,
    private readonly inSpan?: InSpan,
  ) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.params });
  }

  /** Verifies `password` against `hash`; a malformed hash counts as a mismatch. */
  async verify(hash: string, password: string): Promise<boolean> {
    try {
      const verify = () => argon2.verify(hash, password);
      return await (this.inSpan ? this.inSpan('argon2 verify', verify) : verify());
    } catch {
      return false;
    }
  }

  /**
   * Spends the same work as {@link verify} against a hash nobody can match: call it when the
   * username is unknown so both paths take alike time (OWASP Authentication CS).
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash(randomBytes(32).toString('base64url'));
    await this.verify(await this.dummy, password);
    return false;
  }

  /** Makes the dummy hash now, so the first unknown-user login is not slower than the rest. */
  async warmUp(): Promise<void> {
    this.dummy ??= this.hash(randomBytes(32).toString('base64url'));
    await this.dummy;
  }

  /** Whether a stored hash was made with other parameters and should be re-hashed at login. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.params);
  }
}
