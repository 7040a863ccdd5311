/**
 * A user as the API shows it (the `User` schema), shared by the user's own operations and the
 * administrators'. Never the password hash.
 */
import type { components } from '../../../generated/openapi';
import type { UserRecord } from '../../store/users.repository';

export type Scope = components['schemas']['Scope'];

/** The `User` representation of a stored user. */
export function userBody(user: UserRecord): components['schemas']['User'] {
  return { id: user.id, username: user.username, scopes: user.scopes as Scope[], disabled: user.disabledAt !== null, created_at: user.createdAt.toISOString() };
}
