/**
 * What handlers may use. Built by createApp from its arguments; handlers never reach for globals.
 */
import type { Redis } from 'ioredis';
import type { DpopVerifier } from '../auth/dpop/dpop-verifier';
import type { KeyRing } from '../auth/keys/key-ring';
import type { LoginThrottle } from '../auth/login-throttle';
import type { PasswordHasher } from '../auth/passwords';
import type { SessionStore } from '../auth/sessions';
import type { Clock, TokenService } from '../auth/tokens';
import type { Lifecycle } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import type { Metrics } from '../observability/metrics';
import type { OpenApiDocument } from '../pipeline/compile/document';
import type { ClientsRepository } from '../store/clients.repository';
import type { Database } from '../store/database';
import type { UsersRepository } from '../store/users.repository';
import type { CursorSeal } from './cursor';

export interface HandlerDeps {
  db: Database;
  /** Seals and opens list cursors (keyed from the JWT secret, so every instance accepts them). */
  cursors: CursorSeal;
  redis: Redis;
  users: UsersRepository;
  clients: ClientsRepository;
  passwords: PasswordHasher;
  tokens: TokenService;
  sessions: SessionStore;
  throttle: LoginThrottle;
  metrics: Metrics;
  clock: Clock;
  document: OpenApiDocument;
  logger: Logger;
  /** Serving state: readiness answers 503 while the instance drains. */
  lifecycle: Pick<Lifecycle, 'draining'>;
  /** The signing keys the JWKS lists, and the max-age its answer carries. */
  signingKeys: { ring: KeyRing; maxAgeSeconds: number };
  /** Checks DPoP proofs (RFC 9449), at /token and for the DPoP scheme. */
  dpop: DpopVerifier;
  /** PUBLIC_URL: the issuer identifier, and the prefix of every URL the metadata names. */
  publicUrl: string;
  /** The client_id recorded when a token request names none. */
  defaultClientId: string;
}
