/**
 * bench:ab's baseline tree: a detached git worktree of the revision asked for, in a fresh temp
 * directory, removed when the bench exits (even on Ctrl-C). The servers run from source with tsx,
 * as bench:http's do, so nothing is built: dist/'s start-up caches are never read from src/.
 * node_modules: when the revision's package-lock.json is this tree's, the revision runs on this
 * tree's node_modules through a symlink (node resolves a module to its real path, so both load the
 * very same installed files, which `npm ci` would have reproduced from the same lock); otherwise
 * `npm ci` installs the revision's own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** This tree: the repository the bench runs from. */
export const ROOT = path.join(__dirname, '..');

export interface Tree {
  dir: string;
  sha: string;
  /** The commit's subject line. */
  subject: string;
  /** How it got its packages. */
  nodeModules: 'linked to this tree' | 'npm ci';
  /** package.json's start script, which sets the servers' node flags and allocator environment. */
  startScript: string;
}

const git = (args: string[], cwd = ROOT) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const startScriptOf = (packageJson: string) =>
  (JSON.parse(packageJson) as { scripts: { start: string } }).scripts.start;

/** Checks out `rev` in a temp worktree with its packages; the worktree goes when this process exits. */
export function checkoutTree(rev: string): Tree {
  const sha = git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  const dir = mkdtempSync(path.join(os.tmpdir(), `specgate-ab-${sha.slice(0, 8)}-`));
  git(['worktree', 'add', '--detach', '--quiet', dir, sha]);
  process.on('exit', () => removeTree(dir));
  if (!existsSync(path.join(dir, 'bench', 'server.ts'))) throw new Error(`${rev} has no bench/server.ts to run`);
  const sameLock =
    git(['show', `${sha}:package-lock.json`]) === readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8').trim();
  if (sameLock) symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  else {
    process.stderr.write(`bench:ab: ${rev}'s package-lock.json differs from this tree's: npm ci in ${dir}\n`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: ['ignore', 2, 2] });
  }
  return {
    dir,
    sha,
    subject: git(['log', '-1', '--format=%s', sha]),
    nodeModules: sameLock ? 'linked to this tree' : 'npm ci',
    startScript: startScriptOf(readFileSync(path.join(dir, 'package.json'), 'utf8')),
  };
}

/** `git worktree remove --force`: the directory and git's record of it. */
function removeTree(dir: string): void {
  try {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    process.stderr.write(`bench:ab: could not remove the worktree ${dir}: git worktree remove --force ${dir}\n`);
  }
}

/** This tree's commit, and whether its files differ from it. */
export function thisTree(): { sha: string; dirty: boolean; startScript: string } {
  return {
    sha: git(['rev-parse', 'HEAD']),
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    startScript: startScriptOf(readFileSync(path.join(ROOT, 'package.json'), 'utf8')),
  };
}
