/**
 * Checking one DPoP proof JWT (RFC 9449 §4.2, §4.3) with jose: everything that needs no store. The
 * one-time use of its `jti` (./replay-cache.ts) and the nonce (./nonces.ts) are asked by the caller
 * through {@link ProofExpectations}, so this stays a pure function of the proof and the request.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import { DpopError } from './dpop-error';
import { normaliseHtu } from './htu';

/** §4.2: asymmetric algorithms only; `none` and any MAC are never accepted (RFC 8725 §3.1). */
export const DPOP_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;

export const DPOP_PROOF_TYPE = 'dpop+jwt';

/** A proof larger than this is refused unread: an RSA-4096 key and the claims fit well within it. */
const MAX_PROOF_LENGTH = 8192;
/** A `jti` longer than this is refused: 128 random bits need 22 characters, a UUID 36. */
export const MAX_JTI_LENGTH = 256;

/** Members only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** What the request says a proof must match. */
export interface ProofExpectations {
  /** The request method (`htm`). */
  method: string;
  /** The URI the client addressed (`htu`), query and fragment not included. */
  uri: string;
  /** At a resource: the access token the proof goes with (`ath`, §4.3 step 11). */
  accessToken?: string;
  /** Seconds since the epoch. */
  now: number;
  /** How old `iat` may be, in seconds. */
  maxAgeSeconds: number;
  /** How far ahead of `now` `iat` may be (clock skew), in seconds. */
  futureSkewSeconds: number;
  /** When nonces are required: whether the proof's `nonce` is one this service issued lately (§8). */
  nonceValid?: (nonce: string | undefined) => boolean;
}

/** A proof that passed every check but the one-time use of its `jti`. */
export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's public key: what a bound token's `cnf.jkt` holds. */
  jkt: string;
  jti: string;
  iat: number;
}

const invalid = (why: string) => new DpopError('invalid_dpop_proof', why);

/** Checks the value of a request's `DPoP` header; throws a {@link DpopError} on any failure. */
export async function verifyProof(header: string | undefined, expect: ProofExpectations): Promise<VerifiedProof> {
  // §4.3 step 1: exactly one header field; Node joins repeated fields with ", ", which no JWT contains.
  if (!header) throw invalid('The request has no DPoP proof.');
  if (header.length > MAX_PROOF_LENGTH || header.includes(',')) throw invalid('The DPoP header is not one proof.');
  const jwk = proofKey(header);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(header, EmbeddedJWK, {
      algorithms: [...DPOP_ALGORITHMS],
      typ: DPOP_PROOF_TYPE,
      currentDate: new Date(expect.now * 1000),
    }));
  } catch {
    throw invalid('The DPoP proof is not a valid dpop+jwt signed with its own public key.');
  }
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
    throw invalid('The DPoP proof needs a jti of at most 256 characters.');
  if (htm !== expect.method) throw invalid('The DPoP proof htm does not match the request method.');
  if (typeof htu !== 'string' || normaliseHtu(htu) === undefined || normaliseHtu(htu) !== normaliseHtu(expect.uri))
    throw invalid('The DPoP proof htu does not match the request URI.');
  if (expect.nonceValid && !expect.nonceValid(typeof payload.nonce === 'string' ? payload.nonce : undefined))
    throw new DpopError('use_dpop_nonce', 'Authorization server requires nonce in DPoP proof.');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('The DPoP proof needs a numeric iat.');
  if (iat < expect.now - expect.maxAgeSeconds || iat > expect.now + expect.futureSkewSeconds)
    throw invalid('The DPoP proof iat is outside the acceptable window.');
  if (expect.accessToken !== undefined && payload.ath !== accessTokenHash(expect.accessToken))
    throw invalid('The DPoP proof ath does not match the access token.');
  return { jkt: await calculateJwkThumbprint(jwk, 'sha256'), jti, iat };
}

/** The proof's `jwk` header, refused when it carries private or symmetric key material (§4.3 step 7). */
function proofKey(proof: string): JWK {
  let jwk: unknown;
  try {
    jwk = decodeProtectedHeader(proof).jwk;
  } catch {
    throw invalid('The DPoP proof is not a JWT.');
  }
  if (typeof jwk !== 'object' || jwk === null) throw invalid('The DPoP proof has no jwk header.');
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw invalid('The DPoP proof jwk must be a public key.');
  return jwk as JWK;
}

/** `ath`: base64url(SHA-256(ASCII access token)) (§4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}
