/**
 * A login in flight while an administrator disables, deletes or narrows its user: the password
 * grant has read the user (enabled, all scopes) and verified the password when the change
 * commits and the administrator's sweep finds no session to end. The login must not leave a live
 * session behind (src/auth/login-confirmation.ts argues the ordering). The login is held between
 * its password check and its session write by a hasher that waits on a gate.
 */
import { decodeJwt } from 'jose';
import { PasswordHasher } from '../../../src/auth/passwords';
import type { TestApp } from '../../support/app';
import type { client, TestResponse } from '../../support/contract';
import { startAdminApp } from './admin-app';

/** Fast argon2id whose verify() can be held open, as if the request were slow at that point. */
class GatedHasher extends PasswordHasher {
  private hold: { reached: () => void; release: Promise<void> } | undefined;

  constructor() {
    super({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  }

  /** The next verify() resolves only after `release`; the returned promise resolves when it is reached. */
  holdNext(release: Promise<void>): Promise<void> {
    return new Promise((reached) => (this.hold = { reached, release }));
  }

  override async verify(hash: string, password: string): Promise<boolean> {
    const ok = await super.verify(hash, password);
    const hold = this.hold;
    this.hold = undefined;
    if (hold) {
      hold.reached();
      await hold.release;
    }
    return ok;
  }
}

const hasher = new GatedHasher();
let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;

beforeAll(async () => void ({ t, api, admin } = await startAdminApp({ passwords: hasher })));
afterAll(() => t.stop());

const MERGE = { 'content-type': 'application/merge-patch+json' };
let serial = 0;

/** Starts a login for a new user, holds it after the password check, runs `change`, releases it. */
async function raceLogin(
  change: (userId: string) => Promise<TestResponse>,
): Promise<{ userId: string; login: TestResponse; change: TestResponse }> {
  const name = `racer-${++serial}`;
  const userId = await t.createUser(name, `${name}-password-1`, ['items:read', 'items:write']);
  let release!: () => void;
  const reached = hasher.holdNext(new Promise<void>((r) => (release = r)));
  const login = api.post('/token', {
    form: { grant_type: 'password', username: name, password: `${name}-password-1` },
  });
  await reached;
  const changed = await change(userId);
  release();
  return { userId, login: await login, change: changed };
}

const sessionsOf = async (userId: string) =>
  (await api.get(`/v1/users/${userId}/sessions`, { token: admin })).body.sessions as { id: string; scopes: string[] }[];

it('a disable committed during a login leaves no live session, and the login gets invalid_grant', async () => {
  const r = await raceLogin((id) =>
    api.request('PATCH', `/v1/users/${id}`, { token: admin, json: { disabled: true }, headers: MERGE }),
  );
  expect(r.change.status).toBe(200);
  expect(r.login.status).toBe(400);
  expect(r.login.body.error).toBe('invalid_grant');
  expect(await sessionsOf(r.userId)).toEqual([]);
  expect(await t.redis.exists(`auth:user:${r.userId}:session-index`)).toBe(0);
});

it('a deletion committed during a login leaves no live session', async () => {
  const r = await raceLogin((id) => api.request('DELETE', `/v1/users/${id}`, { token: admin }));
  expect(r.change.status).toBe(204);
  expect(r.login.body.error).toBe('invalid_grant');
  expect(await t.redis.exists(`auth:user:${r.userId}:session-index`)).toBe(0);
});

it('a scope removed during a login is not in the session or the token it gets', async () => {
  const r = await raceLogin((id) =>
    api.request('PATCH', `/v1/users/${id}`, { token: admin, json: { scopes: ['items:read'] }, headers: MERGE }),
  );
  expect(r.login.status).toBe(200);
  expect(r.login.body.scope).toBe('items:read');
  expect(decodeJwt(r.login.body.access_token).scope).toBe('items:read');
  expect((await sessionsOf(r.userId)).map((s) => s.scopes)).toEqual([['items:read']]);
  const write = await api.post('/v1/items', {
    token: r.login.body.access_token,
    json: { name: 'Mug', category: 'kitchen', price_cents: 4 },
  });
  expect(write.status).toBe(403);
});
