/**
 * Access tokens: JWTs in the RFC 9068 profile (`typ: at+jwt`), signed and verified with jose by the
 * key ring (src/auth/keys/): ES256, RS256 or EdDSA keys from a key file, or HS256 with JWT_SECRET.
 * Every token names its key (`kid`); verification takes the key by `kid` and pins that key's own
 * algorithm, type, issuer and audience, and requires exp/iat/jti/sub: jose only checks `exp` when
 * the claim is present (RFC 8725 §3.1, §3.11).
 */
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ApiError } from '../core/errors';
import { hmacKey } from './keys/hmac-key';
import { KeyRing } from './keys/key-ring';
import { RefreshSuccessors } from './refresh-tokens';

export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface TokenSettings {
  secret: Uint8Array;
  issuer: string;
  audience: string;
  lifetimeSeconds: number;
  /** Seconds of clock skew tolerated on exp/nbf/iat. */
  clockToleranceSeconds?: number;
  /** The signing and verifying keys; default: HS256 with `secret` alone. */
  keys?: KeyRing;
}

/** The claims specgate puts in, and relies on from, an access token. */
export interface AccessClaims {
  sub: string;
  jti: string;
  /** The session (login) the token belongs to. */
  sid: string;
  scope: string;
  client_id: string;
  iat: number;
  exp: number;
  /** The key the token is bound to (RFC 9449 §6): the JWK SHA-256 thumbprint of a DPoP key. */
  cnf?: { jkt: string };
}

export interface IssuedToken {
  token: string;
  claims: AccessClaims;
}

/** Seam for tests: the current time in seconds. */
export type Clock = () => number;
export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

/** Seconds of clock skew tolerated on exp/nbf/iat unless the settings say otherwise. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** How many verified tokens are remembered; when full, the one remembered longest ago goes first. */
const VERIFIED_MEMORY = 10_000;

export class TokenService {
  /**
   * Tokens whose signature and claims were verified, by exact token string. A signature never
   * stops being valid, so remembering it is safe; expiry is checked again on every use, and
   * revocation is not decided here at all: the session check still asks Redis on every request.
   * (HMAC verification through WebCrypto costs ~110 µs a request here, on the hottest path.)
   */
  private readonly verified = new Map<string, AccessClaims>();
  /** Derives a refresh token's successor at rotation (src/auth/refresh-tokens.ts). */
  private readonly successors: RefreshSuccessors;
  /** Which key signs and which verify (src/auth/keys/key-ring.ts). */
  readonly keys: KeyRing;

  constructor(
    private readonly settings: TokenSettings,
    private readonly clock: Clock = systemClock,
  ) {
    this.successors = new RefreshSuccessors(settings.secret);
    this.keys =
      settings.keys ??
      new KeyRing(hmacKey(settings.secret), {
        lifetimeSeconds: settings.lifetimeSeconds,
        toleranceSeconds: settings.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS,
      });
    // A key taken out of the file verifies nothing from then on, remembered tokens included.
    this.keys.onKeysRemoved(() => this.verified.clear());
  }

  /** The refresh token that replaces `presented` at rotation: see {@link RefreshSuccessors}. */
  successorRefreshToken(presented: string): { token: string; hash: string } {
    return this.successors.of(presented);
  }

  get lifetimeSeconds(): number {
    return this.settings.lifetimeSeconds;
  }

  /**
   * Signs an access token for `sub` in session `sid`, expiring at `exp` (default: iat + lifetime),
   * with the ring's current signing key. `jkt` binds it to a DPoP key (the `cnf` claim).
   */
  async issue(input: {
    sub: string;
    sid: string;
    jti?: string;
    scope: string;
    clientId: string;
    iat?: number;
    exp?: number;
    /** Binds the token to this DPoP key thumbprint (`cnf.jkt`, RFC 9449 §6). */
    jkt?: string;
  }): Promise<IssuedToken> {
    // The caller's `iat` is the instant its `exp` was computed from, so expires_in is exact.
    const iat = input.iat ?? this.clock();
    const claims: AccessClaims = {
      sub: input.sub,
      jti: input.jti ?? randomUUID(),
      sid: input.sid,
      scope: input.scope,
      client_id: input.clientId,
      iat,
      exp: input.exp ?? iat + this.settings.lifetimeSeconds,
      ...(input.jkt === undefined ? {} : { cnf: { jkt: input.jkt } }),
    };
    const key = this.keys.signer(this.clock());
    const token = await new SignJWT({
      scope: claims.scope,
      client_id: claims.client_id,
      sid: claims.sid,
      ...(claims.cnf ? { cnf: claims.cnf } : {}),
    })
      .setProtectedHeader({ alg: key.alg, typ: ACCESS_TOKEN_TYPE, kid: key.kid })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(claims.sub)
      .setJti(claims.jti)
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp)
      .sign(key.signKey);
    return { token, claims };
  }

  /**
   * The claims of a token whose signature this instance verified before, without waiting: undefined
   * when it has not (call {@link verify}); throws ApiError('invalid_token') once it has expired.
   */
  memoized(token: string): AccessClaims | undefined {
    const known = this.verified.get(token);
    if (!known) return undefined;
    if (known.exp + (this.settings.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS) > this.clock()) return known;
    this.verified.delete(token);
    throw new ApiError('invalid_token', { detail: 'The access token has expired.' });
  }

  /** Verifies signature and claims; throws ApiError('invalid_token') on any failure. */
  async verify(token: string): Promise<AccessClaims> {
    const known = this.memoized(token);
    if (known) return known;
    const claims = await this.verifyWithJose(token);
    if (this.verified.size >= VERIFIED_MEMORY) {
      // The oldest first: a Map iterates in insertion order.
      const [oldest] = this.verified.keys();
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(token, claims);
    return claims;
  }

  private async verifyWithJose(token: string): Promise<AccessClaims> {
    try {
      const { kid } = decodeProtectedHeader(token);
      const key = typeof kid === 'string' ? this.keys.verifier(kid, this.clock()) : undefined;
      if (!key) throw new ApiError('invalid_token', { detail: 'The access token was signed with an unknown key.' });
      // The key's own algorithm only, whatever the header says (RFC 8725 §3.1: no alg confusion, no `none`).
      const { payload } = await jwtVerify(token, key.verifyKey, {
        algorithms: [key.alg],
        typ: ACCESS_TOKEN_TYPE,
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'sid'],
        clockTolerance: this.settings.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.clock() * 1000),
      });
      if (
        typeof payload.scope !== 'string' ||
        typeof payload.client_id !== 'string' ||
        typeof payload.sid !== 'string'
      ) {
        throw new ApiError('invalid_token', { detail: 'The access token lacks scope, client_id or sid.' });
      }
      const { cnf } = payload as { cnf?: { jkt?: unknown } };
      if (cnf !== undefined && typeof cnf?.jkt !== 'string')
        throw new ApiError('invalid_token', { detail: 'The access token has a malformed cnf claim.' });
      return payload as unknown as AccessClaims;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      const expired = err instanceof joseErrors.JWTExpired;
      throw new ApiError('invalid_token', {
        detail: expired ? 'The access token has expired.' : 'The access token is invalid.',
      });
    }
  }
}
