/**
 * Compiles the document's schemas with Ajv's JSON Schema 2020-12 build, which OpenAPI 3.1 uses.
 * (A draft-07 Ajv, as openapi-backend uses, rejects or silently ignores 2020-12 keywords such as
 * `prefixItems` and `unevaluatedProperties`.)
 *
 * Component schemas are registered once under `specgate:/components/schemas/<Name>` and every
 * `#/components/schemas/...` reference is rewritten to that id, so recursive schemas work and each
 * component is compiled once however many operations use it.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Violation } from '../../core/errors';
import { UUID } from '../../core/uuid';
import type { OpenApiDocument } from './document';

const ID_BASE = 'specgate:';

/** OpenAPI keywords that are not JSON Schema vocabulary but may appear inside schemas. */
const OPENAPI_KEYWORDS = ['discriminator', 'xml', 'externalDocs', 'example'];

/** Two Ajv instances over one document: bodies are validated as sent; parameters are coerced. */
export class SchemaCompiler {
  private readonly strictAjv: Ajv2020;
  private readonly coercingAjv: Ajv2020;

  constructor(doc: OpenApiDocument) {
    const make = (coerceTypes: boolean | 'array', validateSchema: boolean) => {
      const ajv = new Ajv2020({
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
      });
      addFormats(ajv);
      // ajv-formats' uuid also takes a "urn:uuid:" prefix; RFC 9562's string form (and our store)
      // does not, so such an id would pass validation and then match nothing: refuse it with a 400.
      ajv.addFormat('uuid', UUID);
      ajv.addKeyword({ keyword: OPENAPI_KEYWORDS.filter((k) => k !== 'discriminator') });
      for (const [schemaName, schema] of Object.entries(doc.components?.schemas ?? {})) {
        ajv.addSchema(
          rewriteRefs({ ...(schema as object), $id: `${ID_BASE}/components/schemas/${schemaName}` }) as object,
          undefined,
          undefined,
          validateSchema,
        );
      }
      return ajv;
    };
    this.strictAjv = make(false, true);
    // The same components, and schemas that the strict instance checks before this one compiles
    // them: checking against the 2020-12 meta-schema first compiles it, some 80 ms per instance.
    this.coercingAjv = make('array', false);
  }

  /** Compiles a body schema (no type coercion: JSON carries its own types). */
  compileBody(schema: unknown): ValidateFunction {
    return this.strictAjv.compile(rewriteRefs(schema ?? {}) as object);
  }

  /** Compiles a schema for string-sourced values (path, query, header, form fields), coercing types. */
  compileCoercing(schema: unknown): ValidateFunction {
    const rewritten = rewriteRefs(schema ?? {}) as object;
    // Throws "schema is invalid: …", as compiling it with validateSchema on would.
    this.strictAjv.validateSchema(rewritten, true);
    return this.coercingAjv.compile(rewritten);
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
