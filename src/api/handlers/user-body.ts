/**
 * A user and a session as the API shows them, shared by the user's own operations and the
 * administrators'. Never the password hash, never a token hash.
 */
import type { components } from '../../../generated/openapi';
import { documentScopes } from '../../auth/scopes';
import type { SessionInfo } from '../../auth/sessions';
import type { OpenApiDocument } from '../../pipeline/compile/document';
import type { UserRecord } from '../../store/users.repository';

export type Scope = components['schemas']['Scope'];

/**
 * The representations whose scopes depend on the document: a stored scope is shown only when the
 * document declares it. One it no longer declares grants nothing (no operation requires it), and
 * showing it would break the `Scope` schema.
 */
export function scopedBodies(document: OpenApiDocument) {
  const declared = new Set(documentScopes(document));
  const scopeList = (scopes: readonly string[]): Scope[] => scopes.filter((s): s is Scope => declared.has(s));
  /** The `User` representation of a stored user. */
  const userBody = (user: UserRecord): components['schemas']['User'] => ({
    id: user.id,
    username: user.username,
    scopes: scopeList(user.scopes),
    disabled: user.disabledAt !== null,
    created_at: user.createdAt.toISOString(),
  });
  return { scopeList, userBody };
}

/** The members every session listing shows: `id`, `created_at`, `expires_at`, `client_id`. */
export function sessionBody(s: SessionInfo) {
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  return { id: s.sid, created_at: iso(s.createdAt), expires_at: iso(s.expiresAt), client_id: s.clientId };
}
