/**
 * Proof Key for Code Exchange (RFC 7636) with S256, the only method the service accepts
 * (RFC 9700 §2.1.1), and the random values of an authorization request. Browser-safe: WebCrypto
 * (`crypto.getRandomValues`, `crypto.subtle.digest`) and jose's base64url only.
 */
import { base64url } from 'jose';

/** 32 random bytes: the 256 bits RFC 7636 §7.1 recommends for a verifier, also used for `state`. */
const RANDOM_BYTES = 32;

/**
 * A fresh high-entropy value, base64url without padding: 43 characters of the unreserved set,
 * so it is a valid `code_verifier` (RFC 7636 §4.1: 43 to 128 characters).
 */
export function randomValue(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(RANDOM_BYTES)));
}

/** The S256 `code_challenge` of a verifier: BASE64URL(SHA-256(ASCII(code_verifier))) (RFC 7636 §4.2). */
export async function s256Challenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url.encode(new Uint8Array(digest));
}
