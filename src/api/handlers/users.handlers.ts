/**
 * The `users` tag: the authenticated user.
 */
import { ApiError } from '../../core/errors';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';

export function usersHandlers(deps: HandlerDeps) {
  const getCurrentUser: Handler<'getCurrentUser'> = async (req) => {
    const user = await deps.users.findById(req.principal!.userId);
    // A token can outlive its user only if the user was deleted after login.
    if (!user || user.disabledAt) throw new ApiError('invalid_token', { detail: 'The user of this access token no longer exists.' });
    return {
      status: 200,
      body: { id: user.id, username: user.username, scopes: user.scopes, created_at: user.createdAt.toISOString() },
    };
  };
  return { getCurrentUser };
}
