/**
 * The errors specgate raises on purpose, and the one mapping from an error to an HTTP response:
 * RFC 9457 problem+json everywhere, RFC 6749 §5.2 error JSON on OAuth endpoints.
 *
 * Every such error is a {@link ServiceError} with a stable `code` (jose's JOSEError pattern: the
 * code is on the class and on each instance); callers branch with `instanceof` or on `code`, never
 * on the message. {@link renderError} answers an {@link ApiError} with its problem, a
 * {@link DependencyUnavailableError} with 503 `unavailable` + `Retry-After`, and anything else
 * with a 500 that reveals nothing but the request id.
 */
import { cutEcho } from './echo';
import { renderErrorPage } from './error-page';
import { pageHeaders } from './html-page';
import {
  DEFAULT_PROBLEM_TYPE_BASE,
  OAUTH_STATUS,
  type OAuthErrorCode,
  PROBLEMS,
  type ProblemCode,
  problemType,
  type Violation,
} from './problems';

// The catalogue is part of this module's surface: callers import errors and codes from one place.
export * from './problems';

/**
 * The base of specgate's own errors. A class whose errors all mean one thing declares its code
 * twice, `static readonly code` and `readonly code` (e.g. `DependencyUnavailableError.code`);
 * ApiError and OAuthError carry one code of a catalogue per instance and have no class code.
 */
export abstract class ServiceError extends Error {
  static readonly code?: string;
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Optional members of an {@link ApiError}. */
export interface ApiErrorOptions {
  detail?: string;
  errors?: Violation[];
  allow?: string[];
  /** insufficient_scope: the scopes that would have been enough (RFC 6750 §3). */
  scope?: string;
  /** `Retry-After` (429); `unavailable` gets {@link DEPENDENCY_RETRY_AFTER_SECONDS} without it. */
  retryAfterSeconds?: number;
  /** Further response headers (lower-case names), e.g. the RateLimit fields of a 429. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error with a stable code from {@link PROBLEMS}. `detail` must never carry secrets. */
export class ApiError extends ServiceError {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly options: ApiErrorOptions = {},
  ) {
    super(options.detail ?? PROBLEMS[code].title, { cause: options.cause });
    this.status = PROBLEMS[code].status;
  }
}

/** An RFC 6749 §5.2 error raised by an OAuth endpoint itself (e.g. invalid_grant); `code` is `error`. */
export class OAuthError extends ServiceError {
  readonly status: number;
  readonly code: OAuthErrorCode;
  /**
   * `headers`: further response headers (lower-case names), e.g. `dpop-nonce` with `use_dpop_nonce`.
   * `status`: another status than the code's usual one: `invalid_client` is 401 with a challenge
   * when the client used an Authorization header, else 400 (RFC 6749 §5.2).
   */
  constructor(
    readonly error: OAuthErrorCode,
    readonly description?: string,
    readonly headers?: Readonly<Record<string, string>>,
    status?: number,
  ) {
    super(description ?? error);
    this.code = error;
    this.status = status ?? OAUTH_STATUS[error];
  }
}

/** What specgate depends on at run time: the database, the session Redis, the response cache. */
export type Dependency = 'database' | 'redis' | 'cache';

export interface DependencyUnavailableOptions {
  /** What the client is told (the problem's `detail`); defaults to "The <dependency> cannot be reached." */
  detail?: string;
  /** Why, for the logs only (e.g. `ECONNREFUSED`): part of the message, never of the response. */
  reason?: string;
  cause?: unknown;
}

const DEFAULT_DETAIL: Record<Dependency, string> = {
  database: 'The database cannot be reached.',
  redis: 'Redis cannot be reached.',
  cache: 'The response cache cannot be reached.',
};

/**
 * A dependency cannot serve now: refused, reset, timed out, shutting down, out of connections…
 * Whoever raises it names the dependency; {@link renderError} answers every one with 503
 * `unavailable` and `Retry-After` (RFC 9110 §15.6.4, §10.2.3), never a 500.
 */
export class DependencyUnavailableError extends ServiceError {
  static override readonly code = 'dependency_unavailable';
  readonly code = 'dependency_unavailable';
  readonly detail: string;

