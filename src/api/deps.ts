/**
 * What handlers may use. Built by createApp from its arguments; handlers never reach for globals.
 */
import type { Redis } from 'ioredis';
import type { DpopVerifier } from '../auth/dpop/dpop-verifier';
import type { GrantDeps } from '../auth/grants/grant';
import type { KeyRing } from '../auth/keys/key-ring';
import type { SignInFlow } from '../auth/pages/sign-in-flow';
import type { Lifecycle } from '../core/lifecycle';
import type { Metrics } from '../observability/metrics';
import type { OpenApiDocument } from '../pipeline/compile/document';
import type { Database } from '../store/database';
import type { CursorSeal } from './cursor';

/** The services grants use (src/auth/grants/grant.ts), and what the rest of the handlers add. */
export interface HandlerDeps extends GrantDeps {
  db: Database;
  /** Seals and opens list cursors (keyed from the JWT secret, so every instance accepts them). */
  cursors: CursorSeal;
  redis: Redis;
  metrics: Metrics;
  document: OpenApiDocument;
  /** Serving state: readiness answers 503 while the instance drains. */
  lifecycle: Pick<Lifecycle, 'draining'>;
  /** The signing keys the JWKS lists, and the max-age its answer carries. */
  signingKeys: { ring: KeyRing; maxAgeSeconds: number };
  /** Checks DPoP proofs (RFC 9449), at /token and for the DPoP scheme. */
  dpop: DpopVerifier;
  /** PUBLIC_URL: the issuer identifier, and the prefix of every URL the metadata names. */
  publicUrl: string;
  /** The authorization endpoint's pages: sign-in, consent, codes (src/auth/pages/). */
  signInFlow: SignInFlow;
}
