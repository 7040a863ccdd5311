/**
 * The authorization code grant at /token (RFC 6749 §4.1.3, RFC 7636 §4.5): codes are minted with
 * the app's code store, as GET /authorize does after a sign-in, and exchanged over a socket
 * against a real Redis and database. The last test stops this file's Redis.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createSessionStore } from '../../../src/app';
import { hashCode } from '../../../src/auth/codes/authorization-codes';
import type { CodeGrant } from '../../../src/auth/codes/code-grant';
import { keys } from '../../../src/store/redis-keys';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';
import { dpopKey } from '../../support/dpop';
import { startRedis } from '../../support/redis-server';
import { patchClient, type Registered, registerClient, tokenRequest } from '../../support/registered-clients';

const REDIRECT = 'https://app.example.com/callback';
const MERGE = { 'content-type': 'application/merge-patch+json' };

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;
let userId: string;
let pub: Registered;
let conf: Registered;
/** Seconds the app's clock runs ahead of the real one (Redis keeps real time). */
let skew = 0;

beforeAll(async () => {
  t = await startTestApp({ redisServer: await startRedis(), clock: () => Math.floor(Date.now() / 1000) + skew });
  api = client(t.url);
  await t.createUser('ac-admin', 'ac-admin-password', ['clients:admin', 'users:admin']);
  userId = await t.createUser('ac-user', 'ac-user-password', ['items:read', 'items:write']);
  admin = await api.login('ac-admin', 'ac-admin-password');
  const codeFlow = { grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [REDIRECT] };
  pub = await registerClient(api, admin, { ...codeFlow, public: true });
  conf = await registerClient(api, admin, codeFlow);
});
afterAll(async () => {
  await t.stop();
  await t.redisServer.stop();
});

/** A PKCE pair (RFC 7636 §4.1–4.2). */
function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A code for `c` (default: the public client), as /authorize issues it, and its verifier. */
async function mint(over: Partial<CodeGrant> = {}, c: Registered = pub) {
  const { verifier, challenge } = pkce();
  const code = await t.app.codes.issue({
    clientId: c.client_id,
    redirectUri: REDIRECT,
    sub: userId,
    scopes: ['items:read'],
    codeChallenge: challenge,
    authTime: Math.floor(Date.now() / 1000),
    ...over,
  });
  return { code, verifier };
}

const exchange = (
  m: { code: string; verifier: string },
  c: Registered = pub,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
) => {
  const form = { grant_type: 'authorization_code', code: m.code, redirect_uri: REDIRECT, code_verifier: m.verifier };
  if (Object.keys(headers).length)
    return api.post('/token', { form: { ...form, client_id: c.client_id, ...extra }, headers });
  return tokenRequest(api, { ...form, ...extra }, c, true);
};

const expectError = (res: { status: number; body: { error?: string } }, status: number, error: string) =>
  expect([res.status, res.body.error]).toEqual([status, error]);

test('a public client exchanges a code for tokens with its verifier, and the refresh token rotates', async () => {
  const res = await exchange(await mint());
  expect(res.status).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'items:read' });
  const me = await api.get('/me', { token: res.body.access_token });
  expect([me.status, me.body.id]).toEqual([200, userId]);
  const refreshed = await tokenRequest(
    api,
    { grant_type: 'refresh_token', refresh_token: res.body.refresh_token },
    pub,
  );
  expect(refreshed.status).toBe(200);
  expect(refreshed.body.refresh_token).not.toBe(res.body.refresh_token);
});

test('a confidential client exchanges a code authenticating with Basic', async () => {
  const res = await exchange(await mint({}, conf), conf);
  expect(res.status).toBe(200);
  expect(res.body.refresh_token).toEqual(expect.any(String));
});

test('a code exchanged with a DPoP proof gives DPoP-bound tokens', async () => {
  const key = await dpopKey();
  const dpop = await key.proof({ method: 'POST', uri: `${t.config.publicUrl}/token` });
  const res = await exchange(await mint(), pub, {}, { dpop });
  expect(res.status).toBe(200);
  expect(res.body.token_type).toBe('DPoP');
  // Bound: as a bearer token it is refused.
  expect((await api.get('/me', { token: res.body.access_token })).status).toBe(401);
});

