/**
 * specgate as openid-client 6 (panva's OAuth client, the most used in JavaScript) sees it: RFC
 * 8414 discovery, the grants, protected calls, revocation. openid-client checks every response
 * strictly (issuer equality, token response members, challenges), so passing here is what "a
 * standard client accepts it" means. The server listens on plain HTTP on loopback, hence
 * allowInsecureRequests; its PUBLIC_URL is that origin, which discovery requires (RFC 8414 §3.3).
 * The authorization code flow's login page is driven over HTTP here, cookies and CSRF field
 * carried by hand; test/browser/spa-sign-in.test.ts drives it in a browser.
 */
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  jwtVerify,
} from 'jose';
import * as oidc from 'openid-client';
import { ClientsRepository } from '../../src/store/clients.repository';
import { startTestApp, type TestApp } from '../support/app';
import { CookieBrowser } from '../support/sign-in';
import { type TestKeyFile, testKeyFile } from '../support/signing-keys';

let t: TestApp;
let server: URL;
let keyFile: TestKeyFile;

beforeAll(async () => {
  // Signed as a deployment others trust is: asymmetric keys (ES256) published as a JWK Set.
  keyFile = await testKeyFile(['ES256']);
  t = await startTestApp({ publicUrlIsOrigin: true, env: { JWT_SIGNING_KEYS_FILE: keyFile.file } });
  server = new URL(t.config.publicUrl);
  await t.createUser('interop', 'interop-password-1', ['items:read', 'items:write']);
});
afterAll(async () => {
  await t.stop();
  keyFile.remove();
});

const login = (config: oidc.Configuration, options?: oidc.DPoPOptions) =>
  oidc.genericGrantRequest(
    config,
    'password',
    { username: 'interop', password: 'interop-password-1', scope: 'items:read' },
    options,
  );

/** A public client (no secret) that discovered the service. */
const discoverPublic = (clientId = 'interop-app') =>
  oidc.discovery(server, clientId, undefined, oidc.None(), {
    algorithm: 'oauth2',
    execute: [oidc.allowInsecureRequests],
  });

describe('openid-client against specgate', () => {
  it('discovers the authorization server (RFC 8414) and finds the issuer tokens carry', async () => {
    const config = await discoverPublic();
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(t.config.publicUrl);
    expect(metadata.token_endpoint).toBe(`${t.config.publicUrl}/token`);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['password', 'refresh_token']));
  });

  it('logs in with the password grant, calls a protected operation, refreshes, and revokes', async () => {
    const config = await discoverPublic();
    const tokens = await oidc.genericGrantRequest(config, 'password', {
      username: 'interop',
      password: 'interop-password-1',
      scope: 'items:read',
    });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('items:read');
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const me = await oidc.fetchProtectedResource(config, tokens.access_token, new URL('/me', server), 'GET');
    expect(me.status).toBe(200);
    expect(((await me.json()) as { username: string }).username).toBe('interop');

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // The successor works in turn: rotation on every use (RFC 9700 §4.14.2).
    const again = await oidc.refreshTokenGrant(config, refreshed.refresh_token!);
    expect(again.access_token).not.toBe(refreshed.access_token);

    const latest = await oidc.genericGrantRequest(config, 'password', {
      username: 'interop',
      password: 'interop-password-1',
    });
    await oidc.tokenRevocation(config, latest.refresh_token!);
    // The session ended with its refresh token: its access token is refused, and openid-client
    // reads the challenge.
    const after = oidc.fetchProtectedResource(config, latest.access_token, new URL('/me', server), 'GET');
    await expect(after).rejects.toMatchObject({
      code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
      // The DPoP scheme's challenge stands next to Bearer's (RFC 9449 §7.1).
      cause: expect.arrayContaining([
        expect.objectContaining({ scheme: 'bearer', parameters: expect.objectContaining({ error: 'invalid_token' }) }),
      ]),
    });
  });

  it('gets an RFC 6749 error for a wrong password', async () => {
    const config = await discoverPublic();
    await expect(
      oidc.genericGrantRequest(config, 'password', { username: 'interop', password: 'wrong-password-1' }),
    ).rejects.toMatchObject({ code: 'OAUTH_RESPONSE_BODY_ERROR', error: 'invalid_grant', status: 400 });
  });

  it('issues access tokens a resource server verifies with jose from the published JWK Set (RFC 9068 §4)', async () => {
    const config = await discoverPublic();
    const jwksUri = config.serverMetadata().jwks_uri;
    expect(jwksUri).toBe(`${t.config.publicUrl}/.well-known/jwks.json`);
    const { access_token } = await login(config);
    // What another service of the company does: no shared secret, only the issuer's public keys.
    const jwks = createRemoteJWKSet(new URL(jwksUri!));
    const { payload, protectedHeader } = await jwtVerify(access_token, jwks, {
      issuer: t.config.publicUrl,
      audience: t.config.jwt.audience,
      typ: 'at+jwt',
      algorithms: ['ES256'],
      requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: keyFile.keys[0]!.kid });
    expect(payload).toMatchObject({ client_id: 'interop-app', scope: 'items:read' });
  });

  it('binds tokens to a DPoP key through its DPoP handle, for the token endpoint and resource calls (RFC 9449)', async () => {
    const config = await discoverPublic();
    expect(config.serverMetadata().dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const DPoP = oidc.getDPoPHandle(config, keyPair);
    const tokens = await login(config, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({
      jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)),
    });
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');

    const me = await oidc.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL('/me', server),
      'GET',
      null,
      undefined,
      {
        DPoP,
      },
    );
    expect(me.status).toBe(200);
    // Without the key, as a thief would send it: refused, and the challenge says why (RFC 9449 §7.2).
    const stolen = oidc.fetchProtectedResource(config, tokens.access_token, new URL('/me', server), 'GET');
    await expect(stolen).rejects.toMatchObject({ code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    expect(refreshed.token_type).toBe('dpop');
    // The refresh token is bound too: another key cannot use it (RFC 9449 §5).
    const other = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    await expect(
      oidc.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP: other }),
    ).rejects.toMatchObject({
      code: 'OAUTH_RESPONSE_BODY_ERROR',
      status: 400,
    });
  });
});

