/**
 * authenticate, in two stages so the pipeline can start the cache lookup between them:
 *
 * - verifyCredentials: each scheme the operation names reads and verifies its credentials without a
 *   store (a token's signature, memoised); 401 when no alternative has them all.
 * - checkCredentials: each verified scheme with a store confirms its credentials are live (the
 *   session in Redis, on every request); 401 for a revoked token, 503 when the store is down.
 */

import type { Principal } from '../../auth/principal';
import { anyAuthenticated, strongestFailure } from '../compile/security';
import type { RequestContext } from '../context';

export function verifyCredentials(ctx: RequestContext): Promise<void> | undefined {
  const plan = ctx.route!.security;
  if (plan.public) return;
  const credentials: (Principal | Error)[] = new Array(plan.schemes.length);
  ctx.credentials = credentials;
  let pending: Promise<unknown>[] | undefined;
  for (let i = 0; i < plan.schemes.length; i++) {
    try {
      const verified = plan.schemes[i]!.verify(ctx.req.headers);
      if (verified instanceof Promise) {
        const settle = verified.then(
          (principal) => (credentials[i] = principal),
          (err: Error) => (credentials[i] = err),
        );
        (pending ??= []).push(settle);
      } else credentials[i] = verified;
    } catch (err) {
      credentials[i] = err as Error;
    }
  }
  // Synchronous when every scheme answered from memory (a memoised signature): no promise, no tick.
  if (!pending) return settled(ctx);
  return Promise.all(pending).then(() => settled(ctx));
}

function settled(ctx: RequestContext): undefined {
  if (!anyAuthenticated(ctx.route!.security, ctx.credentials)) throw strongestFailure(ctx.credentials);
  return undefined;
}

export function checkCredentials(ctx: RequestContext): Promise<void> | undefined {
  const plan = ctx.route!.security;
  if (plan.public) return;
  const { credentials } = ctx;
  let pending: Promise<unknown>[] | undefined;
  for (let i = 0; i < plan.schemes.length; i++) {
    const scheme = plan.schemes[i]!;
    const claimed = credentials[i]!;
    if (!scheme.check || claimed instanceof Error) continue;
    const settle = scheme.check(claimed).then(
      (principal) => (credentials[i] = principal),
      (err: Error) => (credentials[i] = err),
    );
    (pending ??= []).push(settle);
  }
  if (!pending) return settled(ctx);
  return (pending.length === 1 ? pending[0]! : Promise.all(pending)).then(() => settled(ctx));
}
