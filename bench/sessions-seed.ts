/**
 * The sessions scenario's logins, made inside the service process (server.ts, BENCH_SESSIONS=n):
 * n users, each with a session opened and an access token signed by `openSession`, the code path
 * the password grant takes once the password checked out (src/auth/grants/password.ts). So each
 * session and token is what a real login leaves in Redis, without n production argon2
 * verifications: the users share one password hash, which nobody verifies.
 */
import type { Redis } from 'ioredis';
import { createSessionStore } from '../src/app';
import type { AuthorizationCodes } from '../src/auth/codes/authorization-codes';
import type { GrantDeps } from '../src/auth/grants/grant';
import { openSession } from '../src/auth/grants/session-opening';
import { LoginThrottle } from '../src/auth/login-throttle';
import type { PasswordHasher } from '../src/auth/passwords';
import { systemClock, type TokenService } from '../src/auth/tokens';
import type { Config } from '../src/core/config';
import type { Logger } from '../src/core/logger';
import { ClientsRepository } from '../src/store/clients.repository';
import type { Database } from '../src/store/database';
import { UsersRepository } from '../src/store/users.repository';

/** What the logins need of the service: its own token service, Redis, database and config. */
export interface SessionsSeedDeps {
  config: Config;
  logger: Logger;
  redis: Redis;
  db: Database;
  passwords: PasswordHasher;
  tokens: TokenService;
  codes: AuthorizationCodes;
}

/** How many logins run at once: enough to overlap the round trips, few enough not to flood the pool. */
const AT_ONCE = 16;

/** Creates `n` users (scope items:read), logs each in once; resolves to their access tokens, in order. */
export async function openBenchSessions(deps: SessionsSeedDeps, n: number): Promise<string[]> {
  const { config, redis, db } = deps;
  const grantDeps: GrantDeps = {
    users: new UsersRepository(db),
    clients: new ClientsRepository(db),
    passwords: deps.passwords,
    tokens: deps.tokens,
    sessions: createSessionStore(config, redis),
    throttle: new LoginThrottle(redis, config.loginLimits),
    logger: deps.logger,
    clock: systemClock,
    defaultClientId: 'specgate',
    codes: deps.codes,
    passwordGrant: true,
  };
  const passwordHash = await deps.passwords.hash(`bench-sessions-${Date.now()}`);
  const tokens: string[] = new Array(n);
  for (let from = 0; from < n; from += AT_ONCE) {
    const batch = Array.from({ length: Math.min(AT_ONCE, n - from) }, (_, k) => from + k);
    await Promise.all(
      batch.map(async (i) => {
        const username = `bench-session-${String(i).padStart(5, '0')}`;
        const user = await grantDeps.users.create({ username, passwordHash, scopes: ['items:read'] });
        const request = {
          body: { grant_type: 'password', username },
          headers: {},
          authorization: undefined,
          requestId: `bench-sessions-${i}`,
          ip: '127.0.0.1',
        };
        const opened = { sub: user.id, scopes: user.scopes, clientId: 'specgate', grant: 'password' };
        tokens[i] = (await openSession(grantDeps, request, opened)).body.access_token;
      }),
    );
  }
  return tokens;
}
