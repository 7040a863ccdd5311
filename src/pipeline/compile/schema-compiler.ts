/**
 * Compiles the document's schemas with Ajv's JSON Schema 2020-12 build, which OpenAPI 3.1 uses.
 * (A draft-07 Ajv, as openapi-backend uses, rejects or silently ignores 2020-12 keywords such as
 * `prefixItems` and `unevaluatedProperties`.)
 *
 * Component schemas are registered once under `specgate:/components/schemas/<Name>` and every
 * `#/components/schemas/...` reference is rewritten to that id, so recursive schemas work and each
 * component is compiled once however many operations use it.
 *
 * The compiled service finds most of its validators already compiled by the build for its document
 * (./validator-cache): those are not compiled again, and Ajv itself is only loaded for the others.
 */

import type * as AjvModule from 'ajv/dist/2020';
import type Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import type * as AjvStandalone from 'ajv/dist/standalone';
import type * as AjvFormats from 'ajv-formats';
import type { Violation } from '../../core/errors';
import { UUID } from '../../core/uuid';
import type { OpenApiDocument } from './document';
import { type CachedValidators, cachedValidators, schemaKey } from './validator-cache';

const ID_BASE = 'specgate:';

/** OpenAPI keywords that are not JSON Schema vocabulary but may appear inside schemas. */
const OPENAPI_KEYWORDS = ['discriminator', 'xml', 'externalDocs', 'example'];

export interface SchemaCompilerOptions {
  /**
   * Validators compiled by the build, used for the schemas they cover: by default the build's for
   * this document (./validator-cache), if it kept them.
   */
  compiled?: CachedValidators | undefined;
  /** Keep the code of every validator, for {@link SchemaCompiler.standaloneCode} (the build). */
  keepCode?: boolean;
}

/** Two Ajv instances over one document: bodies are validated as sent; parameters are coerced. */
export class SchemaCompiler {
  private ajv: { strict: Ajv2020; coercing: Ajv2020 } | undefined;
  private readonly compiled: CachedValidators | undefined;
  /** With keepCode: the keys of the schemas compiled, by instance. */
  private readonly kept = { strict: new Set<string>(), coercing: new Set<string>() };

  constructor(
    private readonly doc: OpenApiDocument,
    private readonly opts: SchemaCompilerOptions = {},
  ) {
    this.compiled = opts.keepCode ? undefined : 'compiled' in opts ? opts.compiled : cachedValidators(doc);
    // Without the build's validators the components are compiled now, so an invalid one fails at
    // start-up; the build compiled (and so checked) them for this very document.
    if (!this.compiled) this.instances();
  }

  /** Compiles a body schema (no type coercion: JSON carries its own types). */
  compileBody(schema: unknown): ValidateFunction {
    const rewritten = rewriteRefs(schema ?? {}) as object;
    const ready = this.compiled?.body[schemaKey(rewritten)];
    return ready ?? this.compile('strict', rewritten);
  }

  /** Compiles a schema for string-sourced values (path, query, header, form fields), coercing types. */
  compileCoercing(schema: unknown): ValidateFunction {
    const rewritten = rewriteRefs(schema ?? {}) as object;
    const ready = this.compiled?.coercing[schemaKey(rewritten)];
    if (ready) return ready;
    // Throws "schema is invalid: …", as compiling it with validateSchema on would.
    this.instances().strict.validateSchema(rewritten, true);
    return this.compile('coercing', rewritten);
  }

  /** With keepCode: the code of every validator compiled so far, one CommonJS module per instance. */
  standaloneCode(): { body: string; coercing: string } {
    const standalone = (require('ajv/dist/standalone') as typeof AjvStandalone).default;
    const { strict, coercing } = this.instances();
    const exports = (keys: Set<string>) => Object.fromEntries([...keys].map((k) => [k, k]));
    return {
      body: standalone(strict, exports(this.kept.strict)),
      coercing: standalone(coercing, exports(this.kept.coercing)),
    };
  }

