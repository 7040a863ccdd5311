/**
 * The two documented error shapes and how to tell them apart: RFC 9457 problem documents (every
 * operation but the OAuth endpoints) and RFC 6749 §5.2 error responses (/token, /revoke, /introspect).
 * Browser-safe: no Node-only APIs.
 */
import type { components } from '../../generated/openapi';

/** An RFC 9457 problem document; `code` is stable and meant for programs. */
export type Problem = components['schemas']['Problem'];

/** An RFC 6749 §5.2 error response of the OAuth endpoints. */
export type OAuthError = components['schemas']['OAuthError'];

const OAUTH_ERROR_CODES: ReadonlySet<string> = new Set<OAuthError['error']>([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `value` is a {@link Problem} (has the required `type`, `title`, `status` and `code`). */
export function isProblem(value: unknown): value is Problem {
  return (
    isObject(value) &&
    typeof value.type === 'string' &&
    typeof value.title === 'string' &&
    typeof value.status === 'number' &&
    typeof value.code === 'string'
  );
}

/** Whether `value` is an {@link OAuthError} (an `error` code of RFC 6749 §5.2). */
export function isOAuthError(value: unknown): value is OAuthError {
  return (
    isObject(value) &&
    typeof value.error === 'string' &&
    OAUTH_ERROR_CODES.has(value.error) &&
    (value.error_description === undefined || typeof value.error_description === 'string')
  );
}

/**
 * Thrown by the SDK's own calls (`login`, `refresh`, `logout`) when the service answers with an
 * error. The typed request methods (`GET`, `POST`, …) never throw for an HTTP error: they return
 * `{ error, response }` instead.
 */
export class SpecgateError extends Error {
  override readonly name = 'SpecgateError';

  /**
   * @param status - The HTTP status of the answer.
   * @param body - The parsed error body: an {@link OAuthError} from the token endpoint, a
   *   {@link Problem} from the others, or `undefined` when the body was neither.
   */
  constructor(
    readonly status: number,
    readonly body: OAuthError | Problem | undefined,
    message?: string,
  ) {
    super(message ?? describe(status, body));
  }

  /** The machine-readable code: the OAuth `error` or the problem's `code`. */
  get code(): string | undefined {
    if (isOAuthError(this.body)) return this.body.error;
    if (isProblem(this.body)) return this.body.code;
    return undefined;
  }
}

function describe(status: number, body: OAuthError | Problem | undefined): string {
  if (isOAuthError(body))
    return `${status} ${body.error}${body.error_description ? `: ${body.error_description}` : ''}`;
  if (isProblem(body)) return `${status} ${body.code}${body.detail ? `: ${body.detail}` : ''}`;
  return `HTTP ${status}`;
}

/** Narrows an openapi-fetch `error` (parsed JSON, or text when not JSON) to a documented shape. */
export function toErrorBody(error: unknown): OAuthError | Problem | undefined {
  return isOAuthError(error) || isProblem(error) ? error : undefined;
}
