/**
 * The per-user cap on live sessions (MAX_SESSIONS_PER_USER): a new login ends the oldest live
 * session, and logs which; sessions that ended on their own do not count; sessions indexed by a release before
 * the ordered index (the legacy SET) are still found and ended.
 */
import { decodeJwt } from 'jose';
import type { TestApp } from '../../support/app';
import type { client } from '../../support/contract';
import { startAdminApp } from './admin-app';

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;

beforeAll(async () => void ({ t, api, admin } = await startAdminApp({ env: { MAX_SESSIONS_PER_USER: '3' } })));
afterAll(() => t.stop());

const sidOf = (token: string) => decodeJwt(token).sid as string;
const alive = async (token: string) => (await api.get('/me', { token })).status === 200;

describe('MAX_SESSIONS_PER_USER', () => {
  it('ends the oldest session when a login goes over the cap', async () => {
    await t.createUser('capped', 'capped-password-1', []);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push(await api.login('capped', 'capped-password-1'));
    expect(await Promise.all(tokens.map(alive))).toEqual([false, false, true, true, true]);
    const me = await api.get('/me/sessions', { token: tokens[4]! });
    expect(me.body.sessions.map((s: { id: string }) => s.id).sort()).toEqual(tokens.slice(2).map(sidOf).sort());
  });

  it('logs each session it ends with the login that ended it, never a token', async () => {
    const id = await t.createUser('audited', 'audited-password-1', []);
    const grant = (requestId: string) =>
      api.post('/token', {
        form: { grant_type: 'password', username: 'audited', password: 'audited-password-1' },
        headers: { 'x-request-id': requestId },
      });
    const logins = [await grant('audited-1'), await grant('audited-2'), await grant('audited-3')];
    const evictions = () =>
      t.logs.map((l) => JSON.parse(l)).filter((l) => l.outcome === 'session_evicted' && l.sub === id);
    expect(evictions()).toEqual([]); // within the cap: nothing ended, nothing logged
    const fourth = await grant('audited-4');
    expect(fourth.status).toBe(200);
    expect(fourth.headers['x-request-id']).toBe('audited-4');
    expect(evictions()).toEqual([
      expect.objectContaining({
        level: 'info',
        requestId: 'audited-4',
        sub: id,
        sid: sidOf(logins[0]!.body.access_token),
      }),
    ]);
    expect(await alive(logins[0]!.body.access_token)).toBe(false);
    const line = JSON.stringify(evictions()[0]);
    for (const res of [...logins, fourth]) {
      expect(line).not.toContain(res.body.access_token);
      expect(line).not.toContain(res.body.refresh_token);
    }
  });

  it('does not count sessions that ended on their own', async () => {
    const id = await t.createUser('expiring', 'expiring-password-1', []);
    const [a, b, c] = [
      await api.login('expiring', 'expiring-password-1'),
      await api.login('expiring', 'expiring-password-1'),
      await api.login('expiring', 'expiring-password-1'),
    ];
    await t.redis.del(`auth:session:${sidOf(b)}`); // as if it expired
    const d = await api.login('expiring', 'expiring-password-1');
    expect(await Promise.all([a, c, d].map(alive))).toEqual([true, true, true]);
    expect(await t.redis.zscore(`auth:user:${id}:session-index`, sidOf(b))).toBeNull();
    const e = await api.login('expiring', 'expiring-password-1');
    expect(await Promise.all([a, c, d, e].map(alive))).toEqual([false, true, true, true]);
  });

  it('reads the pre-upgrade session index: such sessions are listed, and ended by a disable', async () => {
    const id = await t.createUser('legacy', 'legacy-password-1', []);
    const old = await api.login('legacy', 'legacy-password-1');
    // What a release before the ordered index left in Redis: the session in a plain SET only.
    await t.redis.zrem(`auth:user:${id}:session-index`, sidOf(old));
    await t.redis.sadd(`auth:user:${id}:sessions`, sidOf(old));
    const listed = await api.get(`/v1/users/${id}/sessions`, { token: admin });
    expect(listed.body.sessions.map((s: { id: string }) => s.id)).toEqual([sidOf(old)]);
    const res = await api.request('PATCH', `/v1/users/${id}`, {
      token: admin,
      json: { disabled: true },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(res.status).toBe(200);
    expect(await alive(old)).toBe(false);
    expect(await t.redis.exists(`auth:user:${id}:sessions`)).toBe(0);
  });
});
