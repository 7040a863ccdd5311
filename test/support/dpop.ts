/**
 * A DPoP client key for tests: signs proofs (RFC 9449 §4.2) that a test can then spoil one claim or
 * header of at a time.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { accessTokenHash } from '../../src/auth/dpop/proof';

export interface ProofOptions {
  method: string;
  uri: string;
  accessToken?: string;
  nonce?: string;
  /** Replaces or adds claims (`undefined` drops one). */
  claims?: Record<string, unknown>;
  /** Replaces or adds header members. */
  header?: Record<string, unknown>;
  /** Seconds since the epoch; default now. */
  iat?: number;
}

export interface TestDpopKey {
  /** The public JWK, as a proof carries it. */
  jwk: JWK;
  /** Its RFC 7638 thumbprint. */
  jkt: string;
  proof(options: ProofOptions): Promise<string>;
}

/** A fresh ES256 key (or `alg`'s) and a proof signer for it. */
export async function dpopKey(alg: 'ES256' | 'RS256' | 'PS256' | 'EdDSA' = 'ES256'): Promise<TestDpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    jwk,
    jkt: await calculateJwkThumbprint(jwk, 'sha256'),
    proof(o) {
      const claims: Record<string, unknown> = {
        jti: randomUUID(),
        htm: o.method,
        htu: o.uri,
        iat: o.iat ?? Math.floor(Date.now() / 1000),
        ...(o.accessToken === undefined ? {} : { ath: accessTokenHash(o.accessToken) }),
        ...(o.nonce === undefined ? {} : { nonce: o.nonce }),
        ...o.claims,
      };
      for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
      return new SignJWT(claims).setProtectedHeader({ alg, typ: 'dpop+jwt', jwk, ...o.header }).sign(privateKey);
    },
  };
}
