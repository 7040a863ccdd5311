/**
 * Checks a response against the document: the status is documented, the media type is one the
 * document lists for it, the declared headers match their schemas and the body matches its schema.
 * Used by the pipeline on handler results (dev and test) and by the tests on every HTTP response.
 * Validators are compiled on first use and kept: once per (operation, status, media type).
 */
import type { ValidateFunction } from 'ajv';
import { mediaTypeOf } from '../../http/negotiate';
import type { CompiledOperation, CompiledResponse } from './operations';
import { type SchemaCompiler, toViolations } from './schema-compiler';

/** The parts of a response that are checked. Header names are lower-case. */
export interface ResponseShape {
  status: number;
  headers?: Record<string, string | number | string[] | undefined>;
  /** The parsed body (JSON) or the text; undefined when there is none. */
  body?: unknown;
  contentType?: string;
  /** A HEAD response: headers are checked, the (absent) body is not. */
  head?: boolean;
}

export class ResponseValidator {
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(private readonly compiler: SchemaCompiler) {}

  /** The documented response for a status: exact code, then `4XX`-style range, then `default`. */
  static lookup(op: CompiledOperation, status: number): CompiledResponse | undefined {
    return (
      op.responses.get(String(status)) ?? op.responses.get(`${String(status)[0]}XX`) ?? op.responses.get('default')
    );
  }

  /** Returns every way `res` departs from the document (empty when it conforms). */
  check(op: CompiledOperation, res: ResponseShape): string[] {
    const problems: string[] = [];
    const documented = ResponseValidator.lookup(op, res.status);
    if (!documented) return [`status ${res.status} is not documented for ${op.operationId}`];
    const headers = res.headers ?? {};
    for (const [name, h] of documented.headers) {
      if (name === 'content-type') continue;
      const value = headers[name];
      if (value === undefined) {
        if (h.required) problems.push(`header ${name} is required`);
        continue;
      }
      const validate = this.compiled(`h:${op.operationId}:${res.status}:${name}`, h.schema, true);
      const coerced = { v: Array.isArray(value) ? value.join(', ') : String(value) };
      if (!validate(coerced))
        problems.push(
          `header ${name}: ${toViolations(validate.errors, 'header')
            .map((v) => v.message)
            .join('; ')}`,
        );
    }
    if (res.head) return problems;
    if (documented.mediaTypes.length === 0) {
      if (res.body !== undefined && res.body !== '')
        problems.push(`status ${res.status} of ${op.operationId} documents no body`);
      return problems;
    }
    if (res.body === undefined) return [...problems, `status ${res.status} of ${op.operationId} must have a body`];
    const type = mediaTypeOf(res.contentType ?? documented.mediaTypes[0]) ?? '';
    if (!documented.mediaTypes.includes(type)) {
      return [
        ...problems,
        `media type ${type} is not documented for ${res.status} (${documented.mediaTypes.join(', ')})`,
      ];
    }
    const validate = this.compiled(`b:${op.operationId}:${res.status}:${type}`, documented.schemas.get(type), false);
    if (!validate(res.body)) {
      problems.push(...toViolations(validate.errors, 'body').map((v) => `body${v.pointer}: ${v.message}`));
    }
    return problems;
  }

  private compiled(key: string, schema: unknown, header: boolean): ValidateFunction {
    let fn = this.cache.get(key);
    if (!fn) {
      fn = header
        ? this.compiler.compileCoercing({ type: 'object', properties: { v: schema } })
        : this.compiler.compileBody(schema ?? {});
      this.cache.set(key, fn);
    }
    return fn;
  }
}
