/**
 * Changing a user's scopes or disabling them, and what that does to their sessions: the one code
 * path of PATCH /v1/users/{userId} and `npm run user:update`. The database holds who may log in;
 * Redis holds the sessions already open, and an access token is checked against its session only
 * (nothing about a token lives in the database). So the write is only half of the change: a user
 * disabled, or a scope removed, in SQL alone keeps every session it had, tokens and all.
 *
 * The sessions are ended or narrowed after the commit, so a login racing with the change sees it
 * (./login-confirmation.ts), and even when the write changed nothing: if the session store failed
 * after an earlier attempt's commit, repeating the change finishes its work.
 */
import type { UserChanges, UserRecord, UsersRepository } from '../store/users.repository';
import type { SessionStore } from './sessions';

/** What {@link changeUser} did. */
export type UserChangeResult =
  | {
      kind: 'ok';
      before: UserRecord;
      after: UserRecord;
      scopesAdded: string[];
      scopesRemoved: string[];
      /** Set when the change disabled (true) or re-enabled (false) the user. */
      disabled?: boolean;
      sessionsEnded: number;
      sessionsNarrowed: number;
    }
  /** No such user, or it would leave no enabled user holding users:admin: nothing was written. */
  | { kind: 'not_found' }
  | { kind: 'last_admin' };

/** Applies `changes` to user `userId`, then ends (disabled) or narrows (scopes given) their sessions. */
export async function changeUser(
  deps: { users: UsersRepository; sessions: SessionStore },
  userId: string,
  changes: UserChanges,
): Promise<UserChangeResult> {
  const result = await deps.users.update(userId, changes);
  if (result.kind !== 'ok') return result;
  const { before, after } = result;
  let sessionsEnded = 0;
  let sessionsNarrowed = 0;
  if (after.disabledAt) sessionsEnded = await deps.sessions.endAll(after.id);
  else if (changes.scopes !== undefined) sessionsNarrowed = await deps.sessions.narrowAll(after.id, after.scopes);
  const wasDisabled = before.disabledAt !== null;
  return {
    kind: 'ok',
    before,
    after,
    scopesAdded: after.scopes.filter((s) => !before.scopes.includes(s)),
    scopesRemoved: before.scopes.filter((s) => !after.scopes.includes(s)),
    ...(wasDisabled !== (after.disabledAt !== null) ? { disabled: !wasDisabled } : {}),
    sessionsEnded,
    sessionsNarrowed,
  };
}
