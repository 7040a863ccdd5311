/**
 * Generates OpenAPI 3.1 documents of any size for the pipeline benchmark (bench/pipeline.ts).
 *
 * Each resource n contributes two paths and four operations, all with `security: []`:
 *   GET  /v1/res{n}        listRes{n}     query: limit (integer 1..100), cursor (string)  → 200 page
 *   POST /v1/res{n}        createRes{n}   body: $ref Res{n}Input                          → 201 record
 *   GET  /v1/res{n}/{id}   getRes{n}      path: id                                       → 200 record
 *   POST /v1/res{n}/{id}   replaceRes{n}  path: id, body: $ref Res{n}Input                → 200 record
 * Every operation also documents a 400 problem+json response. Res{n}Input has a few typed
 * properties and `unevaluatedProperties: false` (a 2020-12 keyword).
 */
import type { OpenApiDocument } from '../src/pipeline/compile/document';

/** A body that is valid against every Res{n}Input. */
export const VALID_BODY = { name: 'widget', count: 3, tags: ['a', 'b'], active: true } as const;

/** A record as the handlers return it (matches Res{n}). */
export const sampleRecord = (id: string) => ({ id, ...VALID_BODY });

const json = (schema: unknown) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const string = { type: 'string' };

/** The parts every resource shares: the Problem schema, the 400 answer, the id and page parameters. */
function sharedParts() {
  const problem = {
    type: 'object',
    required: ['type', 'title', 'status'],
    properties: { type: string, title: string, status: { type: 'integer' }, detail: string },
  };
  const badRequest = {
    description: 'The request is invalid.',
    content: { 'application/problem+json': { schema: ref('Problem') } },
  };
  const id = {
    name: 'id',
    in: 'path',
    required: true,
    schema: { type: 'string', minLength: 1, maxLength: 36, pattern: '^[A-Za-z0-9-]+$' },
  };
  const query = [
    { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } },
    { name: 'cursor', in: 'query', required: false, schema: { type: 'string', maxLength: 64 } },
  ];
  return { problem, badRequest, id, query };
}

type SharedParts = ReturnType<typeof sharedParts>;

/** Res{n}Input (the body clients send) and Res{n} (the record answered), by schema name. */
function resourceSchemas(R: string): Record<string, unknown> {
  return {
    [`${R}Input`]: {
      type: 'object',
      required: ['name', 'count'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 100 },
        count: { type: 'integer', minimum: 0, maximum: 1_000_000 },
        tags: { type: 'array', items: { type: 'string', maxLength: 32 }, maxItems: 10 },
        active: { type: 'boolean' },
      },
      unevaluatedProperties: false,
    },
    [R]: {
      type: 'object',
      required: ['id', 'name', 'count'],
      properties: {
        id: string,
        name: string,
        count: { type: 'integer' },
        tags: { type: 'array', items: string },
        active: { type: 'boolean' },
      },
    },
  };
}

/** The two path items of resource n: the collection (list, create) and one record (get, replace). */
function resourcePaths(n: number, { badRequest, id, query }: SharedParts): Record<string, unknown> {
  const R = `Res${n}`;
  const page = {
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: ref(R) }, next: string },
  };
  const op = (operationId: string, status: string, schema: unknown, extra: object) => ({
    operationId,
    summary: `${operationId} (generated)`,
    security: [],
    ...extra,
    responses: { [status]: { description: 'OK.', content: json(schema) }, '400': badRequest },
  });
  const requestBody = { required: true, content: json(ref(`${R}Input`)) };
  return {
    [`/v1/res${n}`]: {
      get: op(`list${R}`, '200', page, { parameters: query }),
      post: op(`create${R}`, '201', ref(R), { requestBody }),
    },
    [`/v1/res${n}/{id}`]: {
      get: op(`get${R}`, '200', ref(R), { parameters: [id] }),
      post: op(`replace${R}`, '200', ref(R), { parameters: [id], requestBody }),
    },
  };
}

/** Builds a document with 2 paths and 4 operations per resource. */
export function makeSpec(resources: number): OpenApiDocument {
  const shared = sharedParts();
  const schemas: Record<string, unknown> = { Problem: shared.problem };
  const paths: Record<string, unknown> = {};
  for (let n = 0; n < resources; n++) {
    Object.assign(schemas, resourceSchemas(`Res${n}`));
    Object.assign(paths, resourcePaths(n, shared));
  }
  const info = { title: `generated (${resources * 4} operations)`, version: '1.0.0' };
  return { openapi: '3.1.0', info, security: [], paths, components: { schemas } } as OpenApiDocument;
}
