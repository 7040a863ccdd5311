/**
 * DELETE /v1/users/{userId} (deleteUser): the user and every session of theirs end at once; the
 * last enabled admin cannot be deleted.
 */
import { UsersRepository } from '../../../src/store/users.repository';
import type { TestApp } from '../../support/app';
import type { client } from '../../support/contract';
import { startAdminApp } from './admin-app';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;
let adminId: string;

beforeAll(async () => void ({ t, api, admin, adminId } = await startAdminApp()));
afterAll(() => t.stop());

const remove = (userId: string, token = admin) => api.request('DELETE', `/v1/users/${userId}`, { token });

describe('deleteUser', () => {
  it('deletes the user and ends their sessions: access tokens fail on the next item request, refresh tokens too', async () => {
    const id = await t.createUser('gone', 'gone-password-1', ['items:read']);
    const tokens = (
      await api.post('/token', { form: { grant_type: 'password', username: 'gone', password: 'gone-password-1' } })
    ).body;
    expect((await api.get('/v1/categories', { token: tokens.access_token })).status).toBe(200);

    const res = await remove(id);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    const after = await api.get('/v1/categories', { token: tokens.access_token });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('invalid_token');
    expect(
      (await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token } })).body
        .error,
    ).toBe('invalid_grant');
    expect((await api.get(`/v1/users/${id}`, { token: admin })).status).toBe(404);
    expect(await t.redis.exists(`auth:user:${id}:session-index`)).toBe(0);
  });

  it('frees the username', async () => {
    const id = await t.createUser('reused', 'reused-password-1', []);
    await remove(id);
    const again = await api.post('/v1/users', {
      token: admin,
      json: { username: 'reused', password: 'another long password', scopes: [] },
    });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(id);
  });

  it('answers 404 for an unknown user (also when deleted twice)', async () => {
    const id = await t.createUser('twice', 'twice-password-1', []);
    expect((await remove(id)).status).toBe(204);
    const res = await remove(id);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });

  it('ends the sessions a first attempt left behind when repeated, though the user is gone (404)', async () => {
    const id = await t.createUser('half-gone', 'half-gone-password-1', ['items:read']);
    const token = await api.login('half-gone', 'half-gone-password-1');
    // The database step of a first attempt, whose Redis step then failed (503).
    await new UsersRepository(t.db).delete(id);
    expect((await api.get('/v1/items', { token })).status).toBe(200);
    expect((await remove(id.toUpperCase())).status).toBe(404);
    expect((await api.get('/v1/items', { token })).status).toBe(401);
  });

  it('answers 409 conflict to deleting the last enabled admin', async () => {
    const res = await remove(adminId);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('conflict');
    expect((await api.get('/v1/users', { token: admin })).status).toBe(200);
  });

  it('needs users:admin', async () => {
    const id = await t.createUser('plain', 'plain-password-1', ['items:read']);
    const res = await remove(id, await api.login('plain', 'plain-password-1'));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
  });
});
