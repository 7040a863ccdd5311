/**
 * The handler map, one module per tag. Typed as {@link Handlers}: a missing operationId, an extra
 * one, or a handler returning an undocumented shape does not compile.
 */
import type { RawHandler } from '../../pipeline/context';
import type { HandlerDeps } from '../deps';
import type { Handlers } from '../types';
import { authHandlers } from './auth.handlers';
import { clientsHandlers } from './clients.handlers';
import { discoveryHandlers } from './discovery.handlers';
import { itemsHandlers } from './items.handlers';
import { keysHandlers } from './keys.handlers';
import { signInHandlers } from './sign-in.handlers';
import { systemHandlers } from './system.handlers';
import { userAdminHandlers } from './user-admin.handlers';
import { usersHandlers } from './users.handlers';

export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    ...authHandlers(deps),
    ...discoveryHandlers(deps),
    ...usersHandlers(deps),
    ...userAdminHandlers(deps),
    ...clientsHandlers(deps),
    ...itemsHandlers(deps),
    ...systemHandlers(deps),
    ...keysHandlers(deps),
    ...signInHandlers(deps),
  } satisfies Handlers;
}

/**
 * The map as the pipeline binds it, by operationId. Each handler takes its operation's request type,
 * narrower than the pipeline's untyped OperationRequest: the compiler proved above that every handler
 * matches its operation, and the pipeline calls each only for that operation, so widening is safe.
 */
export function boundHandlers(handlers: Handlers): Record<string, RawHandler> {
  return handlers as unknown as Record<string, RawHandler>;
}
