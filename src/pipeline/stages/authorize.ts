/**
 * authorize: the first alternative of the operation's requirement whose principals hold its scopes
 * sets the principal; else 403 insufficient_scope naming what would have been enough (RFC 6750 §3.1).
 * Only operations with a security requirement run it.
 */
import { ApiError } from '../../core/errors';
import { firstSatisfied } from '../compile/security';
import type { RoutedContext } from '../context';

export function authorize(ctx: RoutedContext): void {
  const outcome = firstSatisfied(ctx.route.security, ctx.credentials);
  if ('principal' in outcome) {
    ctx.principal = outcome.principal;
    return;
  }
  const scope = outcome.shortfall.join(' ');
  throw new ApiError('insufficient_scope', { detail: `This operation needs the scope(s): ${scope}.`, scope });
}
