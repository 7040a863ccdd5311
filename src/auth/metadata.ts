/**
 * What the service tells OAuth clients and resource servers about itself: RFC 8414 authorization
 * server metadata and RFC 9728 protected resource metadata. Every URL is the issuer (PUBLIC_URL)
 * plus the endpoint's path, so the metadata names exactly what tokens carry as `iss`.
 */
import type { components } from '../../generated/openapi';

/** The facts both documents are made of, known at start-up. */
export interface ServerFacts {
  /** PUBLIC_URL, no trailing slash: the issuer identifier and the resource identifier. */
  issuer: string;
  grantTypes: readonly string[];
  scopes: readonly string[];
  /** Whether a JWK Set of public signing keys is served (asymmetric keys; not with HS256). */
  jwks: boolean;
  /** How clients authenticate at the token and revocation endpoints (RFC 8414 §2; `none`: public clients). */
  clientAuthMethods: readonly string[];
  /** How clients authenticate at the introspection endpoint (never `none`: RFC 7662 §2.1). */
  introspectionAuthMethods: readonly string[];
  /** The algorithms a DPoP proof may be signed with (RFC 9449 §5.1); none when DPoP is off. */
  dpopAlgs: readonly string[];
}

export function authorizationServerMetadata(f: ServerFacts): components['schemas']['AuthorizationServerMetadata'] {
  return {
    issuer: f.issuer,
    token_endpoint: `${f.issuer}/token`,
    revocation_endpoint: `${f.issuer}/revoke`,
    introspection_endpoint: `${f.issuer}/introspect`,
    authorization_endpoint: `${f.issuer}/authorize`,
    ...(f.jwks ? { jwks_uri: `${f.issuer}/.well-known/jwks.json` } : {}),
    service_documentation: `${f.issuer}/docs`,
    // The authorization code flow alone (RFC 9700 §2.1.1), PKCE with S256 only, and `iss` in the
    // authorization response against mix-up attacks (RFC 9207 §3).
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    grant_types_supported: [...f.grantTypes],
    token_endpoint_auth_methods_supported: [...f.clientAuthMethods],
    revocation_endpoint_auth_methods_supported: [...f.clientAuthMethods],
    introspection_endpoint_auth_methods_supported: [...f.introspectionAuthMethods],
    scopes_supported: [...f.scopes],
    ...(f.dpopAlgs.length ? { dpop_signing_alg_values_supported: [...f.dpopAlgs] } : {}),
  };
}

export function protectedResourceMetadata(f: ServerFacts): components['schemas']['ProtectedResourceMetadata'] {
  return {
    resource: f.issuer,
    authorization_servers: [f.issuer],
    scopes_supported: [...f.scopes],
    // RFC 6750 §2.1 only: the query and the body are never read for a token.
    bearer_methods_supported: ['header'],
    resource_documentation: `${f.issuer}/docs`,
    ...(f.dpopAlgs.length ? { dpop_signing_alg_values_supported: [...f.dpopAlgs] } : {}),
  };
}
