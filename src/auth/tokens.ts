/**
 * Access tokens: HS256 JWTs in the RFC 9068 profile (`typ: at+jwt`), signed and verified with jose.
 * Verification pins the algorithm, type, issuer and audience and requires exp/iat/jti/sub: jose
 * only checks `exp` when the claim is present (RFC 8725 §3.1, §3.11).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { ApiError } from '../core/errors';

export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface TokenSettings {
  secret: Uint8Array;
  issuer: string;
  audience: string;
  lifetimeSeconds: number;
  /** Seconds of clock skew tolerated on exp/nbf/iat. */
  clockToleranceSeconds?: number;
}

/** The claims specgate puts in, and relies on from, an access token. */
export interface AccessClaims {
  sub: string;
  jti: string;
  scope: string;
  client_id: string;
  iat: number;
  exp: number;
}

export interface IssuedToken {
  token: string;
  claims: AccessClaims;
}

/** Seam for tests: the current time in seconds. */
export type Clock = () => number;
export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

export class TokenService {
  constructor(private readonly settings: TokenSettings, private readonly clock: Clock = systemClock) {}

  get lifetimeSeconds(): number {
    return this.settings.lifetimeSeconds;
  }

  /** Signs a new access token for `sub` with the granted scopes. */
  async issue(input: { sub: string; scopes: string[]; clientId: string }): Promise<IssuedToken> {
    const iat = this.clock();
    const claims: AccessClaims = {
      sub: input.sub,
      jti: randomUUID(),
      scope: input.scopes.join(' '),
      client_id: input.clientId,
      iat,
      exp: iat + this.settings.lifetimeSeconds,
    };
    const token = await new SignJWT({ scope: claims.scope, client_id: claims.client_id })
      .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(claims.sub)
      .setJti(claims.jti)
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp)
      .sign(this.settings.secret);
    return { token, claims };
  }

  /** Verifies signature and claims; throws ApiError('invalid_token') on any failure. */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.settings.secret, {
        algorithms: ['HS256'],
        typ: ACCESS_TOKEN_TYPE,
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        clockTolerance: this.settings.clockToleranceSeconds ?? 5,
        currentDate: new Date(this.clock() * 1000),
      });
      if (typeof payload.scope !== 'string' || typeof payload.client_id !== 'string') {
        throw new ApiError('invalid_token', { detail: 'The access token lacks scope or client_id.' });
      }
      return payload as unknown as AccessClaims;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      const expired = err instanceof joseErrors.JWTExpired;
      throw new ApiError('invalid_token', { detail: expired ? 'The access token has expired.' : 'The access token is invalid.' });
    }
  }
}
