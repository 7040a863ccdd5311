/**
 * Where the key ring's keys come from, as the config says, and how it follows the key file: each
 * instance polls the file's identity (inode, mtime, size) and re-reads it when it changed, so a
 * rotation step written to a shared file reaches every instance within one poll interval. A file
 * that turns out broken is logged and ignored: the ring keeps the last good set.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SigningSettings } from '../../core/config';
import type { Logger } from '../../core/logger';
import { hmacKey } from './hmac-key';
import { createKeyFile, readPrivateFile } from './key-file';
import { generateStoredKey } from './key-generation';
import { KeyRing } from './key-ring';
import { loadKeySet } from './key-set';

export interface KeySourceOptions {
  signing: SigningSettings;
  secret: Uint8Array;
  /** Where a development key is generated (DATA_DIR). */
  dataDir: string;
  lifetimeSeconds: number;
  toleranceSeconds: number;
  production: boolean;
  logger: Logger;
  /** Seconds since the epoch. */
  clock: () => number;
}

export interface KeySource {
  ring: KeyRing;
  /** The file followed, if any. */
  file: string | undefined;
  /** Re-reads the file now if it changed (the poll calls this); resolves when done. */
  refresh(): Promise<void>;
  /** Stops following the file. */
  stop(): void;
}

/** The name of the generated development key file under DATA_DIR. */
export const DEV_KEY_FILE = 'signing-keys.json';

/** Opens the ring: throws when the configured key file is missing, too open, or invalid. */
export async function openKeySource(opts: KeySourceOptions): Promise<KeySource> {
  const { signing, logger, clock } = opts;
  const ring = new KeyRing(hmacKey(opts.secret), {
    lifetimeSeconds: opts.lifetimeSeconds,
    toleranceSeconds: opts.toleranceSeconds,
  });
  let file = signing.keysFile;
  if (file === undefined && signing.alg === 'HS256') {
    if (opts.production)
      logger.info('access tokens are signed HS256 with JWT_SECRET: no JWKS is published (set JWT_SIGNING_KEYS_FILE)');
    return { ring, file: undefined, refresh: async () => undefined, stop: () => undefined };
  }
  if (file === undefined) {
    file = path.join(opts.dataDir, DEV_KEY_FILE);
    // Signs at once: a key made with the service's first start was never signed for by another.
    if (await createKeyFile(file, [await generateStoredKey(signing.alg as 'ES256', clock())]))
      logger.info({ file, alg: signing.alg }, 'generated a development signing key');
  }
  const keysFile = file;
  let seen = await identity(keysFile);
  const first = await readPrivateFile(keysFile);
  ring.replace(await loadKeySet(first.text), clock());
  logger.info(
    { file: keysFile, kids: ring.published(clock()).map((k) => k.kid), signer: ring.signer(clock()).kid },
    'signing keys loaded',
  );

  let running: Promise<void> | undefined;
  const reload = async () => {
    const now = await identity(keysFile).catch(() => seen);
    if (now === seen) return;
    seen = now;
    try {
      const { text } = await readPrivateFile(keysFile);
      ring.replace(await loadKeySet(text), clock());
      logger.info(
        { kids: ring.published(clock()).map((k) => k.kid), signer: ring.signer(clock()).kid },
        'signing keys reloaded',
      );
    } catch (err) {
      logger.error(
        { file: keysFile, err: (err as Error).message },
        'signing key file refused: keeping the keys in use',
      );
    }
  };
  const refresh = () => {
    running ??= reload().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => void refresh(), signing.pollMs);
  timer.unref();
  return { ring, file: keysFile, refresh, stop: () => clearInterval(timer) };
}

async function identity(file: string): Promise<string> {
  const s = await fs.stat(file);
  return `${s.ino}:${s.mtimeMs}:${s.size}`;
}
