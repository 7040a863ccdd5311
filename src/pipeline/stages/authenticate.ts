/**
 * authenticate, in two stages so the pipeline can start the cache lookup between them; only
 * operations with a security requirement run them:
 *
 * - verifyCredentials: each scheme the operation names reads and verifies its credentials without a
 *   store (a token's signature, memoised); 401 when no alternative has them all.
 * - checkCredentials: each verified scheme with a store confirms its credentials are live (the
 *   session in Redis, on every request); 401 for a revoked token, 503 when the store is down.
 */

import type { Principal } from '../../auth/principal';
import { anyAuthenticated, strongestFailure } from '../compile/security';
import type { RoutedContext } from '../context';

export function verifyCredentials(ctx: RoutedContext): Promise<void> | undefined {
  const { schemes } = ctx.route.security;
  const credentials: (Principal | Error)[] = new Array(schemes.length);
  ctx.credentials = credentials;
  let pending: Promise<unknown> | undefined;
  let i = 0;
  for (const scheme of schemes) {
    const index = i++;
    try {
      const verified = scheme.verify(ctx);
      if (verified instanceof Promise) {
        const settle = verified.then(
          (principal) => (credentials[index] = principal),
          (err: Error) => (credentials[index] = err),
        );
        pending = pending ? Promise.all([pending, settle]) : settle;
      } else credentials[index] = verified;
    } catch (err) {
      credentials[index] = err as Error;
    }
  }
  // Synchronous when every scheme answered from memory (a memoised signature): no promise, no tick.
  if (!pending) return settled(ctx);
  return pending.then(() => settled(ctx));
}

function settled(ctx: RoutedContext): undefined {
  if (!anyAuthenticated(ctx.route.security, ctx.credentials)) throw strongestFailure(ctx.credentials);
  return undefined;
}

export function checkCredentials(ctx: RoutedContext): Promise<void> | undefined {
  const { credentials } = ctx;
  let pending: Promise<unknown> | undefined;
  let i = 0;
  for (const scheme of ctx.route.security.schemes) {
    const index = i++;
    const claimed = credentials[index];
    if (!scheme.check || claimed === undefined || claimed instanceof Error) continue;
    const settle = scheme.check(claimed).then(
      (principal) => (credentials[index] = principal),
      (err: Error) => (credentials[index] = err),
    );
    pending = pending ? Promise.all([pending, settle]) : settle;
  }
  if (!pending) return settled(ctx);
  return pending.then(() => settled(ctx));
}
