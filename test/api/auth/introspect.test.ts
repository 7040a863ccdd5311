/**
 * POST /introspect (introspectToken, RFC 7662).
 */
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../support/app';
import { challengeOf, noCredentialsChallenge } from '../../support/challenges';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let caller: string;
let userId: string;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('introspector', 'introspector-pw-1', ['tokens:introspect']);
  userId = await t.createUser('nina', 'nina-password-1', ['items:read', 'items:write']);
  caller = await api.login('introspector', 'introspector-pw-1');
});
afterAll(() => t.stop());

const login = async () =>
  (
    await api.post('/token', {
      form: {
        grant_type: 'password',
        username: 'nina',
        password: 'nina-password-1',
        scope: 'items:read',
        client_id: 'app-1',
      },
    })
  ).body as { access_token: string; refresh_token: string };
const introspect = (token: string, bearer = caller) => api.post('/introspect', { form: { token }, token: bearer });

describe('introspectToken', () => {
  it('describes an active access token', async () => {
    const { access_token } = await login();
    const claims = decodeJwt(access_token);
    const res = await introspect(access_token);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      active: true,
      sub: userId,
      username: 'nina',
      scope: 'items:read',
      client_id: 'app-1',
      token_type: 'access_token',
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
    });
  });

  it('describes an active refresh token', async () => {
    const { access_token, refresh_token } = await login();
    const res = await introspect(refresh_token);
    expect(res.body).toMatchObject({
      active: true,
      sub: userId,
      username: 'nina',
      scope: 'items:read',
      client_id: 'app-1',
      token_type: 'refresh_token',
      jti: decodeJwt(access_token).sid,
    });
  });

  it('answers exactly {"active": false} for revoked, rotated, expired-session and garbage tokens', async () => {
    const revoked = await login();
    await api.post('/revoke', { form: { token: revoked.refresh_token } });
    const rotated = await login();
    await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token: rotated.refresh_token } });
    for (const token of [revoked.access_token, revoked.refresh_token, rotated.refresh_token, 'garbage', 'a.b.c']) {
      const res = await introspect(token);
      expect(res.status).toBe(200);
      expect(res.text).toBe('{"active":false}');
    }
  });

  it('needs tokens:introspect', async () => {
    const { access_token } = await login();
    const res = await introspect(access_token, access_token);
    expect(res.status).toBe(403);
    expect(challengeOf(res.headers['www-authenticate'], 'Bearer')).toEqual({
      ...noCredentialsChallenge(t.config.publicUrl),
      error: 'insufficient_scope',
      scope: 'tokens:introspect',
    });
    expect((await api.post('/introspect', { form: { token: access_token } })).status).toBe(401);
  });
});
