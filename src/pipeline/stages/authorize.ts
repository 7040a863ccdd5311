/**
 * authorize: the first alternative of the operation's requirement whose principals hold its scopes
 * sets the principal; else 403 insufficient_scope naming what would have been enough (RFC 6750 §3.1).
 */
import { ApiError } from '../../core/errors';
import { firstSatisfied } from '../compile/security';
import type { RequestContext } from '../context';

export function authorize(ctx: RequestContext): void {
  const plan = ctx.route!.security;
  if (plan.public) return;
  const outcome = firstSatisfied(plan, ctx.credentials);
  if ('principal' in outcome) {
    ctx.principal = outcome.principal;
    return;
  }
  const scope = outcome.shortfall.join(' ');
  throw new ApiError('insufficient_scope', { detail: `This operation needs the scope(s): ${scope}.`, scope });
}
