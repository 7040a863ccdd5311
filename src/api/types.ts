/**
 * Handler types derived from the generated `operations`: the compiler proves that every operationId
 * has a handler and that each handler returns only documented statuses with documented bodies.
 */
import type { operations } from '../../generated/openapi';
import type { Principal } from '../auth/principal';
import type { ResponseHeaders } from '../http/response';
import type { OperationRequest } from '../pipeline/context';

export type OperationId = keyof operations;

type Params<
  K extends OperationId,
  In extends 'path' | 'query' | 'header' | 'cookie',
> = operations[K]['parameters'] extends {
  [P in In]?: infer T;
}
  ? [T] extends [never] | [undefined]
    ? Record<string, never>
    : NonNullable<T>
  : Record<string, never>;

type RequestBodyOf<K extends OperationId> = operations[K] extends { requestBody?: infer B }
  ? [B] extends [never] | [undefined]
    ? undefined
    : B extends { content: infer C }
      ? C[keyof C]
      : undefined
  : undefined;

/** What the handler of operation K receives (already authenticated and validated). */
export interface HandlerRequest<K extends OperationId>
  extends Omit<OperationRequest, 'params' | 'query' | 'headers' | 'cookies' | 'body' | 'principal' | 'raw'> {
  params: Params<K, 'path'>;
  query: Params<K, 'query'>;
  /** The documented header parameters, validated, under the document's spelling (`If-Match`). */
  headers: Params<K, 'header'>;
  /** The documented cookie parameters, validated, by cookie name. */
  cookies: Params<K, 'cookie'>;
  body: RequestBodyOf<K>;
  /** Set on operations with a security requirement; undefined on public ones. */
  principal: Principal | undefined;
}

type Responses<K extends OperationId> = operations[K]['responses'];

type BodyOf<R> = R extends { content: infer C }
  ? C[keyof C]
  : R extends { content?: infer C }
    ? [C] extends [never] | [undefined]
      ? undefined
      : C[keyof C & string]
    : undefined;

type ResultFor<S, R> =
  undefined extends BodyOf<R>
    ? { status: S; headers?: ResponseHeaders; body?: undefined; contentType?: string }
    : { status: S; headers?: ResponseHeaders; body: BodyOf<R>; contentType?: string };

/**
 * A documented (status, body) pair of operation K. Handlers usually throw ApiError for errors; a
 * documented non-2xx with its own body (readiness 503) is returned like any other.
 */
export type HandlerResponse<K extends OperationId> = {
  [S in keyof Responses<K> & number]: ResultFor<S, Responses<K>[S]>;
}[keyof Responses<K> & number];

export type Handler<K extends OperationId> = (req: HandlerRequest<K>) => Promise<HandlerResponse<K>>;

/** The full map: one handler per operationId of the document, no more, no less. */
export type Handlers = { [K in OperationId]: Handler<K> };
