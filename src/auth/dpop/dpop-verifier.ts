/**
 * The whole of RFC 9449 §4.3 for one request: the proof's own checks (./proof.ts), the server
 * nonce when one is required (./nonces.ts, §8), then the one-time use of its `jti` (./replay-cache.ts,
 * §11.1), last, so a proof refused for any other reason is not remembered.
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../tokens';
import { requestHtu } from './htu';
import { DpopNonces } from './nonces';
import { type ProofExpectations, type VerifiedProof, verifyProof } from './proof';
import { DpopReplayCache } from './replay-cache';

/** Seconds a proof's `iat` may lie ahead of the server's clock. */
export const DPOP_FUTURE_SKEW_SECONDS = 5;

/** How long a server nonce stays current (it is accepted for one step more). */
const NONCE_STEP_SECONDS = 300;

export interface DpopSettings {
  /** config.dpop.proofMaxAgeSeconds. */
  proofMaxAgeSeconds: number;
  /** config.dpop.nonceRequired. */
  nonceRequired: boolean;
  /** The JWT secret, from which the nonce key is derived. */
  secret: Uint8Array;
  /** config.publicUrl: the origin (and any path prefix) clients address, no trailing slash. */
  publicUrl: string;
}

/** What one request's proof must match: its method, the path it was sent to, its access token. */
export interface ProofRequest extends Pick<ProofExpectations, 'method' | 'accessToken'> {
  /** The request path as the client sent it, the mount path included; the query is cut off. */
  path: string;
}

/** Checks DPoP proofs; one per app, shared by the token endpoint and the DPoP scheme. */
export class DpopVerifier {
  private readonly replay: DpopReplayCache;
  private readonly nonces: DpopNonces | undefined;

  constructor(
    redis: Redis,
    private readonly settings: DpopSettings,
    private readonly clock: Clock,
  ) {
    this.replay = new DpopReplayCache(redis, settings.proofMaxAgeSeconds + DPOP_FUTURE_SKEW_SECONDS);
    this.nonces = settings.nonceRequired ? new DpopNonces(settings.secret, NONCE_STEP_SECONDS, clock) : undefined;
  }

  /**
   * The proof's key thumbprint, once every check passed and its `jti` was recorded. Throws a
   * DpopError (`invalid_dpop_proof`, `use_dpop_nonce`) or, when Redis is down, a 503 error.
   */
  async verify(header: string | undefined, request: ProofRequest): Promise<VerifiedProof> {
    const nonces = this.nonces;
    const proof = await verifyProof(header, {
      method: request.method,
      uri: requestHtu(this.settings.publicUrl, request.path),
      accessToken: request.accessToken,
      now: this.clock(),
      maxAgeSeconds: this.settings.proofMaxAgeSeconds,
      futureSkewSeconds: DPOP_FUTURE_SKEW_SECONDS,
      nonceValid: nonces && ((nonce) => nonces.valid(nonce)),
    });
    await this.replay.use(proof.jkt, proof.jti);
    return proof;
  }

  /** The nonce to send in `DPoP-Nonce` (§8.1), or undefined when nonces are off. */
  nonce(): string | undefined {
    return this.nonces?.current();
  }
}