describe('openid-client as a machine client (client credentials, RFC 6749 §4.4)', () => {
  let registered: { client_id: string; client_secret: string };

  beforeAll(async () => {
    await t.createUser('interop-admin', 'interop-admin-password', ['clients:admin']);
    const admin = await oidc.genericGrantRequest(await discoverPublic(), 'password', {
      username: 'interop-admin',
      password: 'interop-admin-password',
    });
    const res = await fetch(new URL('/v1/clients', server), {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'interop-service',
        grant_types: ['client_credentials'],
        scopes: ['items:read', 'tokens:introspect'],
      }),
    });
    expect(res.status).toBe(201);
    registered = (await res.json()) as typeof registered;
  });

  const discoverConfidential = (auth: oidc.ClientAuth) =>
    oidc.discovery(server, registered.client_id, undefined, auth, {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    });

  it.each([
    ['client_secret_basic', () => oidc.ClientSecretBasic(registered.client_secret)],
    ['client_secret_post', () => oidc.ClientSecretPost(registered.client_secret)],
  ])('gets a token with %s, calls the API with it, and introspects it', async (_method, auth) => {
    const config = await discoverConfidential(auth());
    expect(config.serverMetadata().token_endpoint_auth_methods_supported).toContain(_method);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'items:read' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.refresh_token).toBeUndefined();
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      sub: registered.client_id,
      client_id: registered.client_id,
    });
    const items = await oidc.fetchProtectedResource(config, tokens.access_token, new URL('/v1/items', server), 'GET');
    expect(items.status).toBe(200);

    // Introspection authenticates the client with Basic (the method the metadata lists for it).
    const introspecting = await discoverConfidential(oidc.ClientSecretBasic(registered.client_secret));
    const introspection = await oidc.tokenIntrospection(introspecting, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, sub: registered.client_id, scope: 'items:read' });
  });

  it('revokes its own token (RFC 7009), after which introspection says inactive and the API refuses it', async () => {
    const config = await discoverConfidential(oidc.ClientSecretBasic(registered.client_secret));
    const { access_token } = await oidc.clientCredentialsGrant(config, { scope: 'items:read' });
    await oidc.tokenRevocation(config, access_token);
    expect(await oidc.tokenIntrospection(config, access_token)).toEqual({ active: false });
    const call = oidc.fetchProtectedResource(config, access_token, new URL('/v1/items', server), 'GET');
    await expect(call).rejects.toMatchObject({ code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' });
  });

  it('gets a DPoP-bound token through the DPoP handle, and introspection names its key (RFC 9449 §6.2)', async () => {
    const config = await discoverConfidential(oidc.ClientSecretBasic(registered.client_secret));
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const DPoP = oidc.getDPoPHandle(config, keyPair);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'items:read' }, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, cnf: { jkt } });
    const items = await oidc.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL('/v1/items', server),
      'GET',
      null,
      undefined,
      {
        DPoP,
      },
    );
    expect(items.status).toBe(200);
  });

  it('is refused with invalid_client for a wrong secret', async () => {
    const config = await discoverConfidential(oidc.ClientSecretBasic('not-the-secret'));
    // 401 with a Basic challenge (RFC 6749 §5.2): openid-client reports the challenge it read.
    await expect(oidc.clientCredentialsGrant(config)).rejects.toMatchObject({
      code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
      status: 401,
      cause: [expect.objectContaining({ scheme: 'basic' })],
    });
  });
});

