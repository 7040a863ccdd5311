/**
 * `npm run client:create -- --name NAME --grants "client_credentials" --scopes "items:read"`
 *
 * Registers an OAuth client in the configured database (DATABASE_URL, else the embedded PGlite
 * under DATA_DIR) and prints `{"client_id": "...", "client_secret": "..."}` on stdout: the only
 * time the secret is shown (only its argon2id hash is stored). `--public` registers a client
 * without a secret (no `client_secret` key); `--redirect-uris "URI ..."` sets its redirect URIs.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isGrantType, redirectUriProblem } from '../src/auth/client-rules';
import { newClientSecret } from '../src/auth/client-secrets';
import { PasswordHasher } from '../src/auth/passwords';
import { documentScopes } from '../src/auth/scopes';
import { loadConfigOrExit } from '../src/main';
import { loadDocument } from '../src/pipeline/compile/document';
import { ClientsRepository } from '../src/store/clients.repository';
import { openDatabase } from '../src/store/database';
import { migrate } from '../src/store/migrate';

function fail(message: string): never {
  process.stderr.write(`client:create: ${message}\n`);
  process.exit(2);
}

const list = (value: string | undefined) => [...new Set((value ?? '').split(/[\s,]+/).filter(Boolean))];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      grants: { type: 'string', default: '' },
      scopes: { type: 'string', default: '' },
      'redirect-uris': { type: 'string', default: '' },
      public: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const name = values.name?.trim();
  if (!name || name.length > 200) fail('--name is required (1 to 200 characters)');
  const grants = list(values.grants);
  const badGrants = grants.filter((g) => !isGrantType(g));
  if (badGrants.length) fail(`unknown grant type(s): ${badGrants.join(' ')}`);
  if (values.public && grants.includes('client_credentials')) fail('a public client cannot use client_credentials');
  const scopes = list(values.scopes);
  const known = documentScopes(loadDocument());
  const unknown = scopes.filter((s) => !known.includes(s));
  if (unknown.length) fail(`unknown scope(s): ${unknown.join(' ')} (known: ${known.join(' ')})`);
  const redirectUris = list(values['redirect-uris']);
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) fail(`redirect URI ${uri} ${problem}`);
  }

  const config = loadConfigOrExit();
  const db = await openDatabase(
    config.databaseUrl ? { url: config.databaseUrl } : { dataDir: path.join(config.dataDir, 'pglite') },
  );
  try {
    await migrate(db);
    const secret = values.public ? undefined : newClientSecret();
    const client = await new ClientsRepository(db).create({
      name,
      secretHash: secret === undefined ? null : await new PasswordHasher().hash(secret),
      grantTypes: grants,
      scopes,
      redirectUris,
      dpopBoundAccessTokens: false,
      firstParty: false,
    });
    if (!client) fail('the client registry is full');
    const out = secret === undefined ? { client_id: client.id } : { client_id: client.id, client_secret: secret };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`client:create failed: ${(err as Error).message}\n`);
  process.exit(1);
});
