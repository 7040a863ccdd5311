/**
 * DPoP-bound access tokens at protected operations (RFC 9449 §7): `Authorization: DPoP` with a
 * proof carrying `ath` works; every other presentation is a 401 naming the RFC's error in a DPoP
 * challenge.
 */
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startTestApp, type TestApp } from '../support/app';
import { challengeOf } from '../support/challenges';
import { client } from '../support/contract';
import { dpopKey, type ProofOptions, type TestDpopKey } from '../support/dpop';

let t: TestApp;
let api: ReturnType<typeof client>;
let key: TestDpopKey;
let token: string;
const PASSWORD = 'dpop-password-2';

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  key = await dpopKey();
  await t.createUser('rhea', PASSWORD, ['items:read']);
  token = await boundToken(t, key);
});
afterAll(() => t.stop());

/** A DPoP-bound access token for rhea, bound to `k`. */
async function boundToken(app: TestApp, k: TestDpopKey, nonce?: string): Promise<string> {
  const dpop = await k.proof({ method: 'POST', uri: `${app.config.publicUrl}/token`, nonce });
  const res = await client(app.url).post('/token', {
    form: { grant_type: 'password', username: 'rhea', password: PASSWORD },
    headers: { dpop },
  });
  expect(res.body.token_type).toBe('DPoP');
  return res.body.access_token;
}

const meUri = () => `${t.config.publicUrl}/me`;
const proofFor = (o: Partial<ProofOptions> = {}, k = key) =>
  k.proof({ method: 'GET', uri: meUri(), accessToken: token, ...o });
const callMe = (dpop: string | undefined, authorization = `DPoP ${token}`) =>
  api.get('/me', { headers: { authorization, ...(dpop === undefined ? {} : { dpop }) } });

/** Asserts a 401 whose DPoP challenge names `error`. */
function expectRefused(res: { status: number; headers: Record<string, string> }, error: string) {
  expect(res.status).toBe(401);
  expect(challengeOf(res.headers['www-authenticate'], 'DPoP')).toMatchObject({
    error,
    algs: 'ES256 RS256 PS256 EdDSA',
  });
}

it('answers a bound token sent with a valid proof', async () => {
  const res = await callMe(await proofFor());
  expect(res.status).toBe(200);
  expect(res.body.username).toBe('rhea');
});

it('refuses a replayed proof (the same jti twice)', async () => {
  const dpop = await proofFor();
  expect((await callMe(dpop)).status).toBe(200);
  expectRefused(await callMe(dpop), 'invalid_dpop_proof');
});

it.each([
  ['for another URI (htu)', () => proofFor({ uri: `${t.config.publicUrl}/v1/items` })],
  ['for another method (htm)', () => proofFor({ method: 'POST' })],
  ['with a stale iat', () => proofFor({ iat: Math.floor(Date.now() / 1000) - 600 })],
  ['for another access token (ath)', () => proofFor({ accessToken: 'another-token' })],
  ['without ath', () => proofFor({ accessToken: undefined })],
])('refuses a proof %s with invalid_dpop_proof', async (_, make) => {
  expectRefused(await callMe(await make()), 'invalid_dpop_proof');
});

it('refuses a bound token with no proof', async () => {
  expectRefused(await callMe(undefined), 'invalid_dpop_proof');
});

it("refuses a bound token with another key's proof", async () => {
  expectRefused(await callMe(await proofFor({}, await dpopKey())), 'invalid_dpop_proof');
});

it('refuses a proof signed with HS256', async () => {
  const dpop = await new SignJWT({ jti: 'hs', htm: 'GET', htu: meUri(), iat: Math.floor(Date.now() / 1000) })
    .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } as never })
    .sign(randomBytes(32));
  expectRefused(await callMe(dpop), 'invalid_dpop_proof');
});

it('refuses a proof whose jwk carries the private key', async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const dpop = await new SignJWT({ jti: 'priv', htm: 'GET', htu: meUri(), iat: Math.floor(Date.now() / 1000) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(privateKey) })
    .sign(privateKey);
  expectRefused(await callMe(dpop), 'invalid_dpop_proof');
});

it('refuses a bound token sent as Bearer with invalid_token (§7.2)', async () => {
  const res = await callMe(await proofFor(), `Bearer ${token}`);
  expect(res.status).toBe(401);
  expect(challengeOf(res.headers['www-authenticate'], 'Bearer')).toMatchObject({ error: 'invalid_token' });
});

it('refuses an unbound token sent as DPoP with invalid_token', async () => {
  const bearer = await api.login('rhea', PASSWORD);
  const dpop = await proofFor({ accessToken: bearer });
  expectRefused(await callMe(dpop, `DPoP ${bearer}`), 'invalid_token');
});

it('offers the DPoP challenge with its algorithms to a request without credentials', async () => {
  const res = await api.get('/me');
  expect(res.status).toBe(401);
  expect(challengeOf(res.headers['www-authenticate'], 'DPoP')).toMatchObject({ algs: 'ES256 RS256 PS256 EdDSA' });
});

describe('with DPOP_NONCE=required', () => {
  let n: TestApp;
  beforeAll(async () => {
    n = await startTestApp({ env: { DPOP_NONCE: 'required' } });
    await n.createUser('rhea', PASSWORD, ['items:read']);
  });
  afterAll(() => n.stop());

  it('answers use_dpop_nonce with a DPoP-Nonce, then the call with that nonce', async () => {
    const nonceApi = client(n.url);
    const first = await nonceApi.post('/token', {
      form: { grant_type: 'password', username: 'rhea', password: PASSWORD },
      headers: { dpop: await key.proof({ method: 'POST', uri: `${n.config.publicUrl}/token` }) },
    });
    const bound = await boundToken(n, key, first.headers['dpop-nonce']);
    const uri = `${n.config.publicUrl}/me`;
    const authorization = `DPoP ${bound}`;
    const refused = await nonceApi.get('/me', {
      headers: { authorization, dpop: await key.proof({ method: 'GET', uri, accessToken: bound }) },
    });
    expect(refused.status).toBe(401);
    expect(challengeOf(refused.headers['www-authenticate'], 'DPoP')).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = refused.headers['dpop-nonce'];
    expect(nonce).toEqual(expect.any(String));
    const ok = await nonceApi.get('/me', {
      headers: { authorization, dpop: await key.proof({ method: 'GET', uri, accessToken: bound, nonce }) },
    });
    expect(ok.status).toBe(200);
  });
});
