/**
 * One password attempt, as every way in that takes a password counts it: the password grant at
 * /token and the login page of /authorize share the login limits' buckets (./login-throttle.ts),
 * so a guesser gains nothing by switching between them.
 */
import type { UserRecord, UsersRepository } from '../store/users.repository';
import type { LoginThrottle } from './login-throttle';
import type { PasswordHasher } from './passwords';

export interface PasswordCheckDeps {
  users: UsersRepository;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
}

/**
 * The enabled user whose password this is, else undefined, after the same work for every failure
 * (an unknown user, a disabled one and a wrong password cost one argon2 verification each). The
 * attempt is reserved before anything is looked up (429 over the limits, even for the right
 * password, and parallel attempts cannot all slip past a limit they have not yet hit). A hash
 * with old parameters is upgraded on success.
 */
export async function checkPassword(
  deps: PasswordCheckDeps,
  username: string,
  password: string,
  ip: string,
): Promise<UserRecord | undefined> {
  const { users, passwords, throttle } = deps;
  const attempt = await throttle.reserve(username, ip);
  const user = await users.findByUsername(username).catch(async (err: unknown) => {
    // No verdict (e.g. the database is down): the attempt must not count as a failure. If Redis
    // is down as well the unit stays reserved, which errs on the safe side.
    await attempt.released().catch(() => undefined);
    throw err;
  });
  const valid =
    user && !user.disabledAt
      ? await passwords.verify(user.passwordHash, password)
      : await passwords.verifyDummy(password);
  if (!user || !valid || user.disabledAt) {
    // Only the in-flight mark goes: the unit stays either way, so a Redis error here changes nothing.
    await attempt.failed().catch(() => undefined);
    return undefined;
  }
  await attempt.succeeded();
  if (passwords.needsRehash(user.passwordHash)) await users.updatePasswordHash(user.id, await passwords.hash(password));
  return user;
}
