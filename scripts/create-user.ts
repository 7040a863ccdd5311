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
import { MAX_PASSWORD_LENGTH } from '../src/auth/password-policy';
import { PasswordHasher } from '../src/auth/passwords';
import { normaliseUsername } from '../src/core/username';
import { loadConfigOrExit } from '../src/main';
import { loadDocument } from '../src/pipeline/document';
import { openDatabase } from '../src/store/database';
import { migrate } from '../src/store/migrate';
import { UsersRepository, UsernameTakenError } from '../src/store/users.repository';

const MIN_PASSWORD_LENGTH = 8;

/** The scopes the document's OAuth2 scheme declares: the only ones a user may hold. */
function knownScopes(): string[] {
  const schemes = (loadDocument().components?.securitySchemes ?? {}) as Record<string, { flows?: Record<string, { scopes?: Record<string, string> }> }>;
  return [...new Set(Object.values(schemes).flatMap((s) => Object.values(s.flows ?? {}).flatMap((f) => Object.keys(f.scopes ?? {}))))];
}

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
  const { values } = parseArgs({ options: { username: { type: 'string' }, scopes: { type: 'string', default: '' } }, strict: true });
  if (!values.username) fail('--username is required');
  const username = normaliseUsername(values.username);
  if (!/^[a-z0-9._-]{3,64}$/.test(username)) fail('usernames are 3 to 64 of a-z 0-9 . _ -');
  const scopes = [...new Set((values.scopes ?? '').split(/[\s,]+/).filter(Boolean))];
  const known = knownScopes();
  const unknown = scopes.filter((s) => !known.includes(s));
  if (unknown.length) fail(`unknown scope(s): ${unknown.join(' ')} (known: ${known.join(' ')})`);

  const config = loadConfigOrExit();
  const password = await readPassword();
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) fail(`passwords are ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);

  const db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: path.join(config.dataDir, 'pglite') });
  try {
    await migrate(db);
    const user = await new UsersRepository(db).create({ username, passwordHash: await new PasswordHasher().hash(password), scopes });
    process.stdout.write(`created user ${user.username} (${user.id}) with scopes: ${user.scopes.join(' ') || '(none)'}\n`);
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
