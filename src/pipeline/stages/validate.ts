/**
 * validate: path, query and header parameters against their schemas (coerced, as OpenAPI's style
 * rules say), then the body: its media type (415), its syntax (400) and its schema. Every violation
 * is reported at once, each with where and a JSON pointer. Runs after authorize, so 401/403 come
 * before 400/415 and an anonymous client learns nothing of an operation's input rules.
 */
import { ApiError, type Violation, validationFailed } from '../../core/errors';
import { parseBody } from '../../http/body';
import { readCookies } from '../../http/cookies';
import { multiValues } from '../../http/multi-values';
import { mediaTypeOf } from '../../http/negotiate';
import { type CompiledOperation, type ParameterSet, validateParameters } from '../compile/operations';
import { toViolations } from '../compile/schema-compiler';
import type { ParameterValues, RequestContext, RoutedContext, ValidatedContext } from '../context';

/** The request's path and query parameters, validated once (the cache key needs them before validate). */
export function parameters(ctx: RoutedContext): ParameterValues {
  if (ctx.parameters) return ctx.parameters;
  const { op } = ctx.route;
  const path = validateParameters(op.parameters.path, 'path', ctx.pathParams);
  // An operation without query parameters ignores the query string: nothing to collect.
  const raw = op.parameters.query && ctx.rawQuery !== '' ? multiValues(ctx.rawQuery) : {};
  const query = validateParameters(op.parameters.query, 'query', raw);
  const violations = [...path.violations, ...query.violations];
  collectNul(path.values, 'path', '', violations);
  collectNul(query.values, 'query', '', violations);
  return (ctx.parameters = { params: path.values, query: query.values, violations });
}

/** Returns only once the request is valid, with the handler's request set; else throws 400 or 415. */
export type Validate = (ctx: RoutedContext) => asserts ctx is ValidatedContext;

export function validateStage(trust: (ctx: RequestContext) => string): Validate {
  return function validate(ctx: RoutedContext): asserts ctx is ValidatedContext {
    const { op } = ctx.route;
    const { params, query, violations: found } = parameters(ctx);
    const headers = validateParameters(op.parameters.header, 'header', ctx.req.headers as Record<string, string>);
    const cookieSet = op.parameters.cookie;
    // Only an operation that declares cookies reads the header: the others parse nothing.
    const cookies = cookieSet
      ? validateParameters(cookieSet, 'cookie', readCookies(ctx.req.headers.cookie, cookieSet.names))
      : undefined;
    const violations = cookies
      ? [...found, ...headers.violations, ...cookies.violations]
      : [...found, ...headers.violations];
    const body = op.body ? readInput(ctx, op.body, violations) : undefined;
    if (violations.length) throw validationFailed(...violations);
    ctx.input = {
      operationId: op.operationId,
      method: ctx.method,
      path: ctx.path,
      base: ctx.base,
      params,
      query,
      headers: documentedNames(op.parameters.header, headers.values),
      cookies: cookies?.values ?? {},
      body,
      principal: ctx.principal,
      requestId: ctx.requestId,
      ip: trust(ctx),
      authorization: ctx.req.headers.authorization,
      raw: ctx.req,
    };
  };
}

/** Header values under the names the document spells (`If-Match`), as the generated types have them. */
function documentedNames(set: ParameterSet | undefined, values: Record<string, unknown>): Record<string, unknown> {
  if (!set) return values;
  const out: Record<string, unknown> = {};
  set.names.forEach((name, i) => {
    const value = values[name];
    const documented = set.documented[i];
    if (value !== undefined && documented !== undefined) out[documented] = value;
  });
  return out;
}

/** The body parsed as its declared media type and checked against its schema. */
function readInput(
  ctx: RoutedContext,
  declared: NonNullable<CompiledOperation['body']>,
  violations: Violation[],
): unknown {
  const contentType = ctx.req.headers['content-type'];
  const raw = ctx.rawBody;
  const empty = !raw || raw.length === 0;
  if (empty && !contentType) {
    if (declared.required) violations.push({ in: 'body', pointer: '', message: 'a request body is required' });
    return undefined;
  }
  const type = mediaTypeOf(contentType);
  const check = type ? declared.media.get(type) : undefined;
  if (!contentType || !type || !check)
    throw new ApiError('unsupported_media_type', {
      detail: `Send the body as ${[...declared.media.keys()].join(' or ')}.`,
    });
  if (empty) {
    if (declared.required) violations.push({ in: 'body', pointer: '', message: 'a request body is required' });
    return undefined;
  }
  const body = parseBody(raw, type, contentType);
  if (!check(body)) violations.push(...toViolations(check.errors, 'body'));
  // JSON can only carry U+0000 as the escape \u0000, a form as %00: look only then.
  if (raw.includes('\\u0000') || raw.includes('%00')) collectNul(body, 'body', '', violations);
  return body;
}

/**
 * No string of a request may hold U+0000: PostgreSQL text cannot store it (SQLSTATE 22021), so
 * such a value would pass the schema and fail in the store with a 500. Refused for every operation
 * (info.description says so), so a new resource's handlers never meet one.
 */
function collectNul(value: unknown, location: Violation['in'], pointer: string, out: Violation[]): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push({ in: location, pointer, message: 'must not contain U+0000 (NUL)' });
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectNul(value[i], location, `${pointer}/${i}`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value))
      collectNul(v, location, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  }
}