describe('openid-client through the authorization code flow (RFC 6749 §4.1, RFC 7636, RFC 9207)', () => {
  const REDIRECT = 'http://127.0.0.1/interop-callback';
  let clientId: string;
  beforeAll(async () => {
    const c = await new ClientsRepository(t.db).create({
      name: 'Interop web app',
      secretHash: null,
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['items:read'],
      redirectUris: [REDIRECT],
      dpopBoundAccessTokens: false,
      firstParty: true,
    });
    clientId = c!.id;
  });

  /**
   * Signs in at the login page the authorization URL shows, as a browser would (the CSRF cookie
   * and the form's hidden fields carried over), and answers the callback URL.
   */
  async function signIn(authorizationUrl: URL): Promise<URL> {
    const browser = new CookieBrowser(t.url);
    const page = await browser.get(authorizationUrl.pathname + authorizationUrl.search);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(browser.jar.has('__Host-specgate-csrf')).toBe(true);
    const answer = await browser.signIn(page, 'interop', 'interop-password-1');
    expect(answer.status).toBe(303);
    return new URL(answer.headers.location ?? '');
  }

  it('signs in with PKCE, checks state and iss, gets tokens a resource server verifies, and refreshes', async () => {
    const config = await discoverPublic(clientId);
    const metadata = config.serverMetadata();
    expect(metadata.authorization_endpoint).toBe(`${t.config.publicUrl}/authorize`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);

    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'items:read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callback = await signIn(url);
    expect(callback.searchParams.get('iss')).toBe(t.config.publicUrl);

    // openid-client checks iss (the metadata says it is sent), state, then exchanges with the verifier.
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('items:read');
    const me = await oidc.fetchProtectedResource(config, tokens.access_token, new URL('/me', server), 'GET');
    expect(me.status).toBe(200);
    expect(((await me.json()) as { username: string }).username).toBe('interop');

    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(metadata.jwks_uri!)), {
      issuer: t.config.publicUrl,
      audience: t.config.jwt.audience,
      typ: 'at+jwt',
      algorithms: ['ES256'],
      requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
    });
    expect(payload).toMatchObject({ client_id: clientId, scope: 'items:read' });

    // A public client's refresh token rotates (RFC 9700 §4.14.2).
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });

  it('refuses a callback whose iss is not the issuer (mix-up, RFC 9207 §2.4) before any exchange', async () => {
    const config = await discoverPublic(clientId);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callback = await signIn(url);
    callback.searchParams.set('iss', 'https://mix-up.example');
    await expect(
      oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }),
    ).rejects.toMatchObject({ code: 'OAUTH_INVALID_RESPONSE' });
    // The code was not spent: the genuine callback still exchanges.
    callback.searchParams.set('iss', t.config.publicUrl);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.access_token).toEqual(expect.any(String));
  });
});

describe('openid-client with DPoP nonces required', () => {
  let n: TestApp;
  beforeAll(async () => {
    n = await startTestApp({
      publicUrlIsOrigin: true,
      env: { JWT_SIGNING_KEYS_FILE: keyFile.file, DPOP_NONCE: 'required' },
    });
    await n.createUser('interop', 'interop-password-1', ['items:read']);
  });
  afterAll(() => n.stop());

  it('retries with the server nonce at the token endpoint and at the resource, and succeeds (RFC 9449 §8, §9)', async () => {
    const config = await oidc.discovery(new URL(n.config.publicUrl), 'nonce-app', undefined, oidc.None(), {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    });
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
    const tokens = await login(config, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    const url = new URL('/me', n.config.publicUrl);
    const me = await oidc.fetchProtectedResource(config, tokens.access_token, url, 'GET', null, undefined, { DPoP });
    expect(me.status).toBe(200);
  });
});
