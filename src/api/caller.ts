/**
 * The caller of an operation with a security requirement, for its handler: the authorize stage set
 * the principal before the handler ran, so its absence is a wiring bug (500), never a client's.
 */
import type { Principal } from '../auth/principal';

export function callerOf(req: { operationId: string; principal: Principal | undefined }): Principal {
  if (req.principal === undefined) throw new Error(`${req.operationId} requires a principal and has none`);
  return req.principal;
}
