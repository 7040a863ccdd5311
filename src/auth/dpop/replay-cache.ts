/**
 * One-time use of DPoP proofs (RFC 9449 §11.1): each proof's `jti`, per key, is remembered in Redis
 * for as long as its `iat` keeps it acceptable, and a second use is refused. One SET NX per proof,
 * a single key, so it works the same on one node, a Cluster and behind Sentinel; every instance
 * sharing the Redis sees every other's proofs. The key holds a hash of the `jti`, so its size is
 * bounded whatever the client sends, and it always expires.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DependencyUnavailableError } from '../../core/errors';
import { keys } from '../../store/redis-keys';
import { DpopError } from './dpop-error';

/** Remembers the proofs seen lately. */
export class DpopReplayCache {
  /** `ttlSeconds`: the whole `iat` window (maximum age plus future skew), so a proof outlives it nowhere. */
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Records the first use of proof `jti` by key `jkt`; throws `invalid_dpop_proof` when it was used
   * before, and a 503 DependencyUnavailableError when Redis cannot be reached (fail closed).
   */
  async use(jkt: string, jti: string): Promise<void> {
    const jtiHash = createHash('sha256').update(jti).digest('base64url');
    let first: string | null;
    try {
      first = await this.redis.set(keys.dpopProof(jkt, jtiHash), '1', 'EX', this.ttlSeconds, 'NX');
    } catch (cause) {
      throw new DependencyUnavailableError('redis', { detail: 'The DPoP replay cache cannot be reached.', cause });
    }
    if (first === null) throw new DpopError('invalid_dpop_proof', 'The DPoP proof has been used before.');
  }
}
