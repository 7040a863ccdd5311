/**
 * Everything the pipeline needs to know about one operation, derived once from the document:
 * parameters with compiled validators, request media types with compiled body validators, the media
 * types it produces, its security requirements and its error format. Nothing here runs per request.
 */
import type { ValidateFunction } from 'ajv';
import type { ErrorFormat, Violation } from '../../core/errors';
import { type OpenApiDocument, resolveRef, type SecurityRequirement } from './document';
import { SchemaCompiler, toViolations } from './schema-compiler';

type Location = 'path' | 'query' | 'header' | 'cookie';

export interface ParameterSet {
  /** Parameter names as they appear in the request (headers lower-cased). */
  names: string[];
  /** The same names as the document spells them (the generated types' keys). */
  documented: string[];
  /** Names of array-typed parameters (collected from repeated query keys). */
  arrays: Set<string>;
  /** Names of `format: uuid` parameters, lower-cased after validation (one spelling, one cache key). */
  uuids: Set<string>;
  validate: ValidateFunction;
}

/** A compiled response definition for one status. */
export interface CompiledResponse {
  /** Media types the document lists for this status (empty: no body). */
  mediaTypes: string[];
  schemas: Map<string, unknown>;
  /** Declared response headers, lower-cased, with whether each is required. */
  headers: Map<string, { required: boolean; schema: unknown }>;
}

/** One operation, ready for the hot path. */
export interface CompiledOperation {
  operationId: string;
  method: string;
  path: string;
  security: SecurityRequirement[];
  errorFormat: ErrorFormat;
  parameters: Partial<Record<Location, ParameterSet>>;
  body?: { required: boolean; media: Map<string, ValidateFunction> };
  /** Media types of 2xx responses, for Accept negotiation. */
  produces: string[];
  responses: Map<string, CompiledResponse>;
  /** The raw operation object (extensions such as x-cache are read from here). */
  raw: Record<string, unknown>;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Compiles every operation of `doc`. Throws on an operation without an operationId. */
export function compileOperations(doc: OpenApiDocument, compiler = new SchemaCompiler(doc)): CompiledOperation[] {
  const out: CompiledOperation[] = [];
  for (const [path, rawItem] of Object.entries(doc.paths ?? {})) {
    const item = resolveRef<Record<string, unknown>>(doc, rawItem);
    const shared = ((item.parameters as unknown[]) ?? []).map((p) => resolveRef<Record<string, unknown>>(doc, p));
    for (const method of HTTP_METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const operationId = op.operationId;
      if (typeof operationId !== 'string') throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
      const own = ((op.parameters as unknown[]) ?? []).map((p) => resolveRef<Record<string, unknown>>(doc, p));
      // Operation-level parameters override path-level ones with the same name and location.
      const params = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const responses = compileResponses(doc, op);
      out.push({
        operationId,
        method: method.toUpperCase(),
        path,
        security: (op.security as SecurityRequirement[] | undefined) ?? doc.security ?? [],
        errorFormat: errorFormatOf(op['x-error-format']),
        parameters: {
          path: compileParameters(compiler, params, 'path'),
          query: compileParameters(compiler, params, 'query'),
          header: compileParameters(compiler, params, 'header'),
          // Only an operation that declares cookies parses the Cookie header (stages/validate.ts).
          cookie: compileParameters(compiler, params, 'cookie'),
        },
        body: compileBody(doc, compiler, op),
        produces: [...new Set([...responses].filter(([s]) => s.startsWith('2')).flatMap(([, r]) => r.mediaTypes))],
        responses,
        raw: op,
      });
    }
  }
  return out;
}

/** `x-error-format`: `oauth` (RFC 6749 §5.2 JSON), `html` (a page), else problem+json (RFC 9457). */
function errorFormatOf(declared: unknown): ErrorFormat {
  return declared === 'oauth' || declared === 'html' ? declared : 'problem';
}

function compileParameters(
  compiler: SchemaCompiler,
  params: Record<string, unknown>[],
  location: Location,
): ParameterSet | undefined {
  const mine = params.filter((p) => p.in === location);
  if (mine.length === 0) return undefined;
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const arrays = new Set<string>();
  const uuids = new Set<string>();
  const names: string[] = [];
  const documented: string[] = [];
  for (const p of mine) {
    documented.push(String(p.name));
    const name = location === 'header' ? String(p.name).toLowerCase() : String(p.name);
    const schema = (p.schema as Record<string, unknown> | undefined) ?? {};
    properties[name] = schema;
    names.push(name);
    if (schema.type === 'array') arrays.add(name);
    if (schema.format === 'uuid') uuids.add(name);
    if (p.required === true || location === 'path') required.push(name);
  }
  return {
    names,
    documented,
    arrays,
    uuids,
    validate: compiler.compileCoercing({ type: 'object', properties, required }),
  };
}

function compileBody(
  doc: OpenApiDocument,
  compiler: SchemaCompiler,
  op: Record<string, unknown>,
): CompiledOperation['body'] {
  if (!op.requestBody) return undefined;
  const body = resolveRef<Record<string, unknown>>(doc, op.requestBody);
  const media = new Map<string, ValidateFunction>();
  for (const [type, m] of Object.entries((body.content as Record<string, { schema?: unknown }>) ?? {})) {
    const schema = m.schema ?? {};
    // Form fields arrive as strings: coerce them to the schema's types, as the OpenAPI encoding rules say.
    media.set(
      type.toLowerCase(),
      type === 'application/x-www-form-urlencoded' ? compiler.compileCoercing(schema) : compiler.compileBody(schema),
    );
  }
  return { required: body.required === true, media };
}

function compileResponses(doc: OpenApiDocument, op: Record<string, unknown>): Map<string, CompiledResponse> {
  const out = new Map<string, CompiledResponse>();
  for (const [status, raw] of Object.entries((op.responses as Record<string, unknown>) ?? {})) {
    const r = resolveRef<Record<string, unknown>>(doc, raw);
    const content = (r.content as Record<string, { schema?: unknown }>) ?? {};
    const headers = new Map<string, { required: boolean; schema: unknown }>();
    for (const [name, h] of Object.entries((r.headers as Record<string, unknown>) ?? {})) {
      const header = resolveRef<Record<string, unknown>>(doc, h);
      headers.set(name.toLowerCase(), { required: header.required === true, schema: header.schema ?? {} });
    }
    out.set(status, {
      mediaTypes: Object.keys(content),
      schemas: new Map(Object.entries(content).map(([t, m]) => [t, m.schema ?? {}])),
      headers,
    });
  }
  return out;
}

/** Validates one parameter location; returns the coerced values and any violations. */
export function validateParameters(
  set: ParameterSet | undefined,
  location: Location,
  source: Record<string, string | string[] | undefined>,
): { values: Record<string, unknown>; violations: Violation[] } {
  if (!set) return { values: {}, violations: [] };
  const values: Record<string, unknown> = {};
  for (const name of set.names) {
    const v = source[name];
    if (v === undefined) continue;
    values[name] = set.arrays.has(name) || !Array.isArray(v) ? v : v.length === 1 ? v[0] : v;
  }
  if (set.validate(values)) {
    for (const name of set.uuids)
      if (typeof values[name] === 'string') values[name] = (values[name] as string).toLowerCase();
    return { values, violations: [] };
  }
  return { values, violations: toViolations(set.validate.errors, location) };
}
