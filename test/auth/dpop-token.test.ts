/**
 * DPoP at POST /token (RFC 9449 §5, §6, §8): a proof binds the tokens issued to its key, a bound
 * session refreshes only with that key, and a refused proof is an RFC 6749 §5.2 error.
 */
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { dpopKey, type TestDpopKey } from '../support/dpop';

let t: TestApp;
let api: ReturnType<typeof client>;
let key: TestDpopKey;
const PASSWORD = 'dpop-password-1';
const login = { grant_type: 'password', username: 'dora', password: PASSWORD };

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  key = await dpopKey();
  await t.createUser('dora', PASSWORD, ['items:read']);
});
afterAll(() => t.stop());

const tokenUri = () => `${t.config.publicUrl}/token`;
const withProof = async (form: Record<string, string>, k: TestDpopKey = key) =>
  api.post('/token', { form, headers: { dpop: await k.proof({ method: 'POST', uri: tokenUri() }) } });

it('binds the access token to the proof key: cnf.jkt is its thumbprint and token_type is DPoP', async () => {
  const res = await withProof(login);
  expect(res.status).toBe(200);
  expect(res.body.token_type).toBe('DPoP');
  expect(decodeJwt(res.body.access_token)).toMatchObject({ cnf: { jkt: key.jkt } });
});

it('issues an unbound Bearer token without a proof', async () => {
  const res = await api.post('/token', { form: login });
  expect(res.body.token_type).toBe('Bearer');
  expect(decodeJwt(res.body.access_token).cnf).toBeUndefined();
});

it.each([
  ['a proof for another URI', () => key.proof({ method: 'POST', uri: `${t.config.publicUrl}/revoke` })],
  ['a proof for another method', () => key.proof({ method: 'GET', uri: tokenUri() })],
  ['a stale proof', () => key.proof({ method: 'POST', uri: tokenUri(), iat: Math.floor(Date.now() / 1000) - 600 })],
  ['a malformed proof', async () => 'not-a-jwt'],
])('refuses %s with 400 invalid_dpop_proof', async (_, make) => {
  const res = await api.post('/token', { form: login, headers: { dpop: await make() } });
  expect(res.status).toBe(400);
  expect(res.body.error).toBe('invalid_dpop_proof');
  expect(res.headers['cache-control']).toBe('no-store');
});

it('refuses a proof sent twice', async () => {
  const dpop = await key.proof({ method: 'POST', uri: tokenUri() });
  expect((await api.post('/token', { form: login, headers: { dpop } })).status).toBe(200);
  const again = await api.post('/token', { form: login, headers: { dpop } });
  expect(again.status).toBe(400);
  expect(again.body.error).toBe('invalid_dpop_proof');
});

describe('refreshing a bound session', () => {
  async function boundRefreshToken(): Promise<string> {
    return (await withProof(login)).body.refresh_token;
  }

  it('refreshes with a proof by the same key, and the new access token stays bound', async () => {
    const res = await withProof({ grant_type: 'refresh_token', refresh_token: await boundRefreshToken() });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    expect(decodeJwt(res.body.access_token)).toMatchObject({ cnf: { jkt: key.jkt } });
  });

  it('refuses a refresh without a proof', async () => {
    const res = await api.post('/token', {
      form: { grant_type: 'refresh_token', refresh_token: await boundRefreshToken() },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_dpop_proof');
  });

  it("refuses a refresh with another key's proof, and the refresh token still works with its own", async () => {
    const refresh = await boundRefreshToken();
    const other = await withProof({ grant_type: 'refresh_token', refresh_token: refresh }, await dpopKey());
    expect(other.status).toBe(400);
    expect(other.body.error).toBe('invalid_dpop_proof');
    expect((await withProof({ grant_type: 'refresh_token', refresh_token: refresh })).status).toBe(200);
  });
});

describe('with DPOP_NONCE=required', () => {
  let n: TestApp;
  beforeAll(async () => {
    n = await startTestApp({ env: { DPOP_NONCE: 'required' } });
    await n.createUser('dora', PASSWORD, ['items:read']);
  });
  afterAll(() => n.stop());

  it('answers use_dpop_nonce with a DPoP-Nonce, then issues for a proof carrying that nonce', async () => {
    const nonceApi = client(n.url);
    const uri = `${n.config.publicUrl}/token`;
    const first = await nonceApi.post('/token', {
      form: login,
      headers: { dpop: await key.proof({ method: 'POST', uri }) },
    });
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toEqual(expect.any(String));
    const second = await nonceApi.post('/token', {
      form: login,
      headers: { dpop: await key.proof({ method: 'POST', uri, nonce }) },
    });
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('DPoP');
    expect(second.headers['dpop-nonce']).toEqual(expect.any(String));
  });
});
