/**
 * The `dpop` scheme (RFC 9449 §7): `Authorization: DPoP <token>` with a `DPoP` proof of possession
 * of the key the token is bound to. `verify` checks the token (memoised by TokenService), that it is
 * bound (`cnf.jkt`), and the proof: signed by that key, for this method and URI, carrying the
 * token's hash (`ath`), used once. `check` is the bearer scheme's session check.
 */
import { ApiError } from '../../core/errors';
import { DpopError } from '../dpop/dpop-error';
import type { DpopVerifier } from '../dpop/dpop-verifier';
import { DPOP_ALGORITHMS } from '../dpop/proof';
import type { CredentialRequest, Principal, SecurityScheme } from '../principal';
import type { SessionStore } from '../sessions';
import type { TokenService } from '../tokens';
import { liveSession, principalOf } from './bearer';
import { tokenChallenge } from './challenge';

export interface DpopSchemeOptions {
  /** The protected resource's metadata URL (RFC 9728 §5.1), named in every challenge. */
  resourceMetadata?: string;
}

export function dpopScheme(
  tokens: TokenService,
  sessions: SessionStore,
  dpop: DpopVerifier,
  options: DpopSchemeOptions = {},
): SecurityScheme {
  // §7.1: the challenge lists the proof algorithms this resource accepts.
  const params = [`algs="${DPOP_ALGORITHMS.join(' ')}"`];
  if (options.resourceMetadata) params.push(`resource_metadata="${options.resourceMetadata}"`);
  return {
    verify(request) {
      // Synchronous when the request carries no DPoP credentials (every Bearer request on an
      // operation that accepts both): no promise, no new error, no throw, nothing on the hot path.
      const token = dpopToken(request.headers.authorization);
      return typeof token === 'string' ? bound(token, request) : token;
    },
    check: (claimed) => liveSession(sessions, claimed),
    challenge: (err) => tokenChallenge('DPoP', err, params),
  };

  async function bound(token: string, request: CredentialRequest): Promise<Principal> {
    const claims = tokens.memoized(token) ?? (await tokens.verify(token));
    const jkt = claims.cnf?.jkt;
    if (jkt === undefined)
      throw new ApiError('invalid_token', { detail: 'The access token is not DPoP-bound: send it as Bearer.' });
    await proofOf(dpop, request, token, jkt);
    return { ...principalOf(claims), jkt };
  }
}

/** Checks the request's proof for `token`, bound to `jkt`; refusals as 401 problems (§7.1). */
async function proofOf(dpop: DpopVerifier, request: CredentialRequest, token: string, jkt: string): Promise<void> {
  const header = request.headers.dpop;
  try {
    const proof = await dpop.verify(typeof header === 'string' ? header : undefined, {
      method: request.method,
      path: request.base + request.path,
      accessToken: token,
    });
    // §4.3 step 12: the proof's key must be the one the token is bound to.
    if (proof.jkt !== jkt)
      throw new DpopError(
        'invalid_dpop_proof',
        'The DPoP proof is signed with another key than the token is bound to.',
      );
  } catch (err) {
    if (!(err instanceof DpopError)) throw err;
    const nonce = err.code === 'use_dpop_nonce' ? dpop.nonce() : undefined;
    throw new ApiError(err.code, { detail: err.message, headers: nonce ? { 'dpop-nonce': nonce } : undefined });
  }
}

/**
 * A request without DPoP credentials: one error for all of them. It is only read (the pipeline
 * renders it, or the other scheme's failure, or nothing when that scheme succeeds), so sharing it
 * spares every Bearer request an Error and its stack.
 */
const NO_DPOP_CREDENTIALS = new ApiError('unauthorized', {
  detail: 'Send a DPoP-bound access token: Authorization: DPoP <token>.',
});

/** The token of `Authorization: DPoP <token>` (§7.1); {@link NO_DPOP_CREDENTIALS} without one. */
function dpopToken(header: string | undefined): string | typeof NO_DPOP_CREDENTIALS {
  const space = header?.indexOf(' ') ?? -1;
  if (!header || space !== 4 || header.slice(0, space).toLowerCase() !== 'dpop') return NO_DPOP_CREDENTIALS;
  const token = header.slice(space + 1).trim();
  if (!B64TOKEN.test(token)) throw new ApiError('invalid_token', { detail: 'The access token is malformed.' });
  return token;
}

/** RFC 9449 §7.1 token68, as RFC 6750's b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
