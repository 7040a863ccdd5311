/**
 * The validators `npm run build` compiles for the document (src/pipeline/compile/validator-cache.ts,
 * precompile-validators.ts), which the compiled service loads instead of compiling its schemas:
 * they are what the SchemaCompiler compiles at start-up, verdicts, errors, coercions and defaults
 * alike, and they serve exactly the document they were built for.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { loadDocument, resolveRef } from '../../src/pipeline/compile/document';
import { compileOperations } from '../../src/pipeline/compile/operations';
import { writeValidators } from '../../src/pipeline/compile/precompile-validators';
import { SchemaCompiler } from '../../src/pipeline/compile/schema-compiler';
import { cachedValidators } from '../../src/pipeline/compile/validator-cache';
import { SchemaArbitraries } from '../support/schema-arbitrary';

const doc = loadDocument();
// Inside the project, so that the module's own requires (ajv's runtime) resolve as from dist/.
const dir = path.resolve(__dirname, '../../test-output', `validator-cache-${process.pid}`);
let compiled: ReturnType<typeof cachedValidators>;
let cached: ReturnType<typeof compileOperations>;
let fresh: ReturnType<typeof compileOperations>;

beforeAll(() => {
  writeValidators(doc, dir);
  compiled = cachedValidators(doc, dir);
  expect(compiled).toBeDefined();
  cached = compileOperations(doc, new SchemaCompiler(doc, { compiled }));
  fresh = compileOperations(doc, new SchemaCompiler(doc, { compiled: undefined }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Validate = (data: unknown) => boolean;
/** Both validators' verdict, errors and what they left of the data (coerced, defaults filled in). */
function expectSame(a: Validate & { errors?: unknown }, b: Validate & { errors?: unknown }, value: unknown) {
  const [x, y] = [structuredClone(value), structuredClone(value)];
  expect([a(x), a.errors ?? null, x]).toEqual([b(y), b.errors ?? null, y]);
}

it('serves only the document it was built for', () => {
  expect(cachedValidators(structuredClone(doc), dir)).toBeDefined();
  const edited = { ...doc, info: { ...doc.info, version: `${doc.info.version}-edited` } };
  expect(cachedValidators(edited, dir)).toBeUndefined();
});

it('covers every validator compiled at start-up', () => {
  const all = new Set([...Object.values(compiled!.body), ...Object.values(compiled!.coercing)]);
  for (const op of cached) {
    for (const set of Object.values(op.parameters)) if (set) expect(all.has(set.validate)).toBe(true);
    for (const validate of op.body?.media.values() ?? []) expect(all.has(validate)).toBe(true);
  }
});

it('judges bodies as the compiler does, valid or broken', () => {
  const arbitraries = new SchemaArbitraries(doc);
  cached.forEach((op, i) => {
    for (const [type, validate] of op.body?.media ?? []) {
      const mode = type === 'application/x-www-form-urlencoded' ? 'form' : 'json';
      const body = resolveRef<{ content: Record<string, { schema?: unknown }> }>(doc, op.raw.requestBody);
      const schema = body.content[type]?.schema;
      const valid = arbitraries.valid(schema, mode);
      // Broken: one member of a valid body replaced (or added) with any JSON value; or any JSON at all.
      // (Not SchemaArbitraries.invalid: for some seeds it never finds a mutation that breaks a ClientPatch.)
      const broken = fc.tuple(valid, fc.nat(), fc.string(), fc.jsonValue()).map(([v, n, name, x]) => {
        const keys = Object.keys(v as object);
        return { ...(v as object), [n % 2 && keys.length ? keys[n % keys.length]! : name]: x };
      });
      const value = fc.oneof(valid, broken, fc.jsonValue());
      fc.assert(
        fc.property(value, (v) => expectSame(validate, fresh[i]!.body!.media.get(type)!, v)),
        { numRuns: 40 },
      );
    }
  });
}, 60_000);

it('judges and coerces parameters as the compiler does', () => {
  const text = fc.oneof(fc.string(), fc.integer().map(String), fc.uuid(), fc.constantFrom('true', 'false', ''));
  cached.forEach((op, i) => {
    for (const [location, set] of Object.entries(op.parameters)) {
      if (!set) continue;
      const other = fresh[i]!.parameters[location as keyof typeof op.parameters]!;
      const field = fc.oneof(text, fc.array(text, { maxLength: 3 }));
      const fields = fc.record(Object.fromEntries(set.names.map((n) => [n, field])), { requiredKeys: [] });
      fc.assert(
        fc.property(fields, (v) => expectSame(set.validate, other.validate, v)),
        { numRuns: 30 },
      );
    }
  });
}, 60_000);

it('refuses a "urn:uuid:" id as the compiler does (its uuid format, not ajv-formats\')', () => {
  const byId = cached.find((op) => op.parameters.path?.uuids.size);
  expect(byId).toBeDefined();
  const [name] = byId!.parameters.path!.uuids;
  expect(byId!.parameters.path!.validate({ [name!]: 'urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8' })).toBe(false);
  expect(byId!.parameters.path!.validate({ [name!]: '6ba7b810-9dad-11d1-80b4-00c04fd430c8' })).toBe(true);
});
