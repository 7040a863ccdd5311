/**
 * authenticate, in two stages so the pipeline can start the cache lookup between them:
 *
 * - verifyCredentials: each scheme the operation names reads and verifies its credentials without a
 *   store (a token's signature, memoised); 401 when no alternative has them all.
 * - checkCredentials: each verified scheme with a store confirms its credentials are live (the
 *   session in Redis, on every request); 401 for a revoked token, 503 when the store is down.
 */

import { anyAuthenticated, strongestFailure } from '../compile/security';
import type { RequestContext } from '../context';

export async function verifyCredentials(ctx: RequestContext): Promise<void> {
  const plan = ctx.route!.security;
  if (plan.public) return;
  const credentials = new Array(plan.schemes.length);
  for (let i = 0; i < plan.schemes.length; i++) {
    try {
      credentials[i] = await plan.schemes[i]!.verify(ctx.req.headers);
    } catch (err) {
      credentials[i] = err;
    }
  }
  ctx.credentials = credentials;
  if (!anyAuthenticated(plan, credentials)) throw strongestFailure(credentials);
}

export async function checkCredentials(ctx: RequestContext): Promise<void> {
  const plan = ctx.route!.security;
  if (plan.public) return;
  const { credentials } = ctx;
  for (let i = 0; i < plan.schemes.length; i++) {
    const scheme = plan.schemes[i]!;
    const claimed = credentials[i]!;
    if (!scheme.check || claimed instanceof Error) continue;
    try {
      credentials[i] = await scheme.check(claimed);
    } catch (err) {
      credentials[i] = err as Error;
    }
  }
  if (!anyAuthenticated(plan, credentials)) throw strongestFailure(credentials);
}