  constructor(
    readonly dependency: Dependency,
    options: DependencyUnavailableOptions = {},
  ) {
    const detail = options.detail ?? DEFAULT_DETAIL[dependency];
    super(options.reason ? `${dependency} unavailable: ${options.reason}` : detail, { cause: options.cause });
    this.detail = detail;
  }
}

/** Seconds a client is asked to wait (`Retry-After`) when a dependency cannot be reached. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/**
 * How an operation reports errors: from its `x-error-format` in the document. `html`: a small
 * page, for operations a browser navigates to (the sign-in pages).
 */
export type ErrorFormat = 'problem' | 'oauth' | 'html';

/** What {@link renderError} needs to know about the request. */
export interface RenderErrorContext {
  format: ErrorFormat;
  /** The problem's `instance`: the request path, the mount path included when embedded. */
  instance: string;
  requestId: string;
  /** Prefix of problem `type` URIs (config.problemTypeBase, PROBLEM_TYPE_BASE); default {@link DEFAULT_PROBLEM_TYPE_BASE}. */
  typeBase?: string;
  /** The `WWW-Authenticate` value of a 401 or 403: the operation's schemes' challenges. */
  challenge?: string;
}

/** A fully rendered error response. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Maps any thrown value to the response the client gets. Unknown errors become 500 with only the
 * request id; the caller logs the original.
 */
export function renderError(err: unknown, ctx: RenderErrorContext): ErrorResponse {
  const headers: Record<string, string> = {};
  if (err instanceof OAuthError) {
    if (err.headers) Object.assign(headers, err.headers);
    return oauthResponse(err.status, err.error, err.description, headers);
  }
  const apiErr = toApiError(err);
  // The one place the outage rule lives: every `unavailable` says when to come back.
  const retryAfter =
    apiErr.options.retryAfterSeconds ?? (apiErr.code === 'unavailable' ? DEPENDENCY_RETRY_AFTER_SECONDS : undefined);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (apiErr.options.headers) Object.assign(headers, apiErr.options.headers);
  if (apiErr.options.allow) headers.allow = apiErr.options.allow.join(', ');
  // The challenge is the schemes' (src/pipeline/stages/challenge.ts); this module knows none.
  if (ctx.challenge && (apiErr.status === 401 || apiErr.status === 403)) headers['www-authenticate'] = ctx.challenge;
  // RFC 6749 §5.1: every answer of an OAuth endpoint, its problem-document 401/403/405 included,
  // must not be stored.
  if (ctx.format === 'oauth') Object.assign(headers, OAUTH_NO_STORE);

  if (ctx.format === 'html') return htmlResponse(apiErr, ctx.requestId, headers);

  if (ctx.format === 'oauth' && apiErr.status !== 401 && apiErr.status !== 403 && apiErr.status !== 405) {
    const entry = PROBLEMS[apiErr.code];
    const description =
      apiErr.code === 'internal'
        ? `An unexpected error occurred (request id ${ctx.requestId}).`
        : describeForOAuth(apiErr);
    return oauthResponse(entry.status, entry.oauth, description, headers);
  }

  const body: Record<string, unknown> = {
    type: problemType(apiErr.code, ctx.typeBase ?? DEFAULT_PROBLEM_TYPE_BASE),
    title: PROBLEMS[apiErr.code].title,
    status: apiErr.status,
    code: apiErr.code,
  };
  // Every string that may repeat the client's input is cut (./echo.ts): the path, details and
  // violations that name a header value, a property name or a path segment.
  if (apiErr.code !== 'internal' && apiErr.options.detail) body.detail = cutEcho(apiErr.options.detail);
  body.instance = cutEcho(ctx.instance);
  body.request_id = ctx.requestId;
  if (apiErr.options.errors)
    body.errors = apiErr.options.errors.map((v) => ({
      ...v,
      pointer: cutEcho(v.pointer),
      message: cutEcho(v.message),
    }));
  if (apiErr.options.allow) body.allow = apiErr.options.allow;
  headers['content-type'] = 'application/problem+json';
  return { status: apiErr.status, headers, body: JSON.stringify(body) };
}

/** The problem an error is answered with: its own, 503 `unavailable` for an outage, else 500. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DependencyUnavailableError) return new ApiError('unavailable', { detail: err.detail, cause: err });
  return new ApiError('internal', { cause: err });
}

/** Whether `err` is a dependency outage (logged as a warning, not as a bug). */
export function isUnavailable(err: unknown): boolean {
  return toApiError(err).code === 'unavailable';
}

function describeForOAuth(err: ApiError): string {
  if (err.options.errors && err.options.errors.length > 0) {
    return err.options.errors.map((v) => `${v.pointer.slice(1) || v.in}: ${v.message}`).join('; ');
  }
  return err.message;
}

/** RFC 6749 §5.1/§5.2: token endpoint responses, errors included, must not be cached. */
export const OAUTH_NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

function oauthResponse(
  status: number,
  error: OAuthErrorCode,
  description: string | undefined,
  headers: Record<string, string>,
): ErrorResponse {
  Object.assign(headers, OAUTH_NO_STORE);
  headers['content-type'] = 'application/json';
  const body: Record<string, string> = { error };
  if (description) body.error_description = cutEcho(description);
  return { status, headers, body: JSON.stringify(body) };
}

/**
 * An error as a page a person reads in a browser: the status and its headers kept (Retry-After),
 * the title, and the detail of a 4xx with its violations (./error-page.ts); a 5xx names only the
 * request id, as its problem document does. The page's own headers: the sign-in pages' CSP, no
 * framing, no-store.
 */
function htmlResponse(err: ApiError, requestId: string, headers: Record<string, string>): ErrorResponse {
  const { title } = PROBLEMS[err.code];
  const detail =
    err.status < 500 && err.options.detail
      ? err.options.detail
      : err.status === 503
        ? 'The service cannot answer right now. Try again in a moment.'
        : `An unexpected error occurred (request id ${requestId}).`;
  const body = renderErrorPage(title, detail, err.status < 500 ? err.options.errors : undefined);
  Object.assign(headers, pageHeaders(), { 'content-type': 'text/html; charset=utf-8' });
  return { status: err.status, headers, body };
}

/** A 400 `validation_failed` listing every violation (each with where and a JSON pointer). */
export function validationFailed(...violations: Violation[]): ApiError {
  return new ApiError('validation_failed', {
    detail: `The request has ${violations.length} violation${violations.length === 1 ? '' : 's'}.`,
    errors: violations,
  });
}
