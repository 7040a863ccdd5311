/**
 * `specgate/client`: a typed client for the specgate API, built on the generated OpenAPI types and
 * openapi-fetch. Works in browsers and Node (global fetch).
 *
 * @example
 * ```ts
 * import { createSpecgateClient, isProblem } from 'specgate/client';
 *
 * const api = createSpecgateClient({ baseUrl: 'https://api.example.com' });
 * await api.login('alice', password);
 * const { data: item, error } = await api.GET('/v1/items/{itemId}', { params: { path: { itemId } } });
 * if (error) console.error(isProblem(error) ? error.code : error);
 * ```
 *
 * @packageDocumentation
 */
import type { components } from '../../generated/openapi';

export type { components, operations, paths } from '../../generated/openapi';
export type { SignInRequest } from './browser-sign-in';
export { createSpecgateClient, type SpecgateClient, type SpecgateClientOptions, type Tokens } from './client';
export type { DpopAlgorithm, DpopOptions } from './dpop';
export {
  type AuthorizationError,
  isOAuthError,
  isProblem,
  type OAuthError,
  type Problem,
  SignInError,
  type SignInErrorCode,
  SpecgateError,
} from './errors';
export { s256Challenge } from './pkce';
export type { SignInStorage } from './sign-in-storage';

/** An item as the service returns it. */
export type Item = components['schemas']['Item'];
/** An item as a client sends it (create or replace). */
export type ItemInput = components['schemas']['ItemInput'];
/** An RFC 7396 merge patch of an item. */
export type ItemPatch = components['schemas']['ItemPatch'];
/** One page of items. */
export type ItemPage = components['schemas']['ItemPage'];
/** The body of a successful token response. */
export type TokenResponse = components['schemas']['TokenResponse'];
