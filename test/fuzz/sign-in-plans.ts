/**
 * Fuzz plans of the sign-in pages: GET /authorize and its two forms (RFC 6749 §4.1, RFC 7636).
 * What a generated request cannot know (a registered client and its exact redirect URI, an S256
 * challenge, the CSRF cookie and its form token, a sealed request, a live sign-in session) comes
 * from a real browser's way through the pages (test/support/sign-in.ts), one per case: the sealed
 * request and the CSRF token are the hidden fields of a page the service really served.
 *
 * Each plan names what its valid cases must get, exactly: the login page, the consent page, a
 * redirect carrying a code (or `access_denied`), or the login form again after a wrong password.
 */
import fc from 'fast-check';
import type { TestResponse } from '../support/contract';
import { registerClient } from '../support/registered-clients';
import type { TextFields } from '../support/schema-arbitrary';
import { authorizeQuery, CookieBrowser, type PageResponse, pkce } from '../support/sign-in';
import type { Breaker, Draft, FixtureUser, FuzzContext, Plan } from './fuzz-harness';

const CSRF_COOKIE = '__Host-specgate-csrf';
const SIGN_IN_COOKIE = '__Host-specgate-signin';
/** The scopes of every client here, all of which the user holds. */
const SCOPES = ['items:read', 'items:write'];

interface CodeClient {
  id: string;
  redirectUri: string;
}

/** The clients and the user of one fuzz context, registered once, on first use. */
interface SignInFixtures {
  user: FixtureUser;
  /** First-party: signed in, the code comes without a consent page. */
  first: CodeClient;
  /** Third-party that no case ever allows: a signed-in browser always gets the consent page. */
  third: CodeClient;
  /** Third-party whose consent form the decideConsent cases allow or deny. */
  consent: CodeClient;
}

const registered = new WeakMap<FuzzContext, Promise<SignInFixtures>>();

function fixturesOf(ctx: FuzzContext): Promise<SignInFixtures> {
  let f = registered.get(ctx);
  if (!f) registered.set(ctx, (f = register(ctx)));
  return f;
}

async function register(ctx: FuzzContext): Promise<SignInFixtures> {
  const admin = await ctx.tokenFor(['clients:admin']);
  const codeClient = async (name: string, redirectUri: string, firstParty: boolean): Promise<CodeClient> => {
    ctx.fixtureRequests++;
    const c = await registerClient(ctx.api, admin, {
      name,
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: SCOPES,
      public: true,
      first_party: firstParty,
      redirect_uris: [redirectUri],
    });
    return { id: c.client_id, redirectUri };
  };
  return {
    // Its own user: the sign-in sessions of these cases never touch the other plans' users.
    user: await ctx.newUser(SCOPES),
    first: await codeClient('Fuzz first-party', 'https://first.example/cb', true),
    // A redirect URI with a query of its own, which the redirect must keep (RFC 6749 §4.1.2).
    third: await codeClient('Fuzz <third> party', 'https://third.example/cb?tenant=7', false),
    consent: await codeClient('Fuzz consent', 'https://consent.example/cb', false),
  };
}

