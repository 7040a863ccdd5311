/**
 * GET /me/sessions (listSessions) and DELETE /me/sessions/{sessionId} (revokeSession).
 */
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('olga', 'olga-password-1', []);
  await t.createUser('pete', 'pete-password-1', []);
});
afterAll(() => t.stop());

const sidOf = (token: string) => decodeJwt(token).sid as string;

describe('listSessions', () => {
  it("lists the caller's sessions, newest first, marking the current one", async () => {
    const a = await api.post('/token', {
      form: { grant_type: 'password', username: 'olga', password: 'olga-password-1', client_id: 'phone' },
    });
    await new Promise((r) => setTimeout(r, 1100));
    const b = await api.login('olga', 'olga-password-1');
    await api.login('pete', 'pete-password-1');
    const res = await api.get('/me/sessions', { token: b });
    expect(res.status).toBe(200);
    const ids = res.body.sessions.map((s: { id: string }) => s.id);
    expect(ids).toEqual([sidOf(b), sidOf(a.body.access_token)]);
    expect(res.body.sessions[0]).toMatchObject({ current: true, client_id: 'specgate' });
    expect(res.body.sessions[1]).toMatchObject({ current: false, client_id: 'phone' });
    const expires = new Date(res.body.sessions[0].expires_at).getTime() - Date.now();
    expect(Math.abs(expires - t.config.jwt.refreshIdleSeconds * 1000)).toBeLessThan(10_000);
  });

  it('keeps one session across refreshes', async () => {
    const login = await api.post('/token', {
      form: { grant_type: 'password', username: 'pete', password: 'pete-password-1' },
    });
    const before = (await api.get('/me/sessions', { token: login.body.access_token })).body.sessions.length;
    const refreshed = await api.post('/token', {
      form: { grant_type: 'refresh_token', refresh_token: login.body.refresh_token },
    });
    expect((await api.get('/me/sessions', { token: refreshed.body.access_token })).body.sessions).toHaveLength(before);
  });
});

describe('revokeSession', () => {
  it('ends one session at once, leaving the others', async () => {
    const keep = await api.login('olga', 'olga-password-1');
    const doomed = await api.login('olga', 'olga-password-1');
    const res = await api.request('DELETE', `/me/sessions/${sidOf(doomed)}`, { token: keep });
    expect(res.status).toBe(204);
    expect((await api.get('/me', { token: doomed })).status).toBe(401);
    expect((await api.get('/me', { token: keep })).status).toBe(200);
  });

  it("answers 404 for another user's session and for an unknown one", async () => {
    const mine = await api.login('olga', 'olga-password-1');
    const theirs = await api.login('pete', 'pete-password-1');
    expect((await api.request('DELETE', `/me/sessions/${sidOf(theirs)}`, { token: mine })).status).toBe(404);
    expect((await api.get('/me', { token: theirs })).status).toBe(200);
    expect(
      (await api.request('DELETE', '/me/sessions/00000000-0000-4000-8000-000000000000', { token: mine })).status,
    ).toBe(404);
    expect((await api.request('DELETE', '/me/sessions/not-a-uuid', { token: mine })).status).toBe(400);
  });
});
