/**
 * Logs of a login, a failed login, an authenticated call and a logout carry no password and no
 * token, while still recording who did what (ASVS 5.0 16.2.5, 16.3.1).
 */
import { createLogger } from '../../src/core/logger';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('grace', 'grace-secret-password', ['items:read', 'tokens:introspect']);
});
afterAll(() => t.stop());

it('never writes a password, an access token or a refresh token to the log', async () => {
  const api = client(t.url);
  const login = (
    await api.post('/token', { form: { grant_type: 'password', username: 'grace', password: 'grace-secret-password' } })
  ).body;
  const refreshed = (
    await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token: login.refresh_token } })
  ).body;
  const token = refreshed.access_token as string;
  expect((await api.post('/introspect', { form: { token: refreshed.refresh_token }, token })).body.active).toBe(true);
  await api.post('/revoke', { form: { token: login.access_token } });
  await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token: login.refresh_token } });
  await api.post('/token', { form: { grant_type: 'password', username: 'grace', password: 'grace-wrong-password' } });
  await api.get('/me', {
    token: (
      await api.post('/token', {
        form: { grant_type: 'password', username: 'grace', password: 'grace-secret-password' },
      })
    ).body.access_token,
    headers: { 'x-request-id': 'trace-me' },
  });
  await api.get('/me', { headers: { authorization: `Bearer ${token}x` } });
  await api.post('/logout', { token });
  const logs = t.logs.join('\n');
  expect(logs).not.toContain('grace-secret-password');
  expect(logs).not.toContain('grace-wrong-password');
  for (const secret of [login.access_token, refreshed.access_token, login.refresh_token, refreshed.refresh_token]) {
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(secret.split('.').at(-1)!);
  }
  expect(logs).not.toContain(t.config.redis.password!);
  // What is logged instead: outcomes, request ids and session ids.
  const lines = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.some((l) => l.msg === 'token issued' && typeof l.jti === 'string')).toBe(true);
  expect(lines.some((l) => l.msg === 'token request refused' && l.outcome === 'invalid_grant')).toBe(true);
  expect(lines.some((l) => l.msg === 'request' && l.requestId === 'trace-me' && l.status === 200)).toBe(true);
});

it('redacts credentials wherever they appear in a logged object', async () => {
  const out: string[] = [];
  const logger = createLogger('info', { write: (s: string) => out.push(s) } as never);
  logger.info(
    {
      headers: { authorization: 'Bearer abc.def.ghi' },
      body: { password: 'pw-1', refresh_token: 'rt-1' },
      password: 'pw-2',
    },
    'x',
  );
  expect(out.join('')).not.toMatch(/abc\.def\.ghi|pw-1|pw-2|rt-1/);
  expect(out.join('')).toContain('[redacted]');
});
