/**
 * `npm run user:update -- --username alice [--disable | --enable] [--scopes "items:read"]`
 *
 * Changes a user the way PATCH /v1/users/{userId} does, through the same code
 * (src/auth/user-changes.ts): the write in the database, then the user's sessions in Redis ended
 * (--disable) or narrowed to the new scopes (--scopes). An UPDATE in SQL does only the first half:
 * the user's access and refresh tokens keep working until their sessions end of themselves.
 *
 * It reads the environment `npm start` reads: DATABASE_URL (else the embedded PGlite under
 * DATA_DIR; stop the service first, PGlite serves one process), REDIS_URL or the Cluster/Sentinel
 * settings, REDIS_PASSWORD. Log lines go to stderr (the change is logged like the API's, for the
 * audit trail); the outcome to stdout.
 */
import { parseArgs } from 'node:util';
import { createSessionStore } from '../src/app';
import { documentScopes } from '../src/auth/scopes';
import { changeUser } from '../src/auth/user-changes';
import { createLogger } from '../src/core/logger';
import { normaliseUsername } from '../src/core/username';
import { loadConfigOrExit, openResources } from '../src/main';
import { loadDocument } from '../src/pipeline/compile/document';
import { UsersRepository } from '../src/store/users.repository';

function fail(message: string): never {
  process.stderr.write(`user:update: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      username: { type: 'string' },
      disable: { type: 'boolean', default: false },
      enable: { type: 'boolean', default: false },
      scopes: { type: 'string' },
    },
    strict: true,
  });
  if (!values.username) fail('--username is required');
  if (values.disable && values.enable) fail('--disable and --enable exclude each other');
  const scopes = values.scopes === undefined ? undefined : [...new Set(values.scopes.split(/[\s,]+/).filter(Boolean))];
  if (scopes === undefined && !values.disable && !values.enable)
    fail('nothing to change: give --disable, --enable or --scopes');
  const known = documentScopes(loadDocument());
  const unknown = (scopes ?? []).filter((s) => !known.includes(s));
  if (unknown.length) fail(`unknown scope(s): ${unknown.join(' ')} (known: ${known.join(' ')})`);
  const disabled = values.disable ? true : values.enable ? false : undefined;

  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, process.stderr);
  const resources = await openResources(config, logger);
  try {
    const users = new UsersRepository(resources.db);
    const username = normaliseUsername(values.username);
    const user = await users.findByUsername(username);
    if (!user) fail(`no user ${username}`);
    const sessions = createSessionStore(config, resources.redis);
    const result = await changeUser({ users, sessions }, user.id, { scopes, disabled });
    if (result.kind === 'not_found') fail(`no user ${username}`);
    if (result.kind === 'last_admin') fail('this would leave no enabled user with users:admin');
    const { after, scopesAdded, scopesRemoved, sessionsEnded, sessionsNarrowed } = result;
    logger.info(
      {
        by: 'user:update',
        target: after.id,
        scopesAdded,
        scopesRemoved,
        ...(result.disabled === undefined ? {} : { disabled: result.disabled }),
        sessionsEnded,
        sessionsNarrowed,
      },
      'user changed by an operator',
    );
    process.stdout.write(
      `updated user ${after.username} (${after.id}): scopes ${after.scopes.join(' ') || '(none)'}, ` +
        `${after.disabledAt ? 'disabled' : 'enabled'}; sessions ended: ${sessionsEnded}, narrowed: ${sessionsNarrowed}\n`,
    );
  } finally {
    await resources.close();
  }
}

main().catch((err) => {
  // The sessions are ended or narrowed after the database write: if that failed, the write may be
  // saved with the sessions still live. The same command finishes the work (src/auth/user-changes.ts).
  process.stderr.write(
    `user:update failed: ${(err as Error).message}; run the same command again once the database and Redis answer\n`,
  );
  process.exit(1);
});