/** A fixture step of the browser: it must get `status`. */
async function step(ctx: FuzzContext, pending: Promise<PageResponse>, status: number): Promise<PageResponse> {
  ctx.fixtureRequests++;
  const res = await pending;
  if (res.status !== status)
    throw new Error(`sign-in fixture: want ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
  return res;
}

/** A browser at the login page of `c`, as the client sent it there: its cookies and the page's hidden fields. */
async function atLoginPage(ctx: FuzzContext, c: CodeClient) {
  const b = new CookieBrowser(ctx.t.url);
  const page = await step(ctx, b.get(authorizeQuery(c.id, c.redirectUri, { scope: SCOPES.join(' ') }).path), 200);
  return { b, request: page.fields.request!, csrf: page.fields.csrf! };
}

/** A browser signed in as `user` through the login form of `c`: the page or redirect that followed, and its cookies. */
async function signedIn(ctx: FuzzContext, f: SignInFixtures, c: CodeClient, user = f.user) {
  const at = await atLoginPage(ctx, c);
  const form = { request: at.request, csrf: at.csrf, username: user.name, password: user.password };
  const res = await step(ctx, at.b.post('/authorize/sign-in', form), c === f.first ? 303 : 200);
  return { b: at.b, res };
}

// ------------------------------------------------------------------ breakages of the pages' own

const breaker = (kind: string, reason: string, expect: number[], apply: (d: Draft) => void): Breaker => ({
  kind,
  reason,
  expect,
  apply,
});

/** Edits the form body of `d` (bound, so valid until edited). */
function editForm(d: Draft, edit: (form: URLSearchParams) => void): void {
  const form = new URLSearchParams(d.body!.text);
  edit(form);
  d.body = { ...d.body!, text: form.toString() };
}

/** Edits the query of `d`. */
function editQuery(d: Draft, edit: (q: Record<string, string>) => void): void {
  const q = { ...(d.query as Record<string, string>) };
  edit(q);
  d.query = q;
}

/** The Cookie header of `d` with `name` removed, or set to `value`. */
function withCookie(d: Draft, name: string, value?: string): void {
  const others = (d.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c && !c.startsWith(`${name}=`));
  d.headers.cookie = [...others, ...(value === undefined ? [] : [`${name}=${value}`])].join('; ');
}

const base64url43 = fc.stringMatching(/^[A-Za-z0-9_-]{43}$/);

/**
 * A form whose CSRF double submit fails (RFC 9700 §4.4.1.8) is a 403 page and nothing else; one
 * whose sealed request was altered or made up is a 400 page.
 */
const formBreakers: fc.Arbitrary<Breaker> = fc.oneof(
  fc.constant(breaker('csrf', 'no csrf field', [403], (d) => editForm(d, (f) => f.delete('csrf')))),
  base64url43.map((t) => breaker('csrf', `csrf field ${t}`, [403], (d) => editForm(d, (f) => f.set('csrf', t)))),
  fc.constant(breaker('csrf', 'no CSRF cookie', [403], (d) => withCookie(d, CSRF_COOKIE))),
  base64url43.map((v) => breaker('csrf', `another CSRF cookie ${v}`, [403], (d) => withCookie(d, CSRF_COOKIE, v))),
  fc.tuple(fc.nat(), fc.constantFrom('A', '_', '.', '-', 'z')).map(([at, ch]) =>
    breaker('sealed-request', `sealed request altered (${ch})`, [400], (d) =>
      editForm(d, (f) => {
        const sealed = f.get('request')!;
        const i = at % sealed.length;
        f.set('request', `${sealed.slice(0, i)}${sealed[i] === ch ? 'B' : ch}${sealed.slice(i + 1)}`);
      }),
    ),
  ),
  fc
    .string({ maxLength: 200 })
    .map((r) =>
      breaker('sealed-request', 'sealed request made up', [400], (d) => editForm(d, (f) => f.set('request', r))),
    ),
);

/**
 * GET /authorize: a client or redirect URI that cannot be trusted is a 400 page, never a redirect
 * (RFC 6749 §4.1.2.1, RFC 9700 §4.1.3: exact match only); any other error goes back to the
 * registered redirect URI with `error` (302).
 */
const authorizeBreakers: fc.Arbitrary<Breaker> = fc.oneof(
  fc
    .constantFrom('client_id', 'redirect_uri')
    .map((p) => breaker('untrusted', `no ${p}`, [400], (d) => editQuery(d, (q) => delete q[p]))),
  fc
    .oneof(fc.uuid(), fc.string({ maxLength: 128 }))
    .map((id) => breaker('untrusted', `client_id ${id}`, [400], (d) => editQuery(d, (q) => void (q.client_id = id)))),
  fc
    .constantFrom<[string, (u: string) => string]>(
      ['a trailing slash', (u) => `${u}/`],
      ['a fragment', (u) => `${u}#x`],
      ['another query', (u) => `${u}${u.includes('?') ? '&' : '?'}next=https://evil.example`],
      ['http', (u) => u.replace('https:', 'http:')],
      ['upper case', (u) => u.toUpperCase()],
      ['a prefix only', (u) => u.slice(0, -1)],
      ['another host', (u) => u.replace('.example', '.example.evil')],
    )
    .map(([how, change]) =>
      breaker('untrusted', `redirect_uri with ${how}`, [400], (d) =>
        editQuery(d, (q) => void (q.redirect_uri = change(q.redirect_uri!))),
      ),
    ),
  fc
    .constantFrom<[string, (q: Record<string, string>) => void]>(
      ['no response_type', (q) => delete q.response_type],
      ['response_type token', (q) => void (q.response_type = 'token')],
      ['no code_challenge', (q) => delete q.code_challenge],
      ['code_challenge_method plain', (q) => void (q.code_challenge_method = 'plain')],
      ['no code_challenge_method', (q) => delete q.code_challenge_method],
      ['a short code_challenge', (q) => void (q.code_challenge = q.code_challenge!.slice(1))],
      ['a scope the client may not have', (q) => void (q.scope = 'items:read users:admin')],
    )
    .map(([how, change]) => breaker('redirected', how, [302], (d) => editQuery(d, change))),
);

