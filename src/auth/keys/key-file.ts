/**
 * Reading and writing the key file: private keys, so the file must be readable by its owner only,
 * and a rotation step replaces it whole (write a temporary file, then rename) so an instance polling
 * it never reads half a file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { KeySetError, type StoredJwk } from './key-set';

/** Permission bits that let anyone but the owner read or write the file. */
const OPEN_BITS = 0o077;

/** The file's text and mtime; throws {@link KeySetError} when its mode lets group or others in. */
export async function readPrivateFile(file: string): Promise<{ text: string; mtimeMs: number }> {
  const handle = await fs.open(file, 'r');
  try {
    const stat = await handle.stat();
    if (process.platform !== 'win32' && (stat.mode & OPEN_BITS) !== 0)
      throw new KeySetError(`${file} is readable by others (mode ${(stat.mode & 0o777).toString(8)}): chmod 600 it`);
    return { text: await handle.readFile('utf8'), mtimeMs: stat.mtimeMs };
  } finally {
    await handle.close();
  }
}

/** Writes `keys` as a JWK Set, mode 0600, replacing `file` in one rename. */
export async function writeKeyFile(file: string, keys: readonly StoredJwk[]): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  await fs.writeFile(temp, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

/**
 * Creates `file` with `keys` only if it does not exist yet: false when another process (a cluster
 * worker starting at the same moment) made it first.
 */
export async function createKeyFile(file: string, keys: readonly StoredJwk[]): Promise<boolean> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await fs.writeFile(file, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
