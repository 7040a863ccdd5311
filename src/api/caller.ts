/**
 * The caller of an operation with a security requirement, for its handler: the authorize stage set
 * the principal before the handler ran, so its absence is a wiring bug (500), never a client's.
 */
import type { Principal } from '../auth/principal';
import { ApiError } from '../core/errors';

export function callerOf(req: { operationId: string; principal: Principal | undefined }): Principal {
  if (req.principal === undefined) throw new Error(`${req.operationId} requires a principal and has none`);
  return req.principal;
}

/**
 * The caller of an operation that acts on the token's user (`/me`, its sessions and password,
 * `/logout`): a token issued to an OAuth client has no user, so it gets 403 `user_required`.
 */
export function userCallerOf(req: { operationId: string; principal: Principal | undefined }): Principal {
  const principal = callerOf(req);
  if (principal.kind === 'client')
    throw new ApiError('user_required', { detail: 'This operation needs a token issued to a user, not to a client.' });
  return principal;
}
