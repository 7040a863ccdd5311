/**
 * The document's validators as the build compiled them: `npm run build` writes them as code to
 * dist/validator-cache/ (./precompile-validators), and the compiled service loads them instead of
 * compiling its schemas with Ajv at every start (about 250 ms, 100 of them for the 2020-12
 * meta-schema; loading the code takes a few).
 *
 * A module is named by a fingerprint of what its code was made from: the document as parsed, and
 * the versions of ajv and ajv-formats. A document edited after the build, or other versions
 * installed, match no module, and the service compiles its schemas as it does without a build. The
 * code itself comes from the same SchemaCompiler as dist/, built in the same run.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020';
import { fullFormats } from 'ajv-formats/dist/formats';
import { UUID } from '../../core/uuid';
import type { OpenApiDocument } from './document';

/** One document's validators, each under the {@link schemaKey} of the schema it checks. */
export interface CachedValidators {
  /** Bodies, validated as sent. */
  body: Record<string, ValidateFunction>;
  /** Parameters and form fields, coerced from strings. */
  coercing: Record<string, ValidateFunction>;
}

/** dist/validator-cache/ from the compiled dist/src/pipeline/compile/; from src/ (tsx) it never exists. */
export const VALIDATOR_CACHE_DIR = path.resolve(__dirname, '../../../validator-cache');

/**
 * The string formats that the code refers to by name (a RegExp format is written into the code):
 * the SchemaCompiler's, ajv-formats' full set with RFC 9562's uuid.
 */
export const FORMATS = { ...fullFormats, uuid: UUID };

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** The key of a schema, as SchemaCompiler hands it to Ajv (its references rewritten). */
export const schemaKey = (schema: object): string => sha256(JSON.stringify(schema));

/** Where the validators of `doc` are kept, under `dir`. */
export function validatorModule(doc: OpenApiDocument, dir = VALIDATOR_CACHE_DIR): string {
  const versions = ['ajv', 'ajv-formats'].map((p) => (require(`${p}/package.json`) as { version: string }).version);
  return path.join(dir, `${sha256(`${versions.join(' ')}\n${JSON.stringify(doc)}`).slice(0, 32)}.js`);
}

/** The validators the build compiled for exactly `doc`, or undefined when it kept none. */
export function cachedValidators(doc: OpenApiDocument, dir = VALIDATOR_CACHE_DIR): CachedValidators | undefined {
  const file = validatorModule(doc, dir);
  if (!fs.existsSync(file)) return undefined;
  return (require(file) as (formats: typeof FORMATS) => CachedValidators)(FORMATS);
}