test('a redirect_uri that differs by one character is invalid_grant, and spends nothing', async () => {
  const m = await mint();
  expectError(await exchange(m, pub, { redirect_uri: `${REDIRECT}/` }), 400, 'invalid_grant');
  expectError(await exchange(m, pub, { redirect_uri: REDIRECT.replace('callback', 'callbacK') }), 400, 'invalid_grant');
  expect((await exchange(m)).status).toBe(200);
});

test('a missing verifier is invalid_request, a malformed one invalid_request, a wrong one invalid_grant', async () => {
  const m = await mint();
  const form = { grant_type: 'authorization_code', code: m.code, redirect_uri: REDIRECT, client_id: pub.client_id };
  expectError(await api.post('/token', { form }), 400, 'invalid_request');
  expectError(await exchange({ ...m, verifier: 'too-short' }), 400, 'invalid_request');
  expectError(await exchange({ ...m, verifier: `${'a'.repeat(42)}!` }), 400, 'invalid_request');
  expectError(await exchange({ ...m, verifier: pkce().verifier }), 400, 'invalid_grant');
  // A plain challenge (the verifier itself) never matches: S256 only.
  const plain = randomBytes(32).toString('base64url').slice(0, 43);
  expectError(
    await exchange(await mint({ codeChallenge: plain }).then((x) => ({ ...x, verifier: plain }))),
    400,
    'invalid_grant',
  );
  expect((await exchange(m)).status).toBe(200);
});

