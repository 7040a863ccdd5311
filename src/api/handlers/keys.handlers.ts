/**
 * The `keys` tag: the JWK Set of the public keys access tokens are signed with.
 */

import type { components } from '../../../generated/openapi';
import { jwksView } from '../../auth/keys/jwks';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';

export function keysHandlers(deps: HandlerDeps) {
  const getJwks: Handler<'getJwks'> = async () => ({
    status: 200,
    // jwksView builds each key from its imported public half, whose members are those of PublicJwk.
    body: jwksView(deps.signingKeys.ring, deps.clock()) as components['schemas']['JwkSet'],
    headers: { 'cache-control': `public, max-age=${deps.signingKeys.maxAgeSeconds}` },
  });
  return { getJwks };
}
