/**
 * The `users` tag, administration half (scope `users:admin`): list, change, disable and delete
 * users, and see or end their sessions. Every change that takes access away takes effect in Redis
 * before the answer, so the user's tokens fail on their very next request on every instance.
 */
import { changeUser, type UserChangeResult } from '../../auth/user-changes';
import { ApiError } from '../../core/errors';
import { normaliseUsername } from '../../core/username';
import type { AdminWriteResult, UserRecord } from '../../store/users.repository';
import { callerOf } from '../caller';
import { type CursorSeal, foreignCursor } from '../cursor';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';
import { scopedBodies, sessionBody } from './user-body';

/** A username as stored (see the NewUser pattern, after normalisation). */
const STORED_USERNAME = /^[a-z0-9._-]{1,64}$/;

/** What a users cursor is valid for: the listing and its username prefix (the page size may change). */
const listingOf = (prefix: string | undefined) => JSON.stringify(['listUsers', prefix ?? null]);

/** The opaque cursor of a position in the username order of `prefix`'s listing: `[username]`, sealed. */
export function encodeUserCursor(seal: CursorSeal, prefix: string | undefined, username: string): string {
  return seal.seal(listingOf(prefix), [username]);
}

/** The username of a cursor this service issued for `prefix`'s listing, or undefined for anything else. */
export function decodeUserCursor(seal: CursorSeal, prefix: string | undefined, cursor: string): string | undefined {
  const parsed = seal.open(listingOf(prefix), cursor);
  if (!Array.isArray(parsed) || parsed.length !== 1 || typeof parsed[0] !== 'string') return undefined;
  return STORED_USERNAME.test(parsed[0]) ? parsed[0] : undefined;
}

const notFound = (userId: string) => new ApiError('not_found', { detail: `No user ${userId}.` });

/** Maps a refused administrator's write to its problem. */
function refusal(userId: string, result: Exclude<AdminWriteResult | UserChangeResult, { kind: 'ok' }>): ApiError {
  if (result.kind === 'not_found') return notFound(userId);
  return new ApiError('conflict', { detail: 'This would leave no enabled user with users:admin.' });
}

export function userAdminHandlers(deps: HandlerDeps) {
  const { users, sessions, logger, cursors } = deps;
  const { userBody, scopeList } = scopedBodies(deps.document);

  /** The user, or 404. */
  async function existing(userId: string): Promise<UserRecord> {
    const user = await users.findById(userId);
    if (!user) throw notFound(userId);
    return user;
  }

  const listUsers: Handler<'listUsers'> = async (req) => {
    const { cursor } = req.query;
    const prefix = req.query.username_prefix === undefined ? undefined : normaliseUsername(req.query.username_prefix);
    const after = cursor === undefined ? undefined : decodeUserCursor(cursors, prefix, cursor);
    if (cursor !== undefined && after === undefined) throw foreignCursor();
    const page = await users.list({ prefix, after, limit: req.query.limit ?? 20 });
    const next = page.next === null ? null : encodeUserCursor(cursors, prefix, page.next);
    return { status: 200, body: { users: page.users.map(userBody), next_cursor: next } };
  };

  const updateUser: Handler<'updateUser'> = async (req) => {
    const { userId } = req.params;
    const result = await changeUser(deps, userId, { scopes: req.body.scopes, disabled: req.body.disabled });
    if (result.kind !== 'ok') throw refusal(userId, result);
    const { after, scopesAdded, scopesRemoved, disabled, sessionsEnded, sessionsNarrowed } = result;
    if (scopesAdded.length || scopesRemoved.length || disabled !== undefined) {
      logger.info(
        {
          requestId: req.requestId,
          by: callerOf(req).userId,
          target: after.id,
          scopesAdded,
          scopesRemoved,
          ...(disabled === undefined ? {} : { disabled }),
          sessionsEnded,
          sessionsNarrowed,
        },
        'user changed by an administrator',
      );
    }
    return { status: 200, body: userBody(after) };
  };

  const deleteUser: Handler<'deleteUser'> = async (req) => {
    const { userId } = req.params;
    const result = await users.delete(userId);
    // A repeated request after a 503 (deleted, sessions not yet ended) ends what is left.
    if (result.kind === 'not_found') await sessions.endAll(userId);
    if (result.kind !== 'ok') throw refusal(userId, result);
    const ended = await sessions.endAll(result.before.id);
    logger.info(
      { requestId: req.requestId, by: callerOf(req).userId, target: result.before.id, sessionsEnded: ended },
      'user deleted by an administrator',
    );
    return { status: 204 };
  };

  const listUserSessions: Handler<'listUserSessions'> = async (req) => {
    const user = await existing(req.params.userId);
    const list = await sessions.list(user.id);
    return {
      status: 200,
      body: {
        sessions: list.map((s) => ({ ...sessionBody(s), scopes: scopeList(s.scope.split(' ')) })),
      },
    };
  };

  const endUserSessions: Handler<'endUserSessions'> = async (req) => {
    const user = await existing(req.params.userId);
    const ended = await sessions.endAll(user.id);
    logger.info(
      { requestId: req.requestId, by: callerOf(req).userId, target: user.id, sessionsEnded: ended },
      'sessions of a user ended by an administrator',
    );
    return { status: 204 };
  };

  return { listUsers, updateUser, deleteUser, listUserSessions, endUserSessions };
}