test("a reused code is invalid_grant and ends the first exchange's access and refresh tokens", async () => {
  const m = await mint();
  const first = await exchange(m);
  expect(first.status).toBe(200);
  expect((await api.get('/me', { token: first.body.access_token })).status).toBe(200);
  expectError(await exchange(m), 400, 'invalid_grant');
  expect((await api.get('/me', { token: first.body.access_token })).status).toBe(401);
  const refresh = await tokenRequest(
    api,
    { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
    pub,
  );
  expectError(refresh, 400, 'invalid_grant');
});

test('parallel exchanges of one code: at most one succeeds, and its tokens end with the reuse', async () => {
  const m = await mint();
  const answers = await Promise.all(Array.from({ length: 6 }, () => exchange(m)));
  const won = answers.filter((r) => r.status === 200);
  expect(won.length).toBeLessThanOrEqual(1);
  for (const r of answers.filter((a) => a.status !== 200)) expectError(r, 400, 'invalid_grant');
  for (const r of won) {
    expect((await api.get('/me', { token: r.body.access_token })).status).toBe(401);
    const refresh = await tokenRequest(api, { grant_type: 'refresh_token', refresh_token: r.body.refresh_token }, pub);
    expectError(refresh, 400, 'invalid_grant');
  }
  // No session of this user was left behind by any of the six.
  const sessions = await createSessionStore(t.config, t.redis).list(userId);
  const redeemed = await t.redis.hget(keys.authorizationCode(hashCode(m.code)), 'redeemed_sid');
  expect(sessions.map((s) => s.sid)).not.toContain(redeemed);
});

test('a reuse that arrives before the first exchange has opened its session still ends that session', async () => {
  const m = await mint();
  const codes = t.app.codes;
  const redeem = codes.redeem.bind(codes);
  let paused!: () => void;
  const reached = new Promise<void>((resolve) => {
    paused = resolve;
  });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  // The first exchange stops between spending the code and opening its session.
  codes.redeem = async (code, sid) => {
    const r = await redeem(code, sid);
    codes.redeem = redeem;
    paused();
    await gate;
    return r;
  };
  try {
    const first = exchange(m);
    await reached;
    expectError(await exchange(m), 400, 'invalid_grant');
    release();
    expectError(await first, 400, 'invalid_grant');
  } finally {
    codes.redeem = redeem;
    release();
  }
  const sid = await t.redis.hget(keys.authorizationCode(hashCode(m.code)), 'redeemed_sid');
  expect(sid).toEqual(expect.any(String));
  expect(await t.redis.exists(keys.session(sid as string))).toBe(0);
});

test('an expired code is invalid_grant', async () => {
  const m = await mint();
  skew = 61;
  try {
    expectError(await exchange(m), 400, 'invalid_grant');
  } finally {
    skew = 0;
  }
});

test('a code issued to another client is invalid_grant', async () => {
  const other = await registerClient(api, admin, {
    grant_types: ['authorization_code'],
    redirect_uris: [REDIRECT],
    public: true,
  });
  const m = await mint();
  expectError(await exchange(m, other), 400, 'invalid_grant');
  expectError(await exchange(await mint({}, conf), pub), 400, 'invalid_grant');
  expect((await exchange(m)).status).toBe(200);
});

test('a confidential client that does not authenticate is invalid_client; no client at all is invalid_request', async () => {
  const m = await mint({}, conf);
  expectError(await exchange(m, { client_id: conf.client_id }), 401, 'invalid_client');
  const form = { grant_type: 'authorization_code', code: m.code, redirect_uri: REDIRECT, code_verifier: m.verifier };
  expectError(await api.post('/token', { form }), 400, 'invalid_request');
  expectError(await api.post('/token', { form: { ...form, client_id: 'a-label' } }), 400, 'invalid_client');
  expect((await exchange(m, conf)).status).toBe(200);
});

test('a client not allowed the grant is unauthorized_client', async () => {
  const pw = await registerClient(api, admin, { public: true, redirect_uris: [REDIRECT] });
  expectError(await exchange(await mint({}, pw), pw), 400, 'unauthorized_client');
});

test('a user disabled since the code was issued is invalid_grant', async () => {
  const id = await t.createUser('ac-leaver', 'ac-leaver-password', ['items:read']);
  const m = await mint({ sub: id });
  const patched = await api.request('PATCH', `/v1/users/${id}`, {
    token: admin,
    json: { disabled: true },
    headers: MERGE,
  });
  expect(patched.status).toBe(200);
  expectError(await exchange(m), 400, 'invalid_grant');
});

test('the scopes are narrowed to what the client is allowed now', async () => {
  const c = await registerClient(api, admin, {
    grant_types: ['authorization_code'],
    redirect_uris: [REDIRECT],
    public: true,
    scopes: ['items:read', 'items:write'],
  });
  const m = await mint({ scopes: ['items:read', 'items:write'] }, c);
  expect((await patchClient(api, admin, c.client_id, { scopes: ['items:read'] })).status).toBe(200);
  const res = await exchange(m, c);
  expect([res.status, res.body.scope]).toEqual([200, 'items:read']);
});

test('every code key expires: 60 s unredeemed, kept at most 10 minutes once redeemed', async () => {
  const m = await mint();
  const key = keys.authorizationCode(hashCode(m.code));
  const fresh = await t.redis.pttl(key);
  expect(fresh).toBeGreaterThan(0);
  expect(fresh).toBeLessThanOrEqual(60_000);
  expect((await exchange(m)).status).toBe(200);
  const kept = await t.redis.pttl(key);
  expect(kept).toBeGreaterThan(60_000);
  expect(kept).toBeLessThanOrEqual(600_000);
  // The code itself is not in Redis, only its hash.
  expect(JSON.stringify(await t.redis.hgetall(key))).not.toContain(m.code);
});

test('logging out of a code-flow session ends the browser sign-in session it came from', async () => {
  // The browser sign-in session stands in as a plain session of the user's (the pages work makes it one of kind browser).
  const sessions = createSessionStore(t.config, t.redis);
  const signInSid = randomUUID();
  const now = Math.floor(Date.now() / 1000);
  await sessions.create({
    sid: signInSid,
    sub: userId,
    clientId: 'browser',
    scope: '',
    jti: randomUUID(),
    accessExp: now + 60,
    refreshHash: 'none',
    now,
    absExp: now + 3600,
  });
  const other = await exchange(await mint());
  const res = await exchange(await mint({ signInSid }));
  expect(res.status).toBe(200);
  expect(await t.redis.exists(keys.session(signInSid))).toBe(1);
  expect((await api.post('/logout', { token: res.body.access_token })).status).toBe(204);
  expect(await t.redis.exists(keys.session(signInSid))).toBe(0);
  expect((await api.get('/me', { token: res.body.access_token })).status).toBe(401);
  // A session without a sign-in session logs out alone, as before.
  expect((await api.get('/me', { token: other.body.access_token })).status).toBe(200);
});

test('an unreachable Redis is 503 temporarily_unavailable, never a token', async () => {
  const m = await mint();
  await t.redisServer.stop();
  const res = await exchange(m);
  expectError(res, 503, 'temporarily_unavailable');
  expect(res.headers['retry-after']).toEqual(expect.any(String));
});
