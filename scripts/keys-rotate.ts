/**
 * `npm run keys:rotate -- <add [--alg ES256|RS256|EdDSA] | promote | retire | prune> [--file F]`
 *
 * One step of a signing-key rotation, written to the key file (JWT_SIGNING_KEYS_FILE, else the
 * development file under DATA_DIR) atomically, mode 0600. Prints what it did as JSON; never a key.
 * Across instances: one shared file (e.g. a mounted secret); after `add`, wait the notice period
 * (JWT_KEY_NOTICE_SECONDS) before `retire`; after `retire`, wait the access-token lifetime before
 * `prune`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readPrivateFile, writeKeyFile } from '../src/auth/keys/key-file';
import { ASYMMETRIC_ALGS, type AsymmetricAlg, parseKeySet, type StoredJwk } from '../src/auth/keys/key-set';
import { DEV_KEY_FILE } from '../src/auth/keys/key-source';
import { addKey, promoteKey, pruneKeys, type RotationTimes, retireKeys } from '../src/auth/keys/rotation';
import { CLOCK_TOLERANCE_SECONDS, systemClock } from '../src/auth/tokens';
import { loadConfigOrExit } from '../src/main';

const STEPS = ['add', 'promote', 'retire', 'prune'] as const;

function fail(message: string): never {
  process.stderr.write(`keys:rotate: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { alg: { type: 'string', default: 'ES256' }, file: { type: 'string' } },
  });
  const step = positionals[0] as (typeof STEPS)[number];
  if (positionals.length !== 1 || !STEPS.includes(step)) fail(`the step must be one of ${STEPS.join(', ')}`);
  const alg = values.alg as AsymmetricAlg;
  if (!ASYMMETRIC_ALGS.includes(alg)) fail(`--alg must be one of ${ASYMMETRIC_ALGS.join(', ')}`);
  const config = loadConfigOrExit();
  const file = path.resolve(values.file ?? config.jwt.signing.keysFile ?? path.join(config.dataDir, DEV_KEY_FILE));
  const t: RotationTimes = {
    now: systemClock(),
    noticeSeconds: config.jwt.signing.noticeSeconds,
    lifetimeSeconds: config.jwt.accessTokenSeconds,
    toleranceSeconds: CLOCK_TOLERANCE_SECONDS,
  };
  let keys: StoredJwk[] = [];
  if (fs.existsSync(file)) keys = parseKeySet((await readPrivateFile(file)).text);
  else if (step !== 'add') fail(`${file} does not exist: start with add`);
  else fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const result =
    step === 'add'
      ? await addKey(keys, alg, t)
      : step === 'promote'
        ? promoteKey(keys, t)
        : step === 'retire'
          ? retireKeys(keys, t)
          : pruneKeys(keys, t);
  await writeKeyFile(file, result.keys);
  process.stdout.write(`${JSON.stringify({ file, ...result.report })}\n`);
}

main().catch((err: unknown) => fail((err as Error).message));
