/**
 * The environment variable names the service understands, as the deployment tests see them: every
 * name src/core/config.ts reads, found in its source (the config module is the only reader of
 * process.env), plus the names of issue 12's topologies while they are still being added there.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/**
 * Issue 12's new variables, implemented in src/core/config.ts in parallel with the deployment files.
 * Until that lands, the deployment files may use them; once config.ts reads them, the scan below
 * finds them and this list can be emptied (the merger may then delete it).
 */
export const PENDING_CONFIG_VARIABLES: readonly string[] = [
  'REDIS_CLUSTER_NODES',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_MASTER',
  'REDIS_SENTINEL_PASSWORD',
  'WORKERS',
  'DATABASE_POOL_MAX',
];

/**
 * Every name config.ts reads: a call whose first argument is the quoted name (`r.str('PORT')`,
 * `r.int('PORT', ...)`, whatever reader helpers it grows) or a property of `env`.
 */
export function configReadNames(): string[] {
  const source = readFileSync(path.join(root, 'src', 'core', 'config.ts'), 'utf8');
  const found = [...source.matchAll(/\b[a-z]\w*\(\s*'([A-Z][A-Z0-9_]*)'|\benv\.([A-Z][A-Z0-9_]*)/g)].map(
    (m) => m[1] ?? m[2]!,
  );
  return [...new Set(found)];
}

/** The names a deployment file may set: what config.ts reads, and the pending ones. */
export function knownConfigNames(): Set<string> {
  return new Set([...configReadNames(), ...PENDING_CONFIG_VARIABLES]);
}
