/**
 * bench:startup measures the compiled service (`npm start` runs `node dist/src/main.js`), so dist/
 * must be the build of the sources in the tree: it is built (`npm run build`) when it is missing or
 * older than any input of the build, rather than measuring stale code or failing.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');
export const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/** What `npm run build` reads: the sources, the document and types, the scripts, and its settings. */
const INPUTS = ['src', 'generated', 'openapi', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest modification time (ms) under `file`, a file or a directory. */
function newest(file: string): number {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(file).reduce((max, name) => Math.max(max, newest(path.join(file, name))), stat.mtimeMs);
}

/** Why dist/ must be built first, or undefined when it is up to date. */
export function staleBuild(): string | undefined {
  const built = statSync(MAIN, { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return 'dist/ is missing';
  const changed = INPUTS.find((input) => newest(path.join(ROOT, input)) > built);
  return changed ? `${changed} changed after the last build` : undefined;
}

/** Runs `npm run build` when dist/ is missing or stale; returns why it built, or undefined. */
export function ensureBuilt(log: (line: string) => void): string | undefined {
  const why = staleBuild();
  if (!why) return undefined;
  log(`building dist/ (${why}): npm run build`);
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status ?? result.signal})`);
  return why;
}
