/**
 * The authorization server's round through the API, for the topology tests: a client registered
 * through /v1/clients, a DPoP-bound client_credentials token used, replayed, introspected and
 * revoked, the client disabled, and a user's DPoP-bound password login and refresh. Each step
 * crosses keys on several Cluster slots: the client's session and its index, the replay cache's
 * `auth:dpop:` keys (one per proof), the user's sessions.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { TestApp } from '../support/app';
import { challengeOf } from '../support/challenges';
import { client } from '../support/contract';
import { dpopKey, type TestDpopKey } from '../support/dpop';

type Api = ReturnType<typeof client>;

export interface AuthorizationServerRoundOptions {
  /** Names the round's users, so rounds on one app do not meet; default `as-round`. */
  name?: string;
  /** The key the app signs with (JWT_SIGNING_KEYS_FILE): a token is then verified with the JWKS. */
  signingKey?: { kid: string; alg: string };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Runs the round on `t` and asserts each step. */
export async function authorizationServerRound(t: TestApp, opts: AuthorizationServerRoundOptions = {}): Promise<void> {
  const api = client(t.url);
  const name = opts.name ?? 'as-round';
  const key = await dpopKey();
  const at = (path: string) => `${t.config.publicUrl}${path}`;

  await t.createUser(`${name}-admin`, `${name}-admin-password`, ['clients:admin']);
  const admin = await api.login(`${name}-admin`, `${name}-admin-password`);
  const registered = await api.post('/v1/clients', {
    token: admin,
    json: { name: `${name} service`, grant_types: ['client_credentials'], scopes: ['items:read', 'tokens:introspect'] },
  });
  expect(registered.status).toBe(201);
  const { client_id: clientId, client_secret: secret } = registered.body as {
    client_id: string;
    client_secret: string;
  };
  const authorization = basic(clientId, secret);
  const clientToken = async (k?: TestDpopKey) => {
    const dpop = k && (await k.proof({ method: 'POST', uri: at('/token') }));
    const res = await api.post('/token', {
      form: { grant_type: 'client_credentials', scope: 'items:read' },
      headers: { authorization, ...(dpop ? { dpop } : {}) },
    });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; token_type: string };
  };

  // A DPoP-bound client token; its proof at the resource is refused the second time (RFC 9449 §11.1).
  const bound = await clientToken(key);
  expect(bound.token_type).toBe('DPoP');
  expect(decodeJwt(bound.access_token)).toMatchObject({ sub: clientId, client_id: clientId, cnf: { jkt: key.jkt } });
  if (opts.signingKey) await expectSignedByJwks(api, bound.access_token, opts.signingKey);
  const readItems = async (token: string) => {
    const dpop = await key.proof({ method: 'GET', uri: at('/v1/items'), accessToken: token });
    return { dpop, res: await api.get('/v1/items', { headers: { authorization: `DPoP ${token}`, dpop } }) };
  };
  const { dpop: used, res: first } = await readItems(bound.access_token);
  expect(first.status).toBe(200);
  const replayed = await api.get('/v1/items', { headers: { authorization: `DPoP ${bound.access_token}`, dpop: used } });
  expect(replayed.status).toBe(401);
  expect(challengeOf(replayed.headers['www-authenticate'], 'DPoP')).toMatchObject({ error: 'invalid_dpop_proof' });

  // The client introspects its token, then revokes it (RFC 7662, RFC 7009): it ends at once.
  const introspect = (token: string) => api.post('/introspect', { form: { token }, headers: { authorization } });
  const active = await introspect(bound.access_token);
  expect([active.status, active.body]).toEqual([200, expect.objectContaining({ active: true, client_id: clientId })]);
  expect((await api.post('/revoke', { form: { token: bound.access_token }, headers: { authorization } })).status).toBe(
    200,
  );
  expect((await readItems(bound.access_token)).res.status).toBe(401);
  expect((await introspect(bound.access_token)).body).toEqual({ active: false });

  // Disabling the client ends the sessions it held (its index, then one key per session).
  const held = await clientToken();
  expect(held.token_type).toBe('Bearer');
  expect((await api.get('/v1/items', { token: held.access_token })).status).toBe(200);
  const disabled = await api.request('PATCH', `/v1/clients/${clientId}`, {
    token: admin,
    json: { disabled: true },
    headers: { 'content-type': 'application/merge-patch+json' },
  });
  expect([disabled.status, disabled.body.disabled]).toEqual([200, true]);
  expect((await api.get('/v1/items', { token: held.access_token })).status).toBe(401);
  const refused = await api.post('/token', { form: { grant_type: 'client_credentials' }, headers: { authorization } });
  expect([refused.status, refused.body.error]).toEqual([401, 'invalid_client']);

  await boundUserRound(t, api, `${name}-user`, key);
}

/** A user's password login with a DPoP proof, and the bound refresh (RFC 9449 §5). */
async function boundUserRound(t: TestApp, api: Api, username: string, key: TestDpopKey): Promise<void> {
  const password = `${username}-password-1`;
  await t.createUser(username, password, ['items:read']);
  const tokenUri = `${t.config.publicUrl}/token`;
  const withProof = async (form: Record<string, string>, k = key) =>
    api.post('/token', { form, headers: { dpop: await k.proof({ method: 'POST', uri: tokenUri }) } });
  const me = async (token: string) =>
    api.get('/me', {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await key.proof({ method: 'GET', uri: `${t.config.publicUrl}/me`, accessToken: token }),
      },
    });

  const login = await withProof({ grant_type: 'password', username, password });
  expect([login.status, login.body.token_type]).toEqual([200, 'DPoP']);
  expect(decodeJwt(login.body.access_token)).toMatchObject({ cnf: { jkt: key.jkt } });
  expect((await me(login.body.access_token)).body.username).toBe(username);

  const refresh = { grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string };
  const otherKey = await withProof(refresh, await dpopKey());
  expect([otherKey.status, otherKey.body.error]).toEqual([400, 'invalid_dpop_proof']);
  const refreshed = await withProof(refresh);
  expect([refreshed.status, refreshed.body.token_type]).toEqual([200, 'DPoP']);
  expect(decodeJwt(refreshed.body.access_token)).toMatchObject({ cnf: { jkt: key.jkt } });
  const after = await me(refreshed.body.access_token);
  expect([after.status, after.body.username]).toEqual([200, username]);
}

/** The token is signed by `key`, and verifies with the published JWK Set (RFC 9068 §4). */
async function expectSignedByJwks(api: Api, token: string, key: { kid: string; alg: string }): Promise<void> {
  const jwks = await api.get('/.well-known/jwks.json');
  expect(jwks.status).toBe(200);
  const { protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks.body));
  expect(protectedHeader).toMatchObject({ typ: 'at+jwt', ...key });
}
