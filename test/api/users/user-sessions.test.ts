/**
 * GET /v1/users/{userId}/sessions (listUserSessions) and DELETE /v1/users/{userId}/sessions
 * (endUserSessions), for users:admin.
 */
import { decodeJwt } from 'jose';
import type { TestApp } from '../../support/app';
import type { client } from '../../support/contract';
import { startAdminApp } from './admin-app';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;
let adminId: string;

beforeAll(async () => void ({ t, api, admin, adminId } = await startAdminApp()));
afterAll(() => t.stop());

const sidOf = (token: string) => decodeJwt(token).sid as string;
const grant = (username: string, password: string, extra: Record<string, string> = {}) =>
  api.post('/token', { form: { grant_type: 'password', username, password, ...extra } });

describe('listUserSessions', () => {
  it("lists the user's live sessions, newest first, with the scopes each may use", async () => {
    const id = await t.createUser('lena', 'lena-password-1', ['items:read', 'items:write']);
    const phone = (await grant('lena', 'lena-password-1', { client_id: 'phone', scope: 'items:read' })).body
      .access_token;
    await new Promise((r) => setTimeout(r, 1100));
    const laptop = await api.login('lena', 'lena-password-1');
    const res = await api.get(`/v1/users/${id}/sessions`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.sessions).toEqual([
      expect.objectContaining({ id: sidOf(laptop), client_id: 'specgate', scopes: ['items:read', 'items:write'] }),
      expect.objectContaining({ id: sidOf(phone), client_id: 'phone', scopes: ['items:read'] }),
    ]);
  });

  it('answers an empty list for a user without sessions, 404 for an unknown user', async () => {
    const id = await t.createUser('mona', 'mona-password-1', []);
    expect((await api.get(`/v1/users/${id}/sessions`, { token: admin })).body).toEqual({ sessions: [] });
    const unknown = await api.get('/v1/users/00000000-0000-4000-8000-000000000000/sessions', { token: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('not_found');
  });
});

describe('endUserSessions', () => {
  it('ends every session of the user at once; the account stays enabled', async () => {
    const id = await t.createUser('nina', 'nina-password-1', ['items:read']);
    const tokens = [await api.login('nina', 'nina-password-1'), await api.login('nina', 'nina-password-1')];
    const res = await api.request('DELETE', `/v1/users/${id}/sessions`, { token: admin });
    expect(res.status).toBe(204);
    for (const token of tokens) {
      const r = await api.get('/v1/items', { token });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('invalid_token');
    }
    expect((await api.get(`/v1/users/${id}/sessions`, { token: admin })).body.sessions).toEqual([]);
    expect((await api.get('/v1/items', { token: await api.login('nina', 'nina-password-1') })).status).toBe(200);
  });

  it("ends the calling admin's own session too when aimed at themselves", async () => {
    const mine = await api.login('root-admin', 'root-admin-password');
    expect((await api.request('DELETE', `/v1/users/${adminId}/sessions`, { token: mine })).status).toBe(204);
    expect((await api.get('/v1/users', { token: mine })).status).toBe(401);
    admin = await api.login('root-admin', 'root-admin-password');
  });

  it('answers 404 for an unknown user, 403 without users:admin', async () => {
    expect(
      (await api.request('DELETE', '/v1/users/00000000-0000-4000-8000-000000000000/sessions', { token: admin })).status,
    ).toBe(404);
    const id = await t.createUser('olaf', 'olaf-password-1', ['items:read']);
    const res = await api.request('DELETE', `/v1/users/${id}/sessions`, {
      token: await api.login('olaf', 'olaf-password-1'),
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
  });
});
