/**
 * The environment variable names the service understands, as the deployment tests see them: every
 * name src/core/config.ts reads, found in its source (the config module is the only reader of
 * process.env), with the OTEL_* names its tracing part (src/core/tracing-config.ts) reads.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/**
 * Every name config.ts reads: a call whose first argument is the quoted name (`r.str('PORT')`,
 * `r.int('PORT', ...)`, whatever reader helpers it grows) or a property of `env`.
 */
export function configReadNames(): string[] {
  const source = ['config.ts', 'tracing-config.ts']
    .map((file) => readFileSync(path.join(root, 'src', 'core', file), 'utf8'))
    .join('\n');
  const found = [...source.matchAll(/\b[a-z]\w*\(\s*'([A-Z][A-Z0-9_]*)'|\benv\.([A-Z][A-Z0-9_]*)/g)].map(
    (m) => m[1] ?? m[2]!,
  );
  return [...new Set(found)];
}

/** The names a deployment file may set: what config.ts reads. */
export function knownConfigNames(): Set<string> {
  return new Set(configReadNames());
}
