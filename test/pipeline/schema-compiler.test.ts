/**
 * A schema that is not valid JSON Schema 2020-12 fails when it is compiled, at start-up, whichever
 * of the two Ajv instances compiles it: a body's (no coercion), a parameter's or a form's
 * (coercing), or a component (registered in both). Only the body instance checks schemas against
 * the meta-schema; the coercing one relies on that check (src/pipeline/compile/schema-compiler.ts).
 */
import type { OpenApiDocument } from '../../src/pipeline/compile/document';
import { SchemaCompiler } from '../../src/pipeline/compile/schema-compiler';

const doc = (schemas: Record<string, unknown>): OpenApiDocument => ({
  openapi: '3.1.0',
  info: { title: 'schemas', version: '1' },
  paths: {},
  components: { schemas },
});

const BAD_MINIMUM = { type: 'object', properties: { id: { type: 'integer', minimum: 'zero' } } };

describe('an invalid schema fails to compile, naming what is wrong', () => {
  const compiler = new SchemaCompiler(doc({ Id: { type: 'integer', minimum: 1 } }));

  it('as a body', () => {
    expect(() => compiler.compileBody(BAD_MINIMUM)).toThrow(
      'schema is invalid: data/properties/id/minimum must be number',
    );
  });

  it('as parameters or form fields (coerced)', () => {
    expect(() => compiler.compileCoercing(BAD_MINIMUM)).toThrow(
      'schema is invalid: data/properties/id/minimum must be number',
    );
  });

  it('as a component', () => {
    expect(() => new SchemaCompiler(doc({ Id: { type: 'integr' } }))).toThrow(/^schema is invalid: data\/type /);
  });
});

it('a coerced schema still validates, through component references', () => {
  const compiler = new SchemaCompiler(doc({ Id: { type: 'integer', minimum: 1 } }));
  const validate = compiler.compileCoercing({
    type: 'object',
    properties: { id: { $ref: '#/components/schemas/Id' } },
    required: ['id'],
  });
  const params: Record<string, unknown> = { id: '12' };
  expect(validate(params)).toBe(true);
  expect(params.id).toBe(12);
  expect(validate({ id: '0' })).toBe(false);
  expect(validate.errors?.[0]).toMatchObject({ instancePath: '/id', keyword: 'minimum' });
});
