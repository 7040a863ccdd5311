/**
 * GET /me (getCurrentUser) and the bearer rules of RFC 6750 that every protected operation shares.
 */

import { startTestApp, type TestApp } from '../../support/app';
import { challengeOf, noCredentialsChallenge } from '../../support/challenges';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let userId: string;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  userId = await t.createUser('dave', 'dave-password-1', ['items:read', 'users:admin']);
});
afterAll(() => t.stop());

describe('getCurrentUser', () => {
  it('returns the user the token was issued to', async () => {
    const token = await api.login('dave', 'dave-password-1', 'items:read');
    const res = await api.get('/me', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: userId,
      username: 'dave',
      scopes: ['items:read', 'users:admin'],
      disabled: false,
      created_at: expect.any(String),
    });
    expect(new Date(res.body.created_at).getTime()).toBeGreaterThan(Date.now() - 600_000);
  });

  it('marks the response private to the caller', async () => {
    const res = await api.get('/me', { token: await api.login('dave', 'dave-password-1') });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.vary).toBe('Authorization');
  });

  it('accepts the scheme name in any case (RFC 9110 §11.1)', async () => {
    const token = await api.login('dave', 'dave-password-1');
    expect((await api.get('/me', { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
  });

  it('answers 401 without error details when no bearer credentials are sent', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Basic ZGF2ZTpkYXZlLXBhc3N3b3JkLTE=' }]) {
      const res = await api.get('/me', { headers });
      expect(res.status).toBe(401);
      expect(challengeOf(res.headers['www-authenticate'], 'Bearer')).toEqual(
        noCredentialsChallenge(t.config.publicUrl),
      );
      expect(res.body.code).toBe('unauthorized');
    }
  });

  it('never takes a token from the query string (RFC 6750 §2.3 is not offered)', async () => {
    const token = await api.login('dave', 'dave-password-1');
    expect((await api.get(`/me?access_token=${token}`)).status).toBe(401);
  });

  it('answers 401 invalid_token for malformed credentials', async () => {
    for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer not-a-jwt', 'Bearer a.b.c']) {
      const res = await api.get('/me', { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    }
  });
});
