/**
 * No answer of an OAuth endpoint (POST /token, /revoke, /introspect) may be stored (RFC 6749 §5.1):
 * successes, errors, and the 405 every other method gets carry `Cache-Control: no-store` and
 * `Pragma: no-cache`.
 */
import { HTTP_METHODS } from '../../../src/pipeline/compile/operations';
import { startTestApp, type TestApp } from '../../support/app';
import { client, httpRequest } from '../../support/contract';

let t: TestApp;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp();
  api = client(t.url);
  await t.createUser('oauth-ops', 'oauth-ops-password-1', ['tokens:introspect']);
});
afterAll(() => t.stop());

const send = (method: string, path: string) => httpRequest(`${t.url}${path}`, { method });

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const OAUTH_PATHS = ['/token', '/revoke', '/introspect'];
const OTHER_METHODS = HTTP_METHODS.filter((m) => m !== 'post').map((m) => m.toUpperCase());

describe.each(OAUTH_PATHS)('%s', (path) => {
  it.each(OTHER_METHODS)('%s answers 405 (Allow: POST) that must not be stored', async (method) => {
    const res = await send(method, path);
    expect([method, res.status]).toEqual([method, 405]);
    expect(res.headers.allow).toBe('POST');
    expect(res.headers).toMatchObject(NO_STORE);
    if (method !== 'HEAD') expect(res.body.type).toBe('/docs#section/Errors/method_not_allowed');
  });
});

describe('POST answers', () => {
  it('token: success and error', async () => {
    const ok = await api.post('/token', {
      form: { grant_type: 'password', username: 'oauth-ops', password: 'oauth-ops-password-1' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject(NO_STORE);
    const bad = await api.post('/token', {
      form: { grant_type: 'password', username: 'oauth-ops', password: 'wrong-password-1' },
    });
    expect([bad.status, bad.body.error]).toEqual([400, 'invalid_grant']);
    expect(bad.headers).toMatchObject(NO_STORE);
  });

  it('introspect: an active token, an inactive one, and the 401 without a bearer token', async () => {
    const token = await api.login('oauth-ops', 'oauth-ops-password-1');
    const active = await api.post('/introspect', { token, form: { token } });
    expect([active.status, active.body.active]).toEqual([200, true]);
    expect(active.headers).toMatchObject(NO_STORE);
    const inactive = await api.post('/introspect', { token, form: { token: 'not-a-token' } });
    expect([inactive.status, inactive.body.active]).toEqual([200, false]);
    expect(inactive.headers).toMatchObject(NO_STORE);
    const anonymous = await api.post('/introspect', { form: { token } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers).toMatchObject(NO_STORE);
  });

  it('revoke: success and a missing token', async () => {
    const ok = await api.post('/revoke', { form: { token: 'whatever' } });
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject(NO_STORE);
    const bad = await api.post('/revoke', { form: {} });
    expect([bad.status, bad.body.error]).toEqual([400, 'invalid_request']);
    expect(bad.headers).toMatchObject(NO_STORE);
  });
});
