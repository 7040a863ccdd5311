/**
 * POST /revoke (revokeToken, RFC 7009).
 */

import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('mia', 'mia-password-1', ['items:read']);
});
afterAll(() => t.stop());

const login = async () =>
  (await api.post('/token', { form: { grant_type: 'password', username: 'mia', password: 'mia-password-1' } }))
    .body as { access_token: string; refresh_token: string };
const revoke = (form: Record<string, string>) => api.post('/revoke', { form });

describe('revokeToken', () => {
  it('revoking a refresh token ends its session, access tokens included', async () => {
    const { access_token, refresh_token } = await login();
    const res = await revoke({ token: refresh_token, token_type_hint: 'refresh_token' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await api.get('/me', { token: access_token })).status).toBe(401);
    expect((await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token } })).body.error).toBe(
      'invalid_grant',
    );
  });

  it('revoking an access token ends that token only', async () => {
    const { access_token, refresh_token } = await login();
    expect((await revoke({ token: access_token })).status).toBe(200);
    expect((await api.get('/me', { token: access_token })).status).toBe(401);
    const again = await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token } });
    expect(again.status).toBe(200);
    expect((await api.get('/me', { token: again.body.access_token })).status).toBe(200);
  });

  it('finds the token whatever the hint says, and ignores unknown hints', async () => {
    const a = await login();
    expect((await revoke({ token: a.refresh_token, token_type_hint: 'access_token' })).status).toBe(200);
    expect((await api.get('/me', { token: a.access_token })).status).toBe(401);
    const b = await login();
    expect((await revoke({ token: b.access_token, token_type_hint: 'id_token' })).status).toBe(200);
    expect((await api.get('/me', { token: b.access_token })).status).toBe(401);
  });

  it('answers 200 for unknown, malformed and already revoked tokens', async () => {
    const { refresh_token } = await login();
    await revoke({ token: refresh_token });
    for (const token of [refresh_token, 'unknown', 'a.b.c', `00000000-0000-4000-8000-000000000000.${'x'.repeat(43)}`]) {
      expect((await revoke({ token })).status).toBe(200);
    }
  });

  it('needs the token parameter', async () => {
    const res = await api.post('/revoke', { form: { token_type_hint: 'refresh_token' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });
});
