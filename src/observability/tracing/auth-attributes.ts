/**
 * The auth decision of a request, as trace attributes: which alternative of the operation's
 * security requirement was satisfied (its scheme names, as the document's securitySchemes spell
 * them), or why the request was refused (the error code a client saw: `unauthorized` for no
 * credentials, `invalid_token`, `insufficient_scope`...), or that the session store could not
 * answer. Never the credentials, the subject or the scopes held.
 */
import type { Attributes } from '@opentelemetry/api';
import { ApiError, isUnavailable } from '../../core/errors';
import { type SecurityPlan, strongestFailure } from '../../pipeline/compile/security';
import type { RequestContext } from '../../pipeline/context';

export const ATTR_AUTH_OUTCOME = 'specgate.auth.outcome';
export const ATTR_AUTH_SCHEME = 'specgate.auth.scheme';
export const ATTR_AUTH_FAILURE = 'specgate.auth.failure';

const NONE: Attributes = {};

export function authAttributes(plan: SecurityPlan, ctx: RequestContext): Attributes {
  const { credentials } = ctx;
  // A public operation, or a request refused before its credentials were read (404, 406, 413...).
  if (plan.public || credentials.length === 0) return NONE;
  if (ctx.principal) {
    const satisfied = plan.requirements.find((r) =>
      r.schemes.every((i) => credentials[i] !== undefined && !(credentials[i] instanceof Error)),
    );
    const scheme = satisfied?.schemes.map((i) => plan.names[i]).join(' ');
    return scheme ? { [ATTR_AUTH_OUTCOME]: 'authenticated', [ATTR_AUTH_SCHEME]: scheme } : NONE;
  }
  // No principal: the authenticate stages refused (their strongest failure is the answer), or
  // authorize did (insufficient_scope), which it threw after every credential was good.
  const failure =
    ctx.error instanceof ApiError && ctx.error.code === 'insufficient_scope'
      ? ctx.error
      : strongestFailure(credentials);
  if (isUnavailable(failure)) return { [ATTR_AUTH_OUTCOME]: 'unavailable' };
  const code = failure instanceof ApiError ? failure.code : 'error';
  return { [ATTR_AUTH_OUTCOME]: 'refused', [ATTR_AUTH_FAILURE]: code };
}
