/**
 * Part of `npm run build` (scripts/build-start-up-caches.js): compiles every validator the service
 * compiles at start-up, for the document it will serve, and writes their code where the service
 * looks for it (./validator-cache). Compiling here also checks every schema, so a document whose
 * schemas Ajv refuses fails the build, as it would fail the service's start.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { OpenApiDocument } from './document';
import { compileOperations } from './operations';
import { SchemaCompiler } from './schema-compiler';
import { VALIDATOR_CACHE_DIR, validatorModule } from './validator-cache';

/** Writes the validators of `doc` as the only module under `dir`; returns its path. */
export function writeValidators(doc: OpenApiDocument, dir = VALIDATOR_CACHE_DIR): string {
  const compiler = new SchemaCompiler(doc, { keepCode: true });
  compileOperations(doc, compiler);
  const { body, coercing } = compiler.standaloneCode();
  // Each instance's code in a scope of its own: both name their functions validate10, validate11, ...
  const scoped = (code: string) => `(() => {\nconst exports = {};\n${code}\nreturn exports;\n})()`;
  const file = validatorModule(doc, dir);
  fs.mkdirSync(dir, { recursive: true });
  for (const old of fs.readdirSync(dir)) if (old.endsWith('.js')) fs.rmSync(path.join(dir, old));
  fs.writeFileSync(
    file,
    [
      '// Written by `npm run build` (src/pipeline/compile/precompile-validators.ts): the validators of one document.',
      `module.exports = (formats) => ({\nbody: ${scoped(body)},\ncoercing: ${scoped(coercing)},\n});`,
      '',
    ].join('\n'),
  );
  return file;
}
