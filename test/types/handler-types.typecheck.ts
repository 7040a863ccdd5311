/**
 * Compile-time proofs, checked by `npm run typecheck` (part of `npm test`): the handler map is
 * typed from the generated operations, so these mistakes do not compile. Each `@ts-expect-error`
 * fails the type check if the line below it ever starts compiling.
 */
import type { createHandlers } from '../../src/api/handlers';
import type { Handler, Handlers } from '../../src/api/types';

type Map = ReturnType<typeof createHandlers>;
declare const handlers: Map;

const { getHealth: _dropped, ...withoutGetHealth } = handlers;
// @ts-expect-error a handler map missing an operationId of the document does not compile
export const missing: Handlers = withoutGetHealth;

// @ts-expect-error a body that does not match the documented schema does not compile
export const wrongBody: Handler<'getHealth'> = async () => ({ status: 200, body: { status: 'fine' } });

// @ts-expect-error a status the operation does not document does not compile
export const undocumentedStatus: Handler<'getHealth'> = async () => ({ status: 201, body: { status: 'ok' } });

// @ts-expect-error a 204 operation cannot return a body
export const bodyOn204: Handler<'logout'> = async () => ({ status: 204, body: { ok: true } });

// @ts-expect-error a token response missing a required member does not compile
export const missingMember: Handler<'issueToken'> = async () => ({
  status: 200,
  body: { access_token: 't', token_type: 'Bearer', expires_in: 1 },
});

/** And the right shapes do compile. */
export const fine: Handler<'getHealth'> = async () => ({ status: 200, body: { status: 'ok' } });
export const fine204: Handler<'logout'> = async () => ({ status: 204 });
