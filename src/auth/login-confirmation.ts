/**
 * Closing the race between a login in flight and an administrator's change to its user.
 *
 * A password grant reads the user (enabled, scopes S), verifies the password, then records the
 * session. An administrator meanwhile commits "disabled" (or a deletion, or scopes S' ⊂ S) and
 * then ends (or narrows) every session found in the user's index. If the login's session was
 * indexed after the administrator read the index, neither side would see the other: a disabled
 * user would keep a live session. So, after its session is indexed, the login reads the user
 * again:
 *
 *   administrator:  commit change (1) → read session index (2) → end / narrow what it lists
 *   login:          index session (3) → read user again (4) → end / narrow its own session
 *
 * If (2) missed the session, then (2) came before (3), so (1) < (2) < (3) < (4): the login's
 * read (4), a new statement after the commit, sees the change (READ COMMITTED) and acts on it.
 * If (2) saw the session, the administrator ends or narrows it. Either way no session of a
 * disabled user, and no scope the user lost, survives the two requests. (Redis executes
 * commands one at a time and the database read starts after the index write is acknowledged,
 * so "before" is well defined on both sides.)
 *
 * The refresh grant needs no such step: it never creates a session, only rotates one that is
 * already indexed, and ROTATE finds nothing once the session key is deleted. It narrows from
 * the session's `scope` field inside the script, so a narrowed session stays narrowed.
 */
import type { Logger } from '../core/logger';
import type { UsersRepository } from '../store/users.repository';
import type { SessionStore } from './sessions';

/** What a login's session may carry after the re-read: its scope, or nothing (refuse the login). */
export type Confirmation = { kind: 'confirmed'; scope: string } | { kind: 'refused' };

/**
 * Re-reads the user of session `sid` just created at login: ends the session when the user is
 * gone or disabled, narrows it when they lost one of its scopes. If the user cannot be read (the
 * database is down), the session is ended before the error propagates: fail closed.
 */
export async function confirmLogin(
  deps: { users: UsersRepository; sessions: SessionStore; logger: Logger },
  s: { sid: string; sub: string; scope: string },
): Promise<Confirmation> {
  let user: Awaited<ReturnType<typeof deps.users.findById>>;
  try {
    user = await deps.users.findById(s.sub);
  } catch (err) {
    await deps.sessions.end(s.sid, s.sub).catch(() => undefined);
    throw err;
  }
  if (!user || user.disabledAt) {
    await deps.sessions.end(s.sid, s.sub);
    deps.logger.info(
      { sub: s.sub, sid: s.sid, outcome: 'login_raced_disable' },
      'session of a login refused: the user was disabled or deleted meanwhile',
    );
    return { kind: 'refused' };
  }
  const requested = s.scope.split(' ').filter(Boolean);
  const kept = requested.filter((scope) => user.scopes.includes(scope));
  if (kept.length < requested.length) {
    await deps.sessions.narrow(s.sub, [s.sid], user.scopes);
    deps.logger.info(
      { sub: s.sub, sid: s.sid, outcome: 'login_raced_scope_change' },
      'session of a login narrowed: the user lost a scope meanwhile',
    );
  }
  return { kind: 'confirmed', scope: kept.join(' ') };
}
