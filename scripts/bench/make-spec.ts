/**
 * Generates OpenAPI 3.1 documents of any size for the pipeline benchmark (scripts/bench-pipeline.ts).
 *
 * Each resource n contributes two paths and four operations, all with `security: []`:
 *   GET  /v1/res{n}        listRes{n}     query: limit (integer 1..100), cursor (string)  → 200 page
 *   POST /v1/res{n}        createRes{n}   body: $ref Res{n}Input                          → 201 record
 *   GET  /v1/res{n}/{id}   getRes{n}      path: id                                       → 200 record
 *   POST /v1/res{n}/{id}   replaceRes{n}  path: id, body: $ref Res{n}Input                → 200 record
 * Every operation also documents a 400 problem+json response. Res{n}Input has a few typed
 * properties and `unevaluatedProperties: false` (a 2020-12 keyword), so a body with an unknown
 * member must be rejected by a validator that really implements JSON Schema 2020-12.
 */
import type { OpenApiDocument } from '../../src/pipeline/compile/document';

export interface GeneratedSpecOptions {
  /** Number of resources; the document has 2 paths and 4 operations per resource. */
  resources: number;
}

/** A body that is valid against every Res{n}Input. */
export const VALID_BODY = { name: 'widget', count: 3, tags: ['a', 'b'], active: true } as const;
/** A body that only `unevaluatedProperties: false` rejects. */
export const BODY_WITH_UNKNOWN_MEMBER = { name: 'widget', count: 3, extra: 'not in the schema' } as const;

/** A record as the handlers return it (matches Res{n}). */
export function sampleRecord(id: string): Record<string, unknown> {
  return { id, name: 'widget', count: 3, tags: ['a', 'b'], active: true };
}

/** Builds a document with `4 × resources` operations. */
export function makeSpec({ resources }: GeneratedSpecOptions): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {
    Problem: {
      type: 'object',
      required: ['type', 'title', 'status'],
      properties: {
        type: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'integer', minimum: 400, maximum: 599 },
        detail: { type: 'string' },
      },
    },
  };
  const badRequest = {
    description: 'The request is invalid.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 36, pattern: '^[A-Za-z0-9-]+$' } };

  for (let n = 0; n < resources; n++) {
    const R = `Res${n}`;
    schemas[`${R}Input`] = {
      type: 'object',
      required: ['name', 'count'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 100 },
        count: { type: 'integer', minimum: 0, maximum: 1_000_000 },
        tags: { type: 'array', items: { type: 'string', maxLength: 32 }, maxItems: 10 },
        active: { type: 'boolean' },
      },
      unevaluatedProperties: false,
    };
    schemas[R] = {
      type: 'object',
      required: ['id', 'name', 'count'],
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        count: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string' } },
        active: { type: 'boolean' },
      },
    };
    const record = (description: string) => ({
      description,
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${R}` } } },
    });
    const body = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${R}Input` } } } };

    paths[`/v1/res${n}`] = {
      get: {
        operationId: `list${R}`,
        summary: `List res${n}`,
        security: [],
        parameters: [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string', maxLength: 64 } },
        ],
        responses: {
          '200': {
            description: 'A page.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['items'],
                  properties: { items: { type: 'array', items: { $ref: `#/components/schemas/${R}` } }, next: { type: 'string' } },
                },
              },
            },
          },
          '400': badRequest,
        },
      },
      post: {
        operationId: `create${R}`,
        summary: `Create a res${n}`,
        security: [],
        requestBody: body,
        responses: { '201': record('Created.'), '400': badRequest },
      },
    };
    paths[`/v1/res${n}/{id}`] = {
      get: {
        operationId: `get${R}`,
        summary: `Get a res${n}`,
        security: [],
        parameters: [idParam],
        responses: { '200': record('The record.'), '400': badRequest },
      },
      post: {
        operationId: `replace${R}`,
        summary: `Replace a res${n}`,
        security: [],
        parameters: [idParam],
        requestBody: body,
        responses: { '200': record('Replaced.'), '400': badRequest },
      },
    };
  }

  return {
    openapi: '3.1.0',
    info: { title: `generated (${resources * 4} operations)`, version: '1.0.0' },
    security: [],
    paths,
    components: { schemas },
  } as OpenApiDocument;
}
