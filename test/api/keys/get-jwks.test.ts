/**
 * GET /.well-known/jwks.json: the public keys tokens are signed with, as a resource server reads
 * them, and nothing private.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';
import { type TestKeyFile, testKeyFile } from '../../support/signing-keys';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe('with a key file', () => {
  let keyFile: TestKeyFile;
  let t: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    keyFile = await testKeyFile(['RS256', 'EdDSA', 'ES256']);
    t = await startTestApp({ env: { JWT_SIGNING_KEYS_FILE: keyFile.file, JWT_KEY_NOTICE_SECONDS: '600' } });
    api = client(t.url);
    await t.createUser('jo', 'jo-password-123', ['items:read']);
  });
  afterAll(async () => {
    await t.stop();
    keyFile.remove();
  });

  it('lists every key by kid, alg and use, with no private member', async () => {
    const res = await api.get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    const keys = res.body.keys as Record<string, unknown>[];
    expect(keys.map((k) => [k.kid, k.alg, k.use])).toEqual(keyFile.keys.map((k) => [k.kid, k.alg, 'sig']));
    for (const key of keys) for (const m of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(m);
  });

  it('may be cached no longer than the rotation notice period', async () => {
    const res = await api.get('/.well-known/jwks.json');
    const maxAge = Number(/^public, max-age=(\d+)$/.exec(res.headers['cache-control'] ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(600);
  });

  it('is named by the authorization server metadata (RFC 8414 jwks_uri)', async () => {
    const metadata = (await api.get('/.well-known/oauth-authorization-server')).body;
    expect(metadata.jwks_uri).toBe(`${t.config.publicUrl}/.well-known/jwks.json`);
  });

  it('verifies the access tokens the service issues, as a resource server would (RFC 9068 §4)', async () => {
    const token = await api.login('jo', 'jo-password-123');
    const jwks = createLocalJWKSet((await api.get('/.well-known/jwks.json')).body as never);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: t.config.jwt.issuer,
      audience: t.config.jwt.audience,
      typ: 'at+jwt',
    });
    // The newest key that may sign is the file's last one.
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: keyFile.keys[2]!.kid });
    expect(payload).toHaveProperty('client_id');
    expect((await api.get('/me', { token })).status).toBe(200);
  });
});

it('answers an empty set when tokens are signed HS256', async () => {
  const t = await startTestApp();
  try {
    const res = await client(t.url).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ keys: [] });
    expect((await client(t.url).get('/.well-known/oauth-authorization-server')).body).not.toHaveProperty('jwks_uri');
  } finally {
    await t.stop();
  }
});
