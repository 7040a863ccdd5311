/**
 * A token scheme's `WWW-Authenticate` challenge (RFC 6750 §3, RFC 9449 §7.1, RFC 9728 §5.1): the
 * scheme name, the realm, the error the request met with its description or the scope it lacked,
 * and the scheme's own parameters (DPoP's `algs`, the protected resource's `resource_metadata`).
 */
import type { ApiError } from '../../core/errors';

export const REALM = 'specgate';

/** The challenge of scheme `name` for `err`; undefined for an error that is no 401 or 403. */
export function tokenChallenge(name: string, err: ApiError, params: readonly string[] = []): string | undefined {
  const out = [`realm="${REALM}"`];
  switch (err.code) {
    case 'unauthorized':
      // No credentials of this scheme: no error code (RFC 6750 §3.1).
      break;
    case 'insufficient_scope':
      out.push('error="insufficient_scope"', `scope="${quoteSafe(err.options.scope ?? '')}"`);
      break;
    default:
      if (err.status !== 401) return undefined;
      // invalid_token, or a scheme's own 401 code (invalid_dpop_proof, use_dpop_nonce).
      out.push(`error="${err.code}"`, `error_description="${quoteSafe(err.message)}"`);
  }
  return `${name} ${[...out, ...params].join(', ')}`;
}

/** A quoted-string's content: without `"` and `\`, the two characters it would have to escape. */
export function quoteSafe(s: string): string {
  return s.replace(/["\\]/g, '');
}
