/**
 * A user and a session as the API shows them, shared by the user's own operations and the
 * administrators'. Never the password hash, never a token hash.
 */
import type { components } from '../../../generated/openapi';
import type { SessionInfo } from '../../auth/sessions';
import type { UserRecord } from '../../store/users.repository';

export type Scope = components['schemas']['Scope'];

/** The `User` representation of a stored user. */
export function userBody(user: UserRecord): components['schemas']['User'] {
  return { id: user.id, username: user.username, scopes: user.scopes as Scope[], disabled: user.disabledAt !== null, created_at: user.createdAt.toISOString() };
}

/** The members every session listing shows: `id`, `created_at`, `expires_at`, `client_id`. */
export function sessionBody(s: SessionInfo) {
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  return { id: s.sid, created_at: iso(s.createdAt), expires_at: iso(s.expiresAt), client_id: s.clientId };
}