  private compile(instance: 'strict' | 'coercing', schema: object): ValidateFunction {
    const ajv = this.instances()[instance];
    if (!this.opts.keepCode) return ajv.compile(schema);
    // Registered under its key, which names its export in the build's module.
    const key = schemaKey(schema);
    if (!this.kept[instance].has(key)) ajv.addSchema(schema, key);
    this.kept[instance].add(key);
    return ajv.getSchema(key) as ValidateFunction;
  }

  private instances(): { strict: Ajv2020; coercing: Ajv2020 } {
    this.ajv ??= {
      strict: this.make(false, true),
      // The same components, and schemas that the strict instance checks before this one compiles
      // them: checking against the 2020-12 meta-schema first compiles it, some 80 ms per instance.
      coercing: this.make('array', false),
    };
    return this.ajv;
  }

  private make(coerceTypes: boolean | 'array', validateSchema: boolean): Ajv2020 {
    const { default: Ajv, _ } = require('ajv/dist/2020') as typeof AjvModule;
    const ajv = new Ajv({
      allErrors: true,
      coerceTypes,
      validateSchema,
      useDefaults: true,
      strict: true,
      strictRequired: false,
      strictTypes: false,
      strictTuples: false,
      allowUnionTypes: true,
      discriminator: true,
      // Code for the build: formats are then named from `formats`, which the module is given
      // (validator-cache.ts FORMATS, these same formats).
      ...(this.opts.keepCode ? { code: { source: true, formats: _`formats` } } : {}),
    });
    (require('ajv-formats') as typeof AjvFormats).default(ajv);
    // ajv-formats' uuid also takes a "urn:uuid:" prefix; RFC 9562's string form (and our store)
    // does not, so such an id would pass validation and then match nothing: refuse it with a 400.
    ajv.addFormat('uuid', UUID);
    ajv.addKeyword({ keyword: OPENAPI_KEYWORDS.filter((k) => k !== 'discriminator') });
    for (const [schemaName, schema] of Object.entries(this.doc.components?.schemas ?? {})) {
      ajv.addSchema(
        rewriteRefs({ ...(schema as object), $id: `${ID_BASE}/components/schemas/${schemaName}` }) as object,
        undefined,
        undefined,
        validateSchema,
      );
    }
    return ajv;
  }
}

/** Keywords whose value maps names (property names, $defs names) to schemas. */
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas']);

/**
 * Deep copy with `#/components/schemas/X` refs pointed at the registered component ids and `x-`
 * extension members (annotations for tools, not validation keywords) dropped.
 */
function rewriteRefs(value: unknown, isNameMap = false): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!isNameMap && key.startsWith('x-')) continue;
    if (!isNameMap && key === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
      const [name, ...rest] = v.slice('#/components/schemas/'.length).split('/');
      out.$ref = `${ID_BASE}/components/schemas/${name}${rest.length ? `#/${rest.join('/')}` : ''}`;
    } else {
      out[key] = rewriteRefs(v, !isNameMap && NAME_MAPS.has(key));
    }
  }
  return out;
}

/** Turns Ajv errors into violations naming where, which field and why. */
export function toViolations(
  errors: ErrorObject[] | null | undefined,
  location: Violation['in'],
  prefix = '',
): Violation[] {
  if (!errors) return [];
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let ptr = prefix + e.instancePath;
    let message = e.message ?? 'is invalid';
    const p = e.params as Record<string, unknown>;
    if (e.keyword === 'required') {
      ptr += `/${escapePointer(String(p.missingProperty))}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      ptr += `/${escapePointer(String(p.additionalProperty))}`;
      message = 'is not allowed';
    } else if (e.keyword === 'unevaluatedProperties') {
      ptr += `/${escapePointer(String(p.unevaluatedProperty))}`;
      message = 'is not allowed';
    } else if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) {
      message = `must be one of ${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify(p.allowedValue)}`;
    }
    const key = `${ptr}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ in: location, pointer: ptr, message });
  }
  return out;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
