/**
 * The `discovery` tag: RFC 8414 and RFC 9728 metadata, built once at start-up from the service's
 * facts (src/auth/metadata.ts) and answered as they are.
 */
import { DPOP_ALGORITHMS } from '../../auth/dpop/proof';
import { grants } from '../../auth/grants';
import { authorizationServerMetadata, protectedResourceMetadata, type ServerFacts } from '../../auth/metadata';
import { documentScopes } from '../../auth/scopes';
import type { HandlerDeps } from '../deps';
import type { Handler } from '../types';

/** Long enough to spare clients a fetch per token, short enough that a deploy is seen within minutes. */
const CACHE = { 'cache-control': 'public, max-age=300' };

export function discoveryHandlers(deps: HandlerDeps) {
  const facts: ServerFacts = {
    issuer: deps.publicUrl,
    grantTypes: [...grants(deps).keys()],
    scopes: documentScopes(deps.document),
    // A key file or a generated key: the JWK Set is published (HS256 alone publishes nothing).
    jwks: deps.signingKeys.ring.asymmetric,
    // Confidential clients authenticate either way (RFC 6749 §2.3.1); public clients send only
    // their client_id (`none`). /introspect takes Basic beside a bearer token with tokens:introspect.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    introspectionAuthMethods: ['client_secret_basic'],
    dpopAlgs: DPOP_ALGORITHMS,
  };
  const server = authorizationServerMetadata(facts);
  const resource = protectedResourceMetadata(facts);

  const getAuthorizationServerMetadata: Handler<'getAuthorizationServerMetadata'> = async () => ({
    status: 200,
    headers: CACHE,
    body: server,
  });
  const getProtectedResourceMetadata: Handler<'getProtectedResourceMetadata'> = async () => ({
    status: 200,
    headers: CACHE,
    body: resource,
  });
  return { getAuthorizationServerMetadata, getProtectedResourceMetadata };
}
