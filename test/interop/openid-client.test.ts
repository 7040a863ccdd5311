/**
 * specgate as openid-client 6 (panva's OAuth client, the most used in JavaScript) sees it: RFC
 * 8414 discovery, the grants, protected calls, revocation. openid-client checks every response
 * strictly (issuer equality, token response members, challenges), so passing here is what "a
 * standard client accepts it" means. The server listens on plain HTTP on loopback, hence
 * allowInsecureRequests; its PUBLIC_URL is that origin, which discovery requires (RFC 8414 §3.3).
 */
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../support/app';

let t: TestApp;
let server: URL;

beforeAll(async () => {
  t = await startTestApp({ publicUrlIsOrigin: true });
  server = new URL(t.config.publicUrl);
  await t.createUser('interop', 'interop-password-1', ['items:read', 'items:write']);
});
afterAll(() => t.stop());

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
});
