/**
 * `npm run user:create -- --username alice --scopes "items:read items:write"`
 *
 * Creates a user in the configured database (DATABASE_URL, else the embedded PGlite under
 * DATA_DIR). The password is read from a prompt without echo, or from stdin when it is not a
 * terminal (`printf '%s' "$PW" | npm run user:create -- ...`); never from argv, where other users
 * of the machine could read it in the process list.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { passwordProblem } from '../src/auth/password-policy';
import { PasswordHasher } from '../src/auth/passwords';
import { documentScopes } from '../src/auth/scopes';
import { normaliseUsername } from '../src/core/username';
import { loadConfigOrExit } from '../src/main';
import { loadDocument } from '../src/pipeline/compile/document';
import { openDatabase } from '../src/store/database';
import { migrate } from '../src/store/migrate';
import { UsernameTakenError, UsersRepository } from '../src/store/users.repository';

async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let data = '';
    for await (const chunk of stdin) data += chunk;
    return data.replace(/\r?\n$/, '');
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve) => {
      process.stderr.write(prompt);
      stdin.setRawMode(true);
      stdin.resume();
      let value = '';
      const onData = (buf: Buffer) => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            return resolve(value);
          }
          if (ch === '\u0003') process.exit(130);
          if (ch === '\u007f') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  const first = await ask('Password: ');
  const second = await ask('Repeat password: ');
  if (first !== second) fail('the passwords differ');
  return first;
}

function fail(message: string): never {
  process.stderr.write(`user:create: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { username: { type: 'string' }, scopes: { type: 'string', default: '' } },
    strict: true,
  });
  if (!values.username) fail('--username is required');
  const username = normaliseUsername(values.username);
  if (!/^[a-z0-9._-]{3,64}$/.test(username)) fail('usernames are 3 to 64 of a-z 0-9 . _ -');
  const scopes = [...new Set((values.scopes ?? '').split(/[\s,]+/).filter(Boolean))];
  const known = documentScopes(loadDocument());
  const unknown = scopes.filter((s) => !known.includes(s));
  if (unknown.length) fail(`unknown scope(s): ${unknown.join(' ')} (known: ${known.join(' ')})`);

  const config = loadConfigOrExit();
  const password = await readPassword();
  // The API's policy (POST /v1/users, password change), so no account can get a password it refuses.
  const problem = passwordProblem(password, username);
  if (problem) fail(`the password ${problem}`);

  const db = await openDatabase(
    config.databaseUrl ? { url: config.databaseUrl } : { dataDir: path.join(config.dataDir, 'pglite') },
  );
  try {
    await migrate(db);
    const user = await new UsersRepository(db).create({
      username,
      passwordHash: await new PasswordHasher().hash(password),
      scopes,
    });
    process.stdout.write(
      `created user ${user.username} (${user.id}) with scopes: ${user.scopes.join(' ') || '(none)'}\n`,
    );
  } catch (err) {
    if (err instanceof UsernameTakenError) fail(`username ${username} is taken`);
    throw err;
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`user:create failed: ${(err as Error).message}\n`);
  process.exit(1);
});
