/**
 * The authorization endpoint and its forms (RFC 6749 §4.1, RFC 7636, RFC 9207) over a socket,
 * against a real Redis and database: the checks before the login page, the login form (CSRF,
 * the shared login limits, a message that never says whether the user exists), the browser's
 * sign-in session, consent, and the code that ends the way at /token. The last test stops this
 * file's Redis.
 */
import { MAX_CODES_PER_SIGN_IN } from '../../../src/auth/codes/code-issuance-limit';
import { ConsentStore, MAX_CONSENTS_PER_USER } from '../../../src/auth/consents';
import { keys } from '../../../src/store/redis-keys';
import { startTestApp, type TestApp } from '../../support/app';
import { client } from '../../support/contract';
import { startRedis } from '../../support/redis-server';
import { type Registered, registerClient } from '../../support/registered-clients';
import { authorizeQuery, CookieBrowser, type PageResponse } from '../../support/sign-in';

const REDIRECT = 'https://app.example.com/callback';
const OTHER_REDIRECT = 'https://other.example.net/cb?tenant=7';
const MERGE = { 'content-type': 'application/merge-patch+json' };

let t: TestApp;
let api: ReturnType<typeof client>;
let admin: string;
let firstParty: Registered;
let thirdParty: Registered;

beforeAll(async () => {
  t = await startTestApp({ redisServer: await startRedis() });
  api = client(t.url);
  await t.createUser('az-admin', 'az-admin-password', ['clients:admin', 'users:admin']);
  admin = await api.login('az-admin', 'az-admin-password');
  const codeFlow = {
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: ['items:read', 'items:write'],
    public: true,
  };
  firstParty = await registerClient(api, admin, {
    ...codeFlow,
    name: 'Acme Notes',
    redirect_uris: [REDIRECT],
    first_party: true,
  });
  thirdParty = await registerClient(api, admin, {
    ...codeFlow,
    name: 'Other <Tools>',
    redirect_uris: [OTHER_REDIRECT],
  });
});
afterAll(async () => {
  await t.stop();
  await t.redisServer.stop();
});

