/**
 * The `WWW-Authenticate` header of a 401 or 403 (RFC 9110 §11.6.1, RFC 6750 §3): one challenge per
 * scheme the operation accepts, each for the failure that scheme met (a Bearer scheme's
 * `invalid_token` next to a DPoP scheme that found no credentials of its own), joined in one
 * list. A failure after authentication (a 403, or a handler's 401) is every scheme's.
 */
import { ApiError } from '../../core/errors';
import type { RequestContext } from '../context';

export function challengeFor(ctx: RequestContext, err: unknown): string | undefined {
  if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 403)) return undefined;
  const schemes = ctx.route?.security.schemes;
  if (!schemes?.length) return undefined;
  // A Set: two schemes answered by one implementation (the mock's) challenge once.
  const challenges = new Set<string>();
  schemes.forEach((scheme, i) => {
    const own = ctx.credentials[i];
    const met = err.status === 401 && own instanceof ApiError && own.status === 401 ? own : err;
    const challenge = scheme.challenge?.(met);
    if (challenge) challenges.add(challenge);
  });
  return challenges.size ? [...challenges].join(', ') : undefined;
}