// ------------------------------------------------------------------ what valid cases must get

const isLoginPage = (res: TestResponse) => res.text.includes('autocomplete="current-password"');
const isConsentPage = (res: TestResponse) => res.text.includes('name="decision" value="allow"');
const setsCookie = (res: TestResponse, name: string) => (res.headers['set-cookie'] ?? '').includes(`${name}=`);

function page(res: TestResponse, status: number, kind: 'login' | 'consent'): string | undefined {
  if (res.status !== status) return `want ${status}, the ${kind} page`;
  if (kind === 'login' ? !isLoginPage(res) : !isConsentPage(res)) return `want the ${kind} page`;
  return undefined;
}

/** A redirect back to the client: `code` (or `error`) with `iss` (RFC 9207), never both. */
function redirect(res: TestResponse, status: number, want: 'code' | 'access_denied'): string | undefined {
  if (res.status !== status) return `want a ${status} back to the client`;
  const q = new URL(res.headers.location ?? 'invalid:').searchParams;
  if (!q.has('iss')) return 'redirect without iss';
  if (want === 'code') return q.has('code') && !q.has('error') ? undefined : 'want a code in the redirect';
  return q.get('error') === 'access_denied' && !q.has('code') ? undefined : 'want error=access_denied';
}

// ------------------------------------------------------------------ GET /authorize

interface AuthorizeChoice {
  browser: 'new' | 'csrf' | 'signed-in';
  client: 'first' | 'third';
  prompt: 'absent' | 'login' | 'generated';
  scopes: string[] | undefined;
}

/** A valid authorization request: a registered client, its exact redirect URI, an S256 challenge. */
export const authorizePlan: Plan<AuthorizeChoice> = {
  choice: fc.record({
    // Weighted so that a CI run of a few cases meets each answer: the login page, the consent
    // page and the redirect with a code.
    browser: fc.constantFrom('new', 'csrf', 'signed-in', 'signed-in'),
    client: fc.constantFrom('first', 'third'),
    prompt: fc.constantFrom('absent', 'generated', 'absent', 'login'),
    scopes: fc.option(fc.subarray(SCOPES, { minLength: 1 }), { nil: undefined }),
  }),
  async fixture(ctx, c) {
    const f = await fixturesOf(ctx);
    const client = f[c?.client ?? 'first'];
    const data: Record<string, string> = { clientId: client.id, redirectUri: client.redirectUri };
    data.challenge = pkce().challenge;
    if (c?.browser === 'csrf') data.cookie = (await atLoginPage(ctx, client)).b.cookieHeader()!;
    if (c?.browser === 'signed-in') data.cookie = (await signedIn(ctx, f, f.first)).b.cookieHeader()!;
    return { data };
  },
  bind(parts, c, b) {
    const q = (parts.query ??= {});
    q.response_type = 'code';
    q.client_id = b.data.clientId!;
    q.redirect_uri = b.data.redirectUri!;
    q.code_challenge = b.data.challenge!;
    q.code_challenge_method = 'S256';
    if (c.scopes) q.scope = c.scopes.join(' ');
    else delete q.scope;
    if (c.prompt === 'absent') delete q.prompt;
    if (c.prompt === 'login') q.prompt = 'login';
    // Any other prompt value is ignored; `login` is the only one that changes the answer.
    if (c.prompt === 'generated') fc.pre(q.prompt !== 'login');
    if (b.data.cookie) parts.headers.cookie = b.data.cookie;
  },
  expected(res, c) {
    if (c.browser !== 'signed-in' || c.prompt === 'login') {
      const wrong = page(res, 200, 'login');
      if (wrong) return wrong;
      // The first page gives the browser its CSRF cookie; a browser that has one keeps it.
      if (setsCookie(res, CSRF_COOKIE) !== (c.browser === 'new')) return 'the CSRF cookie set wrongly';
      return undefined;
    }
    return c.client === 'first' ? redirect(res, 302, 'code') : page(res, 200, 'consent');
  },
  breakers: authorizeBreakers,
};

