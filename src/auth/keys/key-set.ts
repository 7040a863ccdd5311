/**
 * The key file's format: a JWK Set (RFC 7517 §5) of private signing keys, each with its `kid`,
 * its `alg` and two specgate members that pace rotation, so instances reading the same file agree
 * on every step without talking to each other.
 */
import { type CryptoKey, exportJWK, importJWK, type JWK } from 'jose';

/** Seconds since the epoch from which the key may sign (published from the moment it is in the file). */
export const SIGN_FROM = 'specgate_sign_from';
/** Seconds since the epoch at which the key stopped signing; it verifies until its last token expires. */
export const RETIRED_AT = 'specgate_retired_at';

/** The asymmetric algorithms a key file may hold, with the key type each needs (RFC 8725 §3.1: one per key). */
export const ASYMMETRIC_ALGS = ['ES256', 'RS256', 'EdDSA'] as const;
export type AsymmetricAlg = (typeof ASYMMETRIC_ALGS)[number];

/** A private JWK as the file stores it. */
export type StoredJwk = JWK & { kid: string; alg: AsymmetricAlg; [SIGN_FROM]: number; [RETIRED_AT]?: number };

/** One key ready to use: parsed, checked and imported. */
export interface SigningKey {
  kid: string;
  alg: AsymmetricAlg | 'HS256';
  signKey: CryptoKey | Uint8Array;
  verifyKey: CryptoKey | Uint8Array;
  /** The public JWK (RFC 7517 §4), none for HS256: it is never published. */
  publicJwk: JWK | undefined;
  signFrom: number;
  retiredAt: number | undefined;
}

/** Why a key set was refused; the message names the key by `kid`, never its material. */
export class KeySetError extends Error {}

/** The public members of each key type (RFC 7518 §6): the only ones a JWKS may carry. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = { EC: ['crv', 'x', 'y'], RSA: ['n', 'e'], OKP: ['crv', 'x'] };

function expectedShape(alg: AsymmetricAlg): { kty: string; crv?: string } {
  if (alg === 'ES256') return { kty: 'EC', crv: 'P-256' };
  if (alg === 'RS256') return { kty: 'RSA' };
  return { kty: 'OKP', crv: 'Ed25519' };
}

/** Parses the file's text into its stored keys; throws {@link KeySetError} on anything malformed. */
export function parseKeySet(text: string): StoredJwk[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new KeySetError('the key file is not JSON');
  }
  const keys = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new KeySetError('the key file has no "keys" array');
  const seen = new Set<string>();
  return keys.map((key: Record<string, unknown>, i) => {
    const kid = key?.kid;
    if (typeof kid !== 'string' || kid === '') throw new KeySetError(`key #${i} has no kid`);
    if (seen.has(kid)) throw new KeySetError(`kid ${kid} appears twice`);
    seen.add(kid);
    const alg = key.alg as AsymmetricAlg;
    if (!ASYMMETRIC_ALGS.includes(alg))
      throw new KeySetError(`key ${kid}: alg must be one of ${ASYMMETRIC_ALGS.join(', ')}`);
    const shape = expectedShape(alg);
    if (key.kty !== shape.kty || (shape.crv && key.crv !== shape.crv))
      throw new KeySetError(`key ${kid}: ${alg} needs kty ${shape.kty}${shape.crv ? ` and crv ${shape.crv}` : ''}`);
    if (typeof key.d !== 'string') throw new KeySetError(`key ${kid} is not a private key`);
    if (key.use !== undefined && key.use !== 'sig') throw new KeySetError(`key ${kid}: use must be sig`);
    if (!Number.isSafeInteger(key[SIGN_FROM]))
      throw new KeySetError(`key ${kid}: ${SIGN_FROM} must be a time in seconds`);
    if (key[RETIRED_AT] !== undefined && !Number.isSafeInteger(key[RETIRED_AT]))
      throw new KeySetError(`key ${kid}: ${RETIRED_AT} must be a time in seconds`);
    return key as StoredJwk;
  });
}

/** Imports one stored key; its public JWK is rebuilt from the key itself, never copied from the file. */
export async function importStoredKey(stored: StoredJwk): Promise<SigningKey> {
  let signKey: CryptoKey;
  let verifyKey: CryptoKey;
  try {
    signKey = (await importJWK(stored, stored.alg, { extractable: true })) as CryptoKey;
    const pub: Record<string, unknown> = { kty: stored.kty };
    for (const m of PUBLIC_MEMBERS[stored.kty ?? ''] ?? []) pub[m] = (stored as Record<string, unknown>)[m];
    verifyKey = (await importJWK(pub as JWK, stored.alg)) as CryptoKey;
  } catch {
    throw new KeySetError(`key ${stored.kid} cannot be imported`);
  }
  if (stored.alg === 'RS256' && (verifyKey.algorithm as unknown as { modulusLength: number }).modulusLength < 2048)
    throw new KeySetError(`key ${stored.kid}: RS256 needs a modulus of 2048 bits or more (RFC 7518 §3.3)`);
  const publicJwk = { ...(await exportJWK(verifyKey)), kid: stored.kid, alg: stored.alg, use: 'sig' };
  return {
    kid: stored.kid,
    alg: stored.alg,
    signKey,
    verifyKey,
    publicJwk,
    signFrom: stored[SIGN_FROM],
    retiredAt: stored[RETIRED_AT],
  };
}

/** Parses and imports a whole file. */
export async function loadKeySet(text: string): Promise<SigningKey[]> {
  return Promise.all(parseKeySet(text).map(importStoredKey));
}
