/**
 * DPoP at the token endpoint (RFC 9449 §5): a valid proof binds the tokens issued to its key, and a
 * session bound once only refreshes with a proof by the same key. Refusals are RFC 6749 §5.2 errors
 * (400 `invalid_dpop_proof`, or `use_dpop_nonce` with the nonce to use in `DPoP-Nonce`, §8).
 */
import { OAuthError } from '../../core/errors';
import { DpopError } from './dpop-error';
import type { DpopVerifier } from './dpop-verifier';

/** What the token endpoint needs of a request to judge its proof. */
export interface TokenProofRequest {
  /** The `DPoP` header, if any. */
  proof: string | undefined;
  /** The request path, the mount path included. */
  path: string;
  /** The client must present a proof (registered with `dpop_bound_access_tokens`). */
  required?: boolean;
}

/**
 * The thumbprint the issued tokens are to be bound to, or undefined when the request has no proof
 * (and needs none). Throws OAuthError `invalid_dpop_proof` or `use_dpop_nonce`.
 */
export async function tokenBinding(dpop: DpopVerifier, request: TokenProofRequest): Promise<string | undefined> {
  if (request.proof === undefined && !request.required) return undefined;
  try {
    const { jkt } = await dpop.verify(request.proof, { method: 'POST', path: request.path });
    return jkt;
  } catch (err) {
    if (!(err instanceof DpopError)) throw err;
    const nonce = err.code === 'use_dpop_nonce' ? dpop.nonce() : undefined;
    throw new OAuthError(err.code, err.message, nonce === undefined ? undefined : { 'dpop-nonce': nonce });
  }
}

/**
 * §5: a refresh of a session bound to `bound` needs a proof by that key. A session issued without
 * a proof stays unbound; a proof there binds only the new access token.
 */
export function requireSameKey(bound: string | undefined, presented: string | undefined): void {
  if (bound === undefined || bound === presented) return;
  throw new OAuthError(
    'invalid_dpop_proof',
    presented === undefined
      ? 'This refresh token is DPoP-bound: send a DPoP proof signed with its key.'
      : 'The DPoP proof is signed with another key than the one this refresh token is bound to.',
  );
}