// ------------------------------------------------------------------ POST /authorize/sign-in

interface SignInChoice {
  client: 'first' | 'third';
  password: 'right' | 'wrong';
  username: 'as-is' | 'upper' | 'padded';
}

/** The login form of a real login page: its sealed request, CSRF token and cookie, the user's name. */
export const signInPlan: Plan<SignInChoice> = {
  choice: fc.record({
    client: fc.constantFrom('first', 'third'),
    password: fc.constantFrom('right', 'wrong'),
    username: fc.constantFrom('as-is', 'upper', 'padded'),
  }),
  async fixture(ctx, c) {
    const f = await fixturesOf(ctx);
    const at = await atLoginPage(ctx, f[c?.client ?? 'first']);
    const { name, password } = f.user;
    return { data: { cookie: at.b.cookieHeader()!, request: at.request, csrf: at.csrf, name, password } };
  },
  bind(parts, c, b) {
    const form = parts.body as TextFields;
    form.request = b.data.request!;
    form.csrf = b.data.csrf!;
    const name = b.data.name!;
    form.username = c.username === 'upper' ? name.toUpperCase() : c.username === 'padded' ? ` ${name} ` : name;
    if (c.password === 'right') form.password = b.data.password!;
    else if (form.password === b.data.password) form.password += '!';
    parts.headers.cookie = b.data.cookie!;
  },
  expected(res, c) {
    if (c.password === 'wrong') {
      // The form again (400), with the one message for every failed sign-in and no session.
      const wrong = page(res, 400, 'login');
      if (wrong) return wrong;
      if (!res.text.includes('The username or password is incorrect.')) return 'the form again without its message';
      return setsCookie(res, SIGN_IN_COOKIE) ? 'a sign-in session after a wrong password' : undefined;
    }
    if (!setsCookie(res, SIGN_IN_COOKIE)) return 'signed in without the sign-in cookie';
    return c.client === 'first' ? redirect(res, 303, 'code') : page(res, 200, 'consent');
  },
  breakers: formBreakers,
};

// ------------------------------------------------------------------ POST /authorize/consent

interface ConsentChoice {
  decision: 'allow' | 'deny';
  /** A signed-in browser at the consent page; a browser never signed in; one whose cookie names no session. */
  browser: 'signed-in' | 'none' | 'stale';
}

/** The consent form of a real consent page (or of a login page, for a browser not signed in). */
export const decideConsentPlan: Plan<ConsentChoice> = {
  choice: fc.record({
    decision: fc.constantFrom('allow', 'deny'),
    browser: fc.constantFrom('signed-in', 'signed-in', 'none', 'stale'),
  }),
  async fixture(ctx, c) {
    const f = await fixturesOf(ctx);
    if (c?.browser === 'signed-in') {
      // A user who never answered this client: `allow` is remembered, and would skip the page.
      const { b, res } = await signedIn(ctx, f, f.consent, await ctx.newUser(SCOPES));
      return { data: { cookie: b.cookieHeader()!, request: res.fields.request!, csrf: res.fields.csrf! } };
    }
    const at = await atLoginPage(ctx, f.consent);
    const stale = c?.browser === 'stale' ? `; ${SIGN_IN_COOKIE}=${'s'.repeat(40)}` : '';
    return { data: { cookie: `${at.b.cookieHeader()!}${stale}`, request: at.request, csrf: at.csrf } };
  },
  bind(parts, c, b) {
    const form = parts.body as TextFields;
    form.request = b.data.request!;
    form.csrf = b.data.csrf!;
    form.decision = c.decision;
    parts.headers.cookie = b.data.cookie!;
  },
  expected(res, c) {
    if (c.browser === 'signed-in') return redirect(res, 303, c.decision === 'allow' ? 'code' : 'access_denied');
    // Not signed in (any more): the login page, and a cookie naming no session is cleared.
    const wrong = page(res, 200, 'login');
    if (wrong) return wrong;
    const cleared = /__Host-specgate-signin=;[^,]*Max-Age=0/i.test(res.headers['set-cookie'] ?? '');
    return cleared === (c.browser === 'stale')
      ? undefined
      : 'the stale sign-in cookie not cleared (or cleared wrongly)';
  },
  breakers: formBreakers,
};
