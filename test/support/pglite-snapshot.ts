/**
 * An embedded database for a test file in a fraction of PGlite's start-up: initdb and the
 * migrations run once, into a snapshot of the data directory kept under node_modules/.cache (one
 * per PGlite version and migration set), and each file opens its own copy of it in memory. Every
 * file still gets a database no other file touches.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { type Database, openDatabase } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';

const ROOT = path.resolve(__dirname, '..', '..');
const PGLITE_DIST = path.dirname(require.resolve('@electric-sql/pglite'));
const MIGRATIONS = path.join(ROOT, 'src', 'store', 'migrations');

/** The snapshot's file: named by what it was made from, so a new migration makes a new one. */
function snapshotFile(): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(path.join(PGLITE_DIST, '..', 'package.json')));
  for (const name of readdirSync(MIGRATIONS).sort())
    hash.update(name).update(readFileSync(path.join(MIGRATIONS, name)));
  return path.join(ROOT, 'node_modules', '.cache', 'specgate-test', `pglite-${hash.digest('hex').slice(0, 16)}.tar`);
}

async function writeSnapshot(file: string): Promise<void> {
  const pg = await PGlite.create();
  try {
    await migrate(await openDatabase({ pglite: pg }));
    const dump = await pg.dumpDataDir('none');
    mkdirSync(path.dirname(file), { recursive: true });
    // Written under a temporary name, then renamed: two workers making it at once both succeed.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file);
  } finally {
    await pg.close();
  }
}

/** The global WebAssembly, which the ES2023 lib this project compiles against does not declare. */
const wasm = (
  globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<PGliteOptions['pgliteWasmModule']> } }
).WebAssembly;

/**
 * What every database of this file starts from, read once per file: the snapshot (made first if
 * missing) and PGlite's WebAssembly, compiled once rather than once per database.
 */
let inputs: Promise<Pick<PGliteOptions, 'pgliteWasmModule' | 'fsBundle' | 'loadDataDir'>> | undefined;

async function readInputs(): Promise<Pick<PGliteOptions, 'pgliteWasmModule' | 'fsBundle' | 'loadDataDir'>> {
  const file = snapshotFile();
  if (!existsSync(file)) await writeSnapshot(file);
  return {
    pgliteWasmModule: await wasm.compile(readFileSync(path.join(PGLITE_DIST, 'pglite.wasm'))),
    fsBundle: new Blob([readFileSync(path.join(PGLITE_DIST, 'pglite.data'))]),
    loadDataDir: new Blob([readFileSync(file)]),
  };
}

/** A migrated PGlite database of this file's own, opened from the snapshot. */
export async function openTestPglite(): Promise<Database> {
  inputs ??= readInputs();
  inputs.catch(() => {
    inputs = undefined;
  });
  return openDatabase({ pglite: await PGlite.create(await inputs) });
}
