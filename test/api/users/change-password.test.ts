/**
 * PUT /me/password (changePassword).
 */

import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ env: { LOGIN_MAX_FAILURES_PER_USER_IP: '3' } });
  api = client(t.url);
});
afterAll(() => t.stop());

const change = (token: string, current_password: string, new_password: string) =>
  api.request('PUT', '/me/password', { token, json: { current_password, new_password } });

describe('changePassword', () => {
  it("changes the password and ends every other session, keeping the caller's", async () => {
    await t.createUser('quinn', 'quinn-password-1', []);
    const current = await api.login('quinn', 'quinn-password-1');
    const other = await api.post('/token', {
      form: { grant_type: 'password', username: 'quinn', password: 'quinn-password-1' },
    });
    const res = await change(current, 'quinn-password-1', 'a brand new passphrase');
    expect(res.status).toBe(204);
    expect((await api.get('/me', { token: current })).status).toBe(200);
    expect((await api.get('/me', { token: other.body.access_token })).status).toBe(401);
    expect(
      (await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token: other.body.refresh_token } }))
        .body.error,
    ).toBe('invalid_grant');
    expect(
      (await api.post('/token', { form: { grant_type: 'password', username: 'quinn', password: 'quinn-password-1' } }))
        .body.error,
    ).toBe('invalid_grant');
    expect(
      (
        await api.post('/token', {
          form: { grant_type: 'password', username: 'quinn', password: 'a brand new passphrase' },
        })
      ).status,
    ).toBe(200);
  });

  it('refuses a wrong current password with 400 naming the field', async () => {
    await t.createUser('rita', 'rita-password-1', []);
    const token = await api.login('rita', 'rita-password-1');
    const res = await change(token, 'not-it-at-all', 'another good passphrase');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([
      { in: 'body', pointer: '/current_password', message: 'is not the current password' },
    ]);
  });

  it('counts wrong current passwords toward the login limit (429, then even /token refuses)', async () => {
    await t.createUser('sam', 'sam-password-1', []);
    const token = await api.login('sam', 'sam-password-1');
    for (let i = 0; i < 3; i++)
      expect((await change(token, `wrong-${i}-guess`, 'another good passphrase')).status).toBe(400);
    const limited = await change(token, 'sam-password-1', 'another good passphrase');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // sam logged in from this address, so the per-username ceiling does not apply to it.
    expect(limited.headers['ratelimit-policy']).toBe('"pair";q=3;w=900, "ip";q=50;w=900');
    expect(limited.headers.ratelimit).toMatch(/^"pair";r=0;t=\d+, "ip";r=\d+;t=\d+$/);
    expect(
      (await api.post('/token', { form: { grant_type: 'password', username: 'sam', password: 'sam-password-1' } }))
        .status,
    ).toBe(429);
  });

  it('refuses weak new passwords and keeps the old one', async () => {
    await t.createUser('tess', 'tess-password-1', []);
    const token = await api.login('tess', 'tess-password-1');
    for (const [pw, status] of [
      ['short', 400],
      ['password123', 400],
      ['tess', 400],
      ['x'.repeat(129), 400],
    ] as const) {
      const res = await change(token, 'tess-password-1', pw);
      expect([pw, res.status]).toEqual([pw, status]);
      expect(res.body.errors[0].pointer).toBe('/new_password');
    }
    expect(
      (await api.post('/token', { form: { grant_type: 'password', username: 'tess', password: 'tess-password-1' } }))
        .status,
    ).toBe(200);
  });
});
