/**
 * Tokens that must never authenticate, each presented to a protected operation over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { base64url, SignJWT } from 'jose';
import { startTestApp, TEST_SECRET, type TestApp } from '../support/app';
import { client } from '../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;
let userId: string;
const key = new TextEncoder().encode(TEST_SECRET);

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  userId = await t.createUser('erin', 'erin-password-1', ['items:read']);
});
afterAll(() => t.stop());

/** A token like the service's own, with a live session, changed by `tweak`. */
async function forge(
  tweak: {
    header?: Record<string, unknown>;
    claims?: Record<string, unknown>;
    drop?: string[];
    key?: Uint8Array;
    session?: boolean;
  } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const jti = randomUUID();
  const sid = randomUUID();
  const claims: Record<string, unknown> = {
    iss: t.config.publicUrl,
    aud: 'specgate-api',
    sub: userId,
    jti,
    sid,
    iat: now,
    exp: now + 600,
    scope: 'items:read',
    client_id: 'x',
    ...tweak.claims,
  };
  for (const d of tweak.drop ?? []) delete claims[d];
  if (tweak.session !== false) {
    await t.redis.hset(`auth:session:${sid}`, {
      sub: userId,
      client_id: 'x',
      scope: 'items:read',
      rt: 'h',
      at: jti,
      at_exp: now + 600,
    });
    await t.redis.expire(`auth:session:${sid}`, 600);
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: t.app.tokens.keys.signer(now).kid, ...tweak.header })
    .sign(tweak.key ?? key);
}

async function expectRejected(token: string) {
  const res = await api.get('/me', { token });
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('invalid_token');
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="specgate", error="invalid_token"/);
}

describe('token verification', () => {
  it('accepts the control token (so the rejections below are meaningful)', async () => {
    expect((await api.get('/me', { token: await forge() })).status).toBe(200);
  });

  it('rejects alg: none', async () => {
    const valid = await forge();
    const [, payload] = valid.split('.');
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
    await expectRejected(`${header}.${payload}.`);
  });

  it('rejects a signature made with another key', async () => {
    await expectRejected(
      await forge({ key: new TextEncoder().encode('another-secret-another-secret-another-secret') }),
    );
  });

  it('rejects a token naming a key the service does not hold, or none', async () => {
    await expectRejected(await forge({ header: { kid: 'hs256-not-a-key-of-ours' } }));
    await expectRejected(await forge({ header: { kid: undefined } }));
  });

  it('rejects another alg with the same key (HS512)', async () => {
    await expectRejected(await forge({ header: { alg: 'HS512' } }));
  });

  it('rejects a wrong typ, or none', async () => {
    await expectRejected(await forge({ header: { typ: 'JWT' } }));
    await expectRejected(await forge({ header: { typ: undefined } }));
  });

  it('rejects a wrong issuer or audience', async () => {
    await expectRejected(await forge({ claims: { iss: 'someone-else' } }));
    await expectRejected(await forge({ claims: { aud: 'another-api' } }));
  });

  it('rejects a token missing exp, iat, jti, sub or sid', async () => {
    for (const claim of ['exp', 'iat', 'jti', 'sub', 'sid']) await expectRejected(await forge({ drop: [claim] }));
  });

  it('rejects an expired token and one not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(await forge({ claims: { iat: now - 1000, exp: now - 60 } }));
    await expectRejected(await forge({ claims: { nbf: now + 300 } }));
  });

  it('rejects a well-signed token without a session', async () => {
    await expectRejected(await forge({ session: false }));
  });

  it('rejects a token whose session belongs to another user', async () => {
    const token = await forge();
    const sid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;
    await t.redis.hset(`auth:session:${sid}`, 'sub', 'someone-else');
    await expectRejected(token);
  });

  it('rejects a token of a live session once that token alone was revoked', async () => {
    const token = await forge();
    const { sid, jti } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      sid: string;
      jti: string;
    };
    expect(await t.redis.hget(`auth:session:${sid}`, 'at')).toBe(jti);
    await t.redis.hdel(`auth:session:${sid}`, 'at', 'at_exp');
    await expectRejected(token);
  });

  it('rejects a refresh token presented as an access token, and the reverse', async () => {
    const res = await api.post('/token', {
      form: { grant_type: 'password', username: 'erin', password: 'erin-password-1' },
    });
    await expectRejected(res.body.refresh_token);
    const reverse = await api.post('/token', {
      form: { grant_type: 'refresh_token', refresh_token: res.body.access_token },
    });
    expect(reverse.status).toBe(400);
    expect(reverse.body.error).toBe('invalid_grant');
    // Both still work for what they are.
    expect((await api.get('/me', { token: res.body.access_token })).status).toBe(200);
    expect(
      (await api.post('/token', { form: { grant_type: 'refresh_token', refresh_token: res.body.refresh_token } }))
        .status,
    ).toBe(200);
  });
});
