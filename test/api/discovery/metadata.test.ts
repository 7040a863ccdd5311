/**
 * GET /.well-known/oauth-authorization-server (RFC 8414) and /.well-known/oauth-protected-resource
 * (RFC 9728): the issuer is PUBLIC_URL and exactly the `iss` of the tokens; every endpoint named
 * answers; a 401's challenge leads a client to the resource metadata (RFC 9728 §5.1).
 */
import { decodeJwt } from 'jose';
import { DPOP_ALGORITHMS } from '../../../src/auth/dpop/proof';
import { documentScopes } from '../../../src/auth/scopes';
import { loadDocument } from '../../../src/pipeline/compile/document';
import { startTestApp, type TestApp } from '../../support/app';
import { challengeOf } from '../../support/challenges';
import { client } from '../../support/contract';

const PUBLIC_URL = 'https://api.example.test';
let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ env: { PUBLIC_URL } });
  api = client(t.url);
  await t.createUser('meta', 'meta-password-1', ['items:read']);
});
afterAll(() => t.stop());

/** The path of a URL the metadata names, to call it on the test server. */
const pathOf = (url: string) => {
  expect(url.startsWith(`${PUBLIC_URL}/`)).toBe(true);
  return url.slice(PUBLIC_URL.length);
};

describe('authorization server metadata', () => {
  it('names PUBLIC_URL as the issuer, which is the iss of every token', async () => {
    const res = await api.get('/.well-known/oauth-authorization-server');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.body.issuer).toBe(PUBLIC_URL);
    const token = await api.login('meta', 'meta-password-1');
    expect(decodeJwt(token).iss).toBe(res.body.issuer);
  });

  it('lists the grants, the scopes of the document and endpoints that answer', async () => {
    const { body } = await api.get('/.well-known/oauth-authorization-server');
    expect(body.grant_types_supported).toEqual(expect.arrayContaining(['password', 'refresh_token']));
    expect(body.scopes_supported).toEqual(documentScopes(loadDocument()));
    // The authorization code flow (RFC 6749 §4.1): PKCE with S256 only, `iss` in the response (RFC 9207).
    expect(body.authorization_endpoint).toBe(`${PUBLIC_URL}/authorize`);
    expect(body.response_types_supported).toEqual(['code']);
    expect(body.code_challenge_methods_supported).toEqual(['S256']);
    expect(body.authorization_response_iss_parameter_supported).toBe(true);
    expect(body.grant_types_supported).toContain('authorization_code');
    expect(body.grant_types_supported).toContain('client_credentials');
    expect(body.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
    expect(body.revocation_endpoint_auth_methods_supported).toEqual(body.token_endpoint_auth_methods_supported);
    // Introspection is never anonymous (RFC 7662 §2.1): Basic, or a bearer token with tokens:introspect.
    expect(body.introspection_endpoint_auth_methods_supported).toEqual(['client_secret_basic']);
    // Each endpoint is the service's own: a form without its parameters gets an RFC 6749 error.
    for (const endpoint of [body.token_endpoint, body.revocation_endpoint]) {
      const res = await api.post(pathOf(endpoint), { form: {} });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
    expect((await api.post(pathOf(body.introspection_endpoint), { form: { token: 'x' } })).status).toBe(401);
    expect((await api.get(pathOf(body.service_documentation), { headers: { accept: 'text/html' } })).status).toBe(200);
  });
});

describe('PASSWORD_GRANT', () => {
  it('disabled: the password grant is unsupported_grant_type and gone from the metadata; the others stay', async () => {
    const off = await startTestApp({
      env: { PUBLIC_URL, PASSWORD_GRANT: 'disabled' },
      db: t.db,
      redisServer: t.redisServer,
    });
    try {
      const offApi = client(off.url);
      const refused = await offApi.post('/token', {
        form: { grant_type: 'password', username: 'meta', password: 'meta-password-1' },
      });
      expect([refused.status, refused.body.error]).toEqual([400, 'unsupported_grant_type']);
      expect(refused.body.error_description).not.toContain('password');
      const { body } = await offApi.get('/.well-known/oauth-authorization-server');
      expect(body.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials']);
    } finally {
      await off.stop();
    }
  });

  it('enabled (the default): the password grant is served and listed', async () => {
    expect(
      (await api.post('/token', { form: { grant_type: 'password', username: 'meta', password: 'meta-password-1' } }))
        .status,
    ).toBe(200);
    const { body } = await api.get('/.well-known/oauth-authorization-server');
    expect(body.grant_types_supported).toEqual([
      'authorization_code',
      'password',
      'refresh_token',
      'client_credentials',
    ]);
  });
});

describe('protected resource metadata', () => {
  it('is where a 401 challenge points, and names this service as the authorization server', async () => {
    const refused = await api.get('/me');
    expect(refused.status).toBe(401);
    const url = challengeOf(refused.headers['www-authenticate'], 'Bearer')?.resource_metadata;
    expect(url).toBe(`${PUBLIC_URL}/.well-known/oauth-protected-resource`);
    const res = await api.get(pathOf(url!));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.body).toEqual({
      resource: PUBLIC_URL,
      authorization_servers: [PUBLIC_URL],
      scopes_supported: documentScopes(loadDocument()),
      bearer_methods_supported: ['header'],
      resource_documentation: `${PUBLIC_URL}/docs`,
      dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    });
  });
});