/** A new CSRF cookie, and the removal of the sign-in cookie (same attributes, RFC 6265 §5.3 step 11). */
const NEW_CSRF = /^__Host-specgate-csrf=[\w-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/;
const CLEAR_SIGN_IN = '__Host-specgate-signin=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0';

/** The query of a Location header, by name. */
const queryOf = (res: PageResponse) => Object.fromEntries(new URL(res.headers.location ?? '').searchParams);

/** Opens the login page for `c` and signs in with the password; answers the form's response. */
async function signIn(b: CookieBrowser, username: string, password: string, c = firstParty, redirect = REDIRECT) {
  const q = authorizeQuery(c.client_id, redirect, { scope: 'items:read' });
  const page = await b.get(q.path);
  expect(page.status).toBe(200);
  const res = await b.signIn(page, username, password);
  return { res, q };
}

describe('the login page', () => {
  test('is a form with labelled username and current-password fields, the client named, under a strict CSP', async () => {
    const b = new CookieBrowser(t.url);
    const res = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('autocomplete="username"');
    expect(res.text).toContain('autocomplete="current-password"');
    expect(res.text).toMatch(/<label for="username">/);
    expect(res.text).toContain('Acme Notes');
    expect(res.text).not.toContain('<script');
    const csp = res.headers['content-security-policy'] ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toContain("form-action 'self' https://app.example.com");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.setCookies).toEqual([
      expect.stringMatching(/^__Host-specgate-csrf=[\w-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/),
    ]);
  });

  test('escapes what it shows', async () => {
    const b = new CookieBrowser(t.url);
    const res = await b.get(authorizeQuery(thirdParty.client_id, OTHER_REDIRECT).path);
    expect(res.text).toContain('Other &lt;Tools&gt;');
    expect(res.text).not.toContain('<Tools>');
  });
});

describe('requests that cannot go back to the client', () => {
  test.each([
    ['a redirect URI that differs by one character', { redirect_uri: `${REDIRECT}x` }],
    ['a redirect URI with another case', { redirect_uri: REDIRECT.replace('callback', 'Callback') }],
    ['no redirect URI', { redirect_uri: undefined }],
    ['an unknown client', { client_id: 'no-such-client' }],
    ['no client', { client_id: undefined }],
  ])('%s: an error page, no redirect', async (_name, over) => {
    const res = await new CookieBrowser(t.url).get(authorizeQuery(firstParty.client_id, REDIRECT, over).path);
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  });

  test('a client not allowed the authorization_code grant gets the error page', async () => {
    const other = await registerClient(api, admin, {
      grant_types: ['password'],
      redirect_uris: [REDIRECT],
      public: true,
    });
    const res = await new CookieBrowser(t.url).get(authorizeQuery(other.client_id, REDIRECT).path);
    expect([res.status, res.headers.location]).toEqual([400, undefined]);
  });
});

describe('errors redirected to the client (RFC 6749 §4.1.2.1), with state and iss', () => {
  test.each([
    ['no code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['code_challenge_method plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['no code_challenge_method', { code_challenge_method: undefined }, 'invalid_request'],
    ['a challenge that is no SHA-256', { code_challenge: 'short' }, 'invalid_request'],
    ['response_type token', { response_type: 'token' }, 'unsupported_response_type'],
    ['a scope the client may not have', { scope: 'users:admin' }, 'invalid_scope'],
  ])('%s', async (_name, over, error) => {
    const q = authorizeQuery(firstParty.client_id, REDIRECT, over);
    const res = await new CookieBrowser(t.url).get(q.path);
    expect(res.status).toBe(302);
    expect(res.headers.location?.startsWith(`${REDIRECT}?`)).toBe(true);
    const params = queryOf(res);
    expect(params).toEqual({ error, error_description: expect.any(String), state: q.state, iss: t.config.publicUrl });
  });
});

describe('the sign-in form', () => {
  test('signs in a first-party client without consent: 303 with code, state and iss, and the code works at /token', async () => {
    await t.createUser('az-first', 'az-first-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    const { res, q } = await signIn(b, 'az-first', 'az-first-password');
    expect(res.status).toBe(303);
    const params = queryOf(res);
    expect(params).toEqual({ code: expect.any(String), state: q.state, iss: t.config.publicUrl });
    expect(res.setCookies).toEqual([
      expect.stringMatching(/^__Host-specgate-signin=[\w.-]+; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=43200$/),
    ]);
    const token = await api.post('/token', {
      form: {
        grant_type: 'authorization_code',
        code: params.code ?? '',
        redirect_uri: REDIRECT,
        code_verifier: q.verifier,
        client_id: firstParty.client_id,
      },
    });
    expect([token.status, token.body.scope]).toEqual([200, 'items:read']);
  });

  test('a signed-in browser gets its next code without the form; prompt=login shows the form again', async () => {
    await t.createUser('az-again', 'az-again-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    expect((await signIn(b, 'az-again', 'az-again-password')).res.status).toBe(303);
    const q = authorizeQuery(firstParty.client_id, REDIRECT);
    const again = await b.get(q.path);
    expect(again.status).toBe(302);
    expect(queryOf(again)).toEqual({ code: expect.any(String), state: q.state, iss: t.config.publicUrl });
    const forced = await b.get(authorizeQuery(firstParty.client_id, REDIRECT, { prompt: 'login' }).path);
    expect(forced.status).toBe(200);
    expect(forced.text).toContain('autocomplete="current-password"');
    // prompt=login does not look at the session, so it leaves the cookie alone.
    expect(forced.setCookies).not.toContain(CLEAR_SIGN_IN);
    expect(b.jar.has('__Host-specgate-signin')).toBe(true);
  });

  test('a wrong password and an unknown user get the same form again, with the same message', async () => {
    await t.createUser('az-wrong', 'az-wrong-password', ['items:read']);
    const wrong = (await signIn(new CookieBrowser(t.url), 'az-wrong', 'not-the-password')).res;
    const unknown = (await signIn(new CookieBrowser(t.url), 'az-nobody', 'not-the-password')).res;
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(400);
      expect(res.text).toContain('The username or password is incorrect.');
      expect(res.text).toContain('autocomplete="current-password"');
      expect(res.setCookies.filter((c) => c.startsWith('__Host-specgate-signin'))).toEqual([]);
    }
    const message = (r: PageResponse) => /<p class="error"[^>]*>(.*?)<\/p>/.exec(r.text)?.[1];
    expect(message(wrong)).toBe(message(unknown));
  });

  test.each([
    ['missing', (_csrf: string): Record<string, string> => ({})],
    ['wrong', (csrf: string): Record<string, string> => ({ csrf: `${csrf.slice(0, -2)}AA` })],
  ])('a %s CSRF token: 403, and nothing happens (no session, no attempt counted)', async (_name, tamper) => {
    await t.createUser(`az-csrf-${_name}`, 'az-csrf-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    const page = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    const res = await b.post('/authorize/sign-in', {
      request: page.fields.request ?? '',
      ...tamper(page.fields.csrf ?? ''),
      username: `az-csrf-${_name}`,
      password: 'az-csrf-password',
    });
    expect(res.status).toBe(403);
    expect(res.headers.location).toBeUndefined();
    expect(res.setCookies).toEqual([]);
    expect(await t.redis.exists(keys.loginAttemptsByUser(`az-csrf-${_name}`))).toBe(0);
  });

  test('a form posted without the CSRF cookie is refused (403)', async () => {
    const b = new CookieBrowser(t.url);
    const page = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    b.jar.clear();
    const res = await b.signIn(page, 'az-admin', 'az-admin-password');
    expect(res.status).toBe(403);
  });

  test('an altered sealed request: an error page, no redirect', async () => {
    const b = new CookieBrowser(t.url);
    const page = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    const sealed = page.fields.request ?? '';
    const forged = Buffer.from(
      Buffer.from(sealed.split('.')[0] ?? '', 'base64url')
        .toString()
        .replace(REDIRECT, 'https://evil.example/cb'),
    ).toString('base64url');
    const res = await b.post('/authorize/sign-in', {
      request: `${forged}.${sealed.split('.')[1]}`,
      csrf: page.fields.csrf ?? '',
      username: 'az-admin',
      password: 'az-admin-password',
    });
    expect([res.status, res.headers.location]).toEqual([400, undefined]);
  });

  test('11 wrong passwords through the page get 429 with Retry-After, as /token does, and a password-grant failure counts in the same bucket', async () => {
    await t.createUser('az-brute', 'az-brute-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    const page = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    const attempt = (password: string) => b.signIn(page, 'az-brute', password);
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await attempt(`wrong-${i}`)).status);
    // The tenth failure is a password grant at /token: the same pair counter.
    const grant = await api.post('/token', {
      form: { grant_type: 'password', username: 'az-brute', password: 'wrong' },
    });
    expect([grant.status, grant.body.error]).toEqual([400, 'invalid_grant']);
    const eleventh = await attempt('az-brute-password');
    expect(statuses).toEqual(Array(9).fill(400));
    expect(eleventh.status).toBe(429);
    expect(Number(eleventh.headers['retry-after'])).toBeGreaterThan(0);
    expect(eleventh.headers['content-type']).toMatch(/^text\/html/);
    expect(eleventh.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    // And /token refuses the pair too.
    const token = await api.post('/token', {
      form: { grant_type: 'password', username: 'az-brute', password: 'az-brute-password' },
    });
    expect(token.status).toBe(429);
  });
});

describe('the sign-in session', () => {
  test('is one of the user’s sessions: listed, and ended by DELETE /v1/users/{id}/sessions', async () => {
    const id = await t.createUser('az-listed', 'az-listed-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    expect((await signIn(b, 'az-listed', 'az-listed-password')).res.status).toBe(303);
    const listed = await api.get(`/v1/users/${id}/sessions`, { token: admin });
    expect(listed.body.sessions).toEqual([expect.objectContaining({ client_id: firstParty.client_id })]);
    expect((await api.request('DELETE', `/v1/users/${id}/sessions`, { token: admin })).status).toBe(204);
    const res = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    expect([res.status, res.text.includes('autocomplete="current-password"')]).toEqual([200, true]);
  });

  test('an ended session’s cookie is removed by the login page, next to the CSRF cookie a restarted browser lacks', async () => {
    const id = await t.createUser('az-stale', 'az-stale-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    expect((await signIn(b, 'az-stale', 'az-stale-password')).res.status).toBe(303);
    await api.request('DELETE', `/v1/users/${id}/sessions`, { token: admin });
    // The CSRF cookie lasts the browser session; the sign-in cookie outlives it (Max-Age).
    b.jar.delete('__Host-specgate-csrf');
    const res = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    expect(res.status).toBe(200);
    expect(res.setCookies).toEqual([expect.stringMatching(NEW_CSRF), CLEAR_SIGN_IN]);
    expect(b.cookieHeader()).not.toContain('__Host-specgate-signin');
    // The next request no longer sends it, so there is nothing left to remove.
    const next = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    expect([next.status, next.setCookies]).toEqual([200, []]);
  });

  test('a disabled user’s sign-in session no longer skips the form', async () => {
    const id = await t.createUser('az-disabled', 'az-disabled-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    expect((await signIn(b, 'az-disabled', 'az-disabled-password')).res.status).toBe(303);
    const patched = await api.request('PATCH', `/v1/users/${id}`, {
      token: admin,
      json: { disabled: true },
      headers: MERGE,
    });
    expect(patched.status).toBe(200);
    const res = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    expect(res.status).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.setCookies).toEqual([CLEAR_SIGN_IN]);
  });

  test(`holds at most ${MAX_CODES_PER_SIGN_IN} codes: then temporarily_unavailable, nothing stored, other browsers unaffected`, async () => {
    const id = await t.createUser('az-looping', 'az-looping-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    // The sign-in itself issues the first code; the loop on /authorize the rest, then one too many.
    expect((await signIn(b, 'az-looping', 'az-looping-password')).res.status).toBe(303);
    const sid = b.jar.get('__Host-specgate-signin')?.split('.')[0] ?? '';
    for (let i = 1; i < MAX_CODES_PER_SIGN_IN; i++) {
      const res = await b.get(authorizeQuery(firstParty.client_id, REDIRECT, { scope: 'items:read' }).path);
      expect([res.status, queryOf(res).code]).toEqual([302, expect.any(String)]);
    }
    const q = authorizeQuery(firstParty.client_id, REDIRECT, { scope: 'items:read' });
    const refused = await b.get(q.path);
    expect(refused.status).toBe(302);
    expect(refused.headers.location?.startsWith(`${REDIRECT}?`)).toBe(true);
    expect(queryOf(refused)).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.any(String),
      state: q.state,
      iss: t.config.publicUrl,
    });
    const held = async (signInSid: string) => {
      const codeKeys = await t.redis.keys('auth:code:*');
      const sids = await Promise.all(codeKeys.map((k) => t.redis.hget(k, 'signin_sid')));
      return sids.filter((s) => s === signInSid).length;
    };
    expect(await held(sid)).toBe(MAX_CODES_PER_SIGN_IN);
    const ttl = await t.redis.pttl(keys.codesIssued(sid));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual((t.app.codes.ttlSeconds + 1) * 1000);
    const logged = t.logs.map((l) => JSON.parse(l)).filter((l) => l.outcome === 'code_limit_reached');
    expect(logged).toEqual([expect.objectContaining({ sub: id, sid })]);
    // Another browser of the same user has its own sign-in session, and its own count.
    const other = new CookieBrowser(t.url);
    const { res } = await signIn(other, 'az-looping', 'az-looping-password');
    expect([res.status, queryOf(res).code]).toEqual([303, expect.any(String)]);
    const again = await other.get(authorizeQuery(firstParty.client_id, REDIRECT, { scope: 'items:read' }).path);
    expect([again.status, queryOf(again).code]).toEqual([302, expect.any(String)]);
  });

  test.each([
    ['forged', () => `${crypto.randomUUID()}.${'A'.repeat(43)}`],
    ['malformed', () => 'not-a-sign-in-cookie'],
  ])(
    'a %s sign-in cookie signs no one in; the first page sets the CSRF cookie and removes it',
    async (_kind, value) => {
      const b = new CookieBrowser(t.url);
      b.jar.set('__Host-specgate-signin', value());
      const res = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
      expect([res.status, res.text.includes('autocomplete="current-password"')]).toEqual([200, true]);
      expect(res.setCookies).toEqual([expect.stringMatching(NEW_CSRF), CLEAR_SIGN_IN]);
      const next = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
      expect([next.status, next.setCookies]).toEqual([200, []]);
    },
  );
});

describe('consent', () => {
  test('a third-party client asks once per scope set: deny redirects access_denied, allow redirects a code, and it is remembered', async () => {
    await t.createUser('az-consent', 'az-consent-password', ['items:read', 'items:write']);
    const b = new CookieBrowser(t.url);
    const { res: consent, q } = await signIn(b, 'az-consent', 'az-consent-password', thirdParty, OTHER_REDIRECT);
    expect(consent.status).toBe(200);
    expect(consent.text).toContain('Other &lt;Tools&gt;');
    expect(consent.text).toContain('Read items.');
    expect(consent.headers['content-security-policy']).toContain("form-action 'self' https://other.example.net");
    const decide = (decision: string, page: PageResponse) =>
      b.post('/authorize/consent', { request: page.fields.request ?? '', csrf: page.fields.csrf ?? '', decision });
    const denied = await decide('deny', consent);
    expect(denied.status).toBe(303);
    expect(queryOf(denied)).toEqual({
      tenant: '7',
      error: 'access_denied',
      error_description: expect.any(String),
      state: q.state,
      iss: t.config.publicUrl,
    });
    const allowed = await decide('allow', consent);
    expect(allowed.status).toBe(303);
    expect(queryOf(allowed)).toEqual({
      tenant: '7',
      code: expect.any(String),
      state: q.state,
      iss: t.config.publicUrl,
    });
    // The same scope set again: no consent page.
    const again = await b.get(authorizeQuery(thirdParty.client_id, OTHER_REDIRECT, { scope: 'items:read' }).path);
    expect(again.status).toBe(302);
    // Another scope set: asked again.
    const wider = await b.get(
      authorizeQuery(thirdParty.client_id, OTHER_REDIRECT, { scope: 'items:read items:write' }).path,
    );
    expect([wider.status, wider.text.includes('Create, change and delete items.')]).toEqual([200, true]);
  });

  test('a consent form without a CSRF token is refused (403)', async () => {
    await t.createUser('az-consent-csrf', 'az-consent-csrf-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    const { res: consent } = await signIn(b, 'az-consent-csrf', 'az-consent-csrf-password', thirdParty, OTHER_REDIRECT);
    const res = await b.post('/authorize/consent', { request: consent.fields.request ?? '', decision: 'allow' });
    expect([res.status, res.headers.location]).toEqual([403, undefined]);
  });

  test('a consent form with an altered sealed request: an error page, nothing remembered', async () => {
    const id = await t.createUser('az-consent-forged', 'az-consent-forged-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    const { res: consent } = await signIn(
      b,
      'az-consent-forged',
      'az-consent-forged-password',
      thirdParty,
      OTHER_REDIRECT,
    );
    const res = await b.post('/authorize/consent', {
      request: `${consent.fields.request ?? ''}x`,
      csrf: consent.fields.csrf ?? '',
      decision: 'allow',
    });
    expect([res.status, res.headers.location]).toEqual([400, undefined]);
    expect(await t.redis.exists(keys.userConsents(id))).toBe(0);
  });

  test('a consent form whose sign-in session ended gets the login form', async () => {
    const id = await t.createUser('az-consent-ended', 'az-consent-ended-password', ['items:read']);
    const b = new CookieBrowser(t.url);
    const { res: consent } = await signIn(
      b,
      'az-consent-ended',
      'az-consent-ended-password',
      thirdParty,
      OTHER_REDIRECT,
    );
    await api.request('DELETE', `/v1/users/${id}/sessions`, { token: admin });
    const res = await b.post('/authorize/consent', {
      request: consent.fields.request ?? '',
      csrf: consent.fields.csrf ?? '',
      decision: 'allow',
    });
    expect([res.status, res.text.includes('autocomplete="current-password"')]).toEqual([200, true]);
    expect(res.setCookies).toEqual([CLEAR_SIGN_IN]);
  });

  test(`a user holds at most ${MAX_CONSENTS_PER_USER} consents, and ending all their sessions drops them`, async () => {
    const id = await t.createUser('az-many', 'az-many-password', ['items:read']);
    const consents = new ConsentStore(t.redis);
    let held = 0;
    for (let i = 0; i < MAX_CONSENTS_PER_USER + 10; i++)
      held = await consents.remember(id, `client-${i}`, ['items:read']);
    expect(held).toBe(MAX_CONSENTS_PER_USER);
    expect(await t.redis.zcard(keys.userConsents(id))).toBe(MAX_CONSENTS_PER_USER);
    expect(await consents.given(id, 'client-0', ['items:read'])).toBe(false);
    expect(await consents.given(id, `client-${MAX_CONSENTS_PER_USER + 9}`, ['items:read'])).toBe(true);
    await api.request('DELETE', `/v1/users/${id}/sessions`, { token: admin });
    expect(await t.redis.exists(keys.userConsents(id))).toBe(0);
  });
});

describe('what the pipeline answers for these pages', () => {
  test('an invalid query parameter is a 400 page that names it and what is wrong, not the value sent', async () => {
    const state = `secret-state-${'x'.repeat(1024)}`;
    const res = await new CookieBrowser(t.url).get(authorizeQuery(firstParty.client_id, REDIRECT, { state }).path);
    expect([res.status, res.headers['content-type']]).toEqual([400, 'text/html; charset=utf-8']);
    expect(res.text).toContain('<li>Query parameter <code>state</code>: must NOT have more than 1024 characters</li>');
    expect(res.text).not.toContain('secret-state');
  });

  test('a sign-in form without a password, or with one too long, is a 400 page naming the field, none of the values sent', async () => {
    const b = new CookieBrowser(t.url);
    const page = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    const form = { request: page.fields.request ?? '', csrf: page.fields.csrf ?? '', username: 'az-echo-name' };
    const missing = await b.post('/authorize/sign-in', form);
    const password = `Echo-Pass-${'w'.repeat(1024)}`;
    const tooLong = await b.post('/authorize/sign-in', { ...form, password });
    expect([missing.status, tooLong.status]).toEqual([400, 400]);
    expect(missing.text).toContain('<li>Field <code>password</code>: is required</li>');
    expect(tooLong.text).toContain('<li>Field <code>password</code>: must NOT have more than 1024 characters</li>');
    for (const res of [missing, tooLong])
      for (const sent of ['az-echo-name', form.request, form.csrf, 'Echo-Pass', 'wwwwwwww'])
        expect(res.text).not.toContain(sent);
  });

  test('a client that does not accept HTML gets a 406 page', async () => {
    const res = await new CookieBrowser(t.url).get(authorizeQuery(firstParty.client_id, REDIRECT).path, {
      accept: 'application/json',
    });
    expect([res.status, res.headers['content-type']]).toEqual([406, 'text/html; charset=utf-8']);
  });

  test.each(['/authorize/sign-in', '/authorize/consent'])(
    '%s answers a 406 page to JSON-only clients, a 415 page to JSON',
    async (path) => {
      const b = new CookieBrowser(t.url);
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const notAcceptable = await b.request('POST', path, {
        headers: { ...form, accept: 'application/json' },
        body: 'csrf=x',
      });
      const json = await b.request('POST', path, { headers: { 'content-type': 'application/json' }, body: '{}' });
      expect([notAcceptable.status, notAcceptable.headers['content-type']]).toEqual([406, 'text/html; charset=utf-8']);
      expect([json.status, json.headers['content-type']]).toEqual([415, 'text/html; charset=utf-8']);
    },
  );

  test('a form sent as JSON is a 415 page, an oversized one a 413 page', async () => {
    const b = new CookieBrowser(t.url);
    const json = await b.request('POST', '/authorize/sign-in', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
    const big = await b.request('POST', '/authorize/consent', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `request=${'a'.repeat(t.config.bodyLimitBytes + 1)}`,
    });
    expect(big.status).toBe(413);
    expect(big.headers['content-type']).toMatch(/^text\/html/);
  });

  test('without Redis: a 503 page with Retry-After from each of them, never a form or a redirect', async () => {
    const b = new CookieBrowser(t.url);
    const page = await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path);
    b.jar.set('__Host-specgate-signin', `${crypto.randomUUID()}.${'A'.repeat(43)}`);
    const form = { request: page.fields.request ?? '', csrf: page.fields.csrf ?? '' };
    await t.redisServer.stop();
    const answers = [
      await b.get(authorizeQuery(firstParty.client_id, REDIRECT).path),
      await b.post('/authorize/sign-in', { ...form, username: 'az-admin', password: 'az-admin-password' }),
      await b.post('/authorize/consent', { ...form, decision: 'allow' }),
    ];
    for (const res of answers) {
      expect([res.status, res.headers.location]).toEqual([503, undefined]);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).not.toContain('autocomplete');
    }
  });
});
