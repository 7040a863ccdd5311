/**
 * The `users` tag: the authenticated user, their sessions and password, and creating and reading
 * users (the rest of user administration is in user-admin.handlers.ts).
 */
import { passwordProblem } from '../../auth/password-policy';
import { ApiError, validationFailed } from '../../core/errors';
import { normaliseUsername } from '../../core/username';
import { UsernameTakenError } from '../../store/users.repository';
import { callerOf, userCallerOf } from '../caller';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';
import { scopedBodies, sessionBody } from './user-body';

function weakPassword(field: string, reason: string): ApiError {
  return validationFailed({ in: 'body', pointer: `/${field}`, message: reason });
}

export function usersHandlers(deps: HandlerDeps) {
  const { users, passwords, sessions, throttle, logger } = deps;
  const { userBody } = scopedBodies(deps.document);

  const getCurrentUser: Handler<'getCurrentUser'> = async (req) => {
    const user = await users.findById(userCallerOf(req).userId);
    // A token can outlive its user only if the user was deleted after login.
    if (!user || user.disabledAt)
      throw new ApiError('invalid_token', { detail: 'The user of this access token no longer exists.' });
    return { status: 200, body: userBody(user) };
  };

  const listSessions: Handler<'listSessions'> = async (req) => {
    const { userId, sessionId } = userCallerOf(req);
    const list = await sessions.list(userId);
    return {
      status: 200,
      body: {
        sessions: list.map((s) => ({ ...sessionBody(s), current: s.sid === sessionId })),
      },
    };
  };

  const revokeSession: Handler<'revokeSession'> = async (req) => {
    const { userId } = userCallerOf(req);
    // Another user's session id is answered exactly like an unknown one.
    if (!(await sessions.end(req.params.sessionId, userId))) {
      throw new ApiError('not_found', { detail: 'You have no session with this id.' });
    }
    logger.info({ requestId: req.requestId, sub: userId, sid: req.params.sessionId }, 'session ended by its user');
    return { status: 204 };
  };

  const changePassword: Handler<'changePassword'> = async (req) => {
    const { userId, sessionId } = userCallerOf(req);
    const user = await users.findById(userId);
    if (!user || user.disabledAt)
      throw new ApiError('invalid_token', { detail: 'The user of this access token no longer exists.' });
    // A stolen access token must not become an oracle for the password: same limits as /token.
    // Counted before the check, like a login, so parallel guesses cannot outrun the limit.
    const attempt = await throttle.reserve(user.username, req.ip);
    if (!(await passwords.verify(user.passwordHash, req.body.current_password))) {
      await attempt.failed().catch(() => undefined);
      throw weakPassword('current_password', 'is not the current password');
    }
    await attempt.succeeded();
    const problem = passwordProblem(req.body.new_password, user.username);
    if (problem) throw weakPassword('new_password', problem);
    await users.updatePasswordHash(user.id, await passwords.hash(req.body.new_password));
    await sessions.endAll(user.id, sessionId);
    logger.info(
      { requestId: req.requestId, sub: user.id, outcome: 'password_changed' },
      'password changed; other sessions ended',
    );
    return { status: 204 };
  };

  const createUser: Handler<'createUser'> = async (req) => {
    const username = normaliseUsername(req.body.username);
    const problem = passwordProblem(req.body.password, username);
    if (problem) throw weakPassword('password', problem);
    try {
      const user = await users.create({
        username,
        passwordHash: await passwords.hash(req.body.password),
        scopes: req.body.scopes,
      });
      logger.info({ requestId: req.requestId, by: callerOf(req).userId, created: user.id }, 'user created');
      return { status: 201, headers: { location: `${req.base}/v1/users/${user.id}` }, body: userBody(user) };
    } catch (err) {
      if (err instanceof UsernameTakenError)
        throw new ApiError('conflict', { detail: `The username ${username} is taken.` });
      throw err;
    }
  };

  const getUser: Handler<'getUser'> = async (req) => {
    const user = await users.findById(req.params.userId);
    if (!user) throw new ApiError('not_found', { detail: `No user ${req.params.userId}.` });
    return { status: 200, body: userBody(user) };
  };

  return { getCurrentUser, listSessions, revokeSession, changePassword, createUser, getUser };
}
