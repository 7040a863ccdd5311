/**
 * The ideal server's access-token check, by hand with node:crypto: the HMAC-SHA256 of the signing
 * input with a KeyObject made once, compared in constant time, then the checks TokenService asks of
 * jose (src/auth/tokens.ts) and the peer of fast-jwt: alg HS256 only, typ at+jwt, issuer, audience,
 * exp (with the service's clock tolerance), the required claims, scope/client_id/sid strings, and
 * no `cnf` (a DPoP-bound token is no bearer token). Every request recomputes: no memo.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/** The claims the ideal server uses. */
export interface IdealClaims {
  sub: string;
  sid: string;
  jti: string;
  scope: string;
}

export interface Hs256Settings {
  secret: Uint8Array;
  issuer: string;
  audience: string;
  /** Seconds of clock skew tolerated on exp and nbf. */
  toleranceSeconds: number;
}

const REQUIRED = ['exp', 'iat', 'jti', 'sub', 'sid'] as const;

const json = (part: string): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** A verifier for one secret: the claims of a valid token, else undefined. */
export function hs256Verifier(settings: Hs256Settings): (token: string, nowSeconds: number) => IdealClaims | undefined {
  const key: KeyObject = createSecretKey(settings.secret);
  return (token, now) => {
    const dot1 = token.indexOf('.');
    const dot2 = token.indexOf('.', dot1 + 1);
    if (dot1 < 0 || dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0) return undefined;
    const signature = Buffer.from(token.slice(dot2 + 1), 'base64url');
    const expected = createHmac('sha256', key).update(token.slice(0, dot2)).digest();
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;
    const header = json(token.slice(0, dot1));
    if (header?.alg !== 'HS256' || header.typ !== 'at+jwt') return undefined;
    const p = json(token.slice(dot1 + 1, dot2));
    if (!p || REQUIRED.some((c) => p[c] === undefined)) return undefined;
    if (p.iss !== settings.issuer) return undefined;
    if (!(p.aud === settings.audience || (Array.isArray(p.aud) && p.aud.includes(settings.audience)))) return undefined;
    const tolerance = settings.toleranceSeconds;
    if (typeof p.exp !== 'number' || p.exp <= now - tolerance || typeof p.iat !== 'number') return undefined;
    if (p.nbf !== undefined && (typeof p.nbf !== 'number' || p.nbf > now + tolerance)) return undefined;
    const { sub, sid, jti, scope, client_id: clientId } = p;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return undefined;
    if (typeof scope !== 'string' || typeof clientId !== 'string' || p.cnf !== undefined) return undefined;
    return { sub, sid, jti, scope };
  };
}
