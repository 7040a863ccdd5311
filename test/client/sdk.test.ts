/**
 * The typed client (`specgate/client`) against the real service over HTTP. Every response the SDK
 * receives is checked against the document (contract-fetch.ts).
 */
import {
  createSpecgateClient,
  type Item,
  isOAuthError,
  isProblem,
  type SpecgateClient,
  SpecgateError,
  type Tokens,
} from 'specgate/client';
import { startTestApp, type TestApp } from '../support/app';
import { contractFetch, refreshes } from './contract-fetch';

let t: TestApp;
// The app's clock: tests move it past the access token's lifetime (15 minutes by default).
let now = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  t = await startTestApp({ clock: () => now });
  await Promise.all([
    t.createUser('sdk-flow', 'flow-password-1', ['items:read', 'items:write']),
    t.createUser('sdk-refresh', 'refresh-password-1', ['items:read', 'items:write']),
    t.createUser('sdk-errors', 'errors-password-1', ['items:read', 'items:write']),
  ]);
});
afterAll(() => t.stop());

function sdk(onTokens?: (tokens: Tokens | undefined) => void) {
  const fetch = contractFetch();
  const api = createSpecgateClient({ baseUrl: `${t.url}/`, fetch, onTokens, clientId: 'sdk-test' });
  return { api, exchanges: fetch.exchanges };
}

const cup = {
  name: 'Espresso cup',
  description: 'Porcelain, 90 ml.',
  category: 'kitchen',
  price_cents: 1250,
  tags: ['porcelain'],
};

async function createItem(api: SpecgateClient): Promise<{ item: Item; etag: string }> {
  const { data, error, response } = await api.POST('/v1/items', { body: cup });
  if (error) throw new Error(`create failed: ${error.code}`);
  expect(response.status).toBe(201);
  return { item: data, etag: response.headers.get('etag')! };
}

describe('the typed client', () => {
  it('runs a whole session: login, create, read, update with If-Match, list, logout', async () => {
    const seen: (Tokens | undefined)[] = [];
    const { api, exchanges } = sdk((tokens) => seen.push(tokens));

    const tokens = await api.login('sdk-flow', 'flow-password-1');
    expect(tokens.scope).toBe('items:read items:write');
    expect(api.tokens).toEqual(tokens);
    expect(seen).toEqual([tokens]);
    expect(exchanges[0]).toMatchObject({
      path: '/token',
      status: 200,
      authorization: null,
      form: { grant_type: 'password', username: 'sdk-flow', client_id: 'sdk-test' },
    });

    const { item, etag } = await createItem(api);
    expect(item).toMatchObject({ ...cup, version: 1 });
    expect(exchanges.at(-1)!.authorization).toBe(`Bearer ${tokens.accessToken}`);

    const read = await api.GET('/v1/items/{itemId}', { params: { path: { itemId: item.id } } });
    expect(read.data).toEqual(item);

    // A merge patch (sent as application/merge-patch+json) based on the version just read.
    const patched = await api.PATCH('/v1/items/{itemId}', {
      params: { path: { itemId: item.id }, header: { 'If-Match': etag } },
      body: { price_cents: 990, tags: null },
    });
    expect(exchanges.at(-1)!.contentType).toBe('application/merge-patch+json');
    expect(patched.data).toMatchObject({ id: item.id, price_cents: 990, tags: [], version: 2 });
    const newEtag = patched.response.headers.get('etag')!;
    expect(newEtag).not.toBe(etag);

    // The same stale ETag again: 412, narrowed to a problem document.
    const stale = await api.PUT('/v1/items/{itemId}', {
      params: { path: { itemId: item.id }, header: { 'If-Match': etag } },
      body: cup,
    });
    expect(stale.data).toBeUndefined();
    expect(stale.response.status).toBe(412);
    expect(isProblem(stale.error)).toBe(true);
    expect(stale.error?.code).toBe('precondition_failed');

    const replaced = await api.PUT('/v1/items/{itemId}', {
      params: { path: { itemId: item.id }, header: { 'If-Match': newEtag } },
      body: { ...cup, name: 'Tea cup' },
    });
    expect(replaced.data).toMatchObject({ name: 'Tea cup', version: 3 });

    const page = await api.GET('/v1/items', { params: { query: { category: 'kitchen', limit: 100 } } });
    expect(page.data?.items.map((i) => i.id)).toContain(item.id);

    const held = api.tokens!;
    await api.logout();
    expect(api.tokens).toBeUndefined();
    expect(seen.at(-1)).toBeUndefined();
    expect(exchanges.at(-1)).toMatchObject({ method: 'POST', path: '/logout', status: 204 });

    // Logged out: no bearer header, so 401 and nothing to refresh.
    const after = await api.GET('/v1/items', {});
    expect(after.response.status).toBe(401);
    expect(isProblem(after.error) && after.error.code).toBe('unauthorized');
    expect(refreshes(exchanges)).toHaveLength(0);

    // The old tokens are dead on the service too: the one refresh attempt is refused, the tokens
    // are dropped and the original 401 is what the caller gets.
    api.setTokens(held);
    const revoked = await api.GET('/v1/items', {});
    expect(revoked.response.status).toBe(401);
    expect(revoked.error?.code).toBe('invalid_token');
    expect(refreshes(exchanges).map((e) => e.status)).toEqual([400]);
    expect(api.tokens).toBeUndefined();
    expect(
      exchanges.filter((e) => e.path.split('?')[0] === '/v1/items' && e.method === 'GET').map((e) => e.status),
    ).toEqual([200, 401, 401]);
  });

  it('refreshes once for many concurrent 401s, then retries each request once with the new token', async () => {
    const seen: (Tokens | undefined)[] = [];
    const { api, exchanges } = sdk((tokens) => seen.push(tokens));
    const first = await api.login('sdk-refresh', 'refresh-password-1');
    const { item, etag } = await createItem(api);

    now += 16 * 60; // the access token has expired; the session (and its refresh token) lives on
    const before = exchanges.length;
    const [list, read, created, patched, me] = await Promise.all([
      api.GET('/v1/items', { params: { query: { limit: 5 } } }),
      api.GET('/v1/items/{itemId}', { params: { path: { itemId: item.id } } }),
      // Bodies are streams: the retry must send them again.
      api.POST('/v1/items', { body: { ...cup, name: 'Saucer' } }),
      api.PATCH('/v1/items/{itemId}', {
        params: { path: { itemId: item.id }, header: { 'If-Match': etag } },
        body: { description: 'Refreshed.' },
      }),
      api.GET('/me', {}),
    ]);
    expect(list.data?.items.length).toBeGreaterThan(0);
    expect(read.data?.id).toBe(item.id);
    expect(created.data).toMatchObject({ name: 'Saucer', version: 1 });
    expect(patched.data).toMatchObject({ description: 'Refreshed.', version: 2 });
    expect(me.data?.username).toBe('sdk-refresh');

    const during = exchanges.slice(before);
    expect(refreshes(during)).toHaveLength(1);
    expect(refreshes(during)[0]).toMatchObject({
      status: 200,
      authorization: null,
      form: { refresh_token: first.refreshToken },
    });
    const second = api.tokens!;
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(seen).toEqual([first, second]);
    // Five rejected with the old token, five retried with the new one; nothing sent twice more.
    const calls = during.filter((e) => e.path !== '/token');
    expect(calls.filter((e) => e.status === 401).map((e) => e.authorization)).toEqual(
      Array(5).fill(`Bearer ${first.accessToken}`),
    );
    expect(calls.filter((e) => e.status !== 401).map((e) => e.authorization)).toEqual(
      Array(5).fill(`Bearer ${second.accessToken}`),
    );

    // The rotated refresh token was never reused: the session is alive and refreshes again.
    const third = await api.refresh();
    expect(third.refreshToken).not.toBe(second.refreshToken);
    expect((await api.GET('/me', {})).data?.username).toBe('sdk-refresh');
    await api.logout({ allSessions: true });
    expect(exchanges.at(-1)).toMatchObject({ path: '/logout', status: 204 });
  });

  it('concurrent refresh() calls share one request', async () => {
    const { api, exchanges } = sdk();
    await api.login('sdk-refresh', 'refresh-password-1');
    const results = await Promise.all([api.refresh(), api.refresh(), api.refresh()]);
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
    expect(refreshes(exchanges)).toHaveLength(1);
    expect(api.tokens).toEqual(results[0]);
    await api.logout();
  });

  it('a refused refresh() throws a SpecgateError with the OAuth error and drops the tokens', async () => {
    const { api } = sdk();
    const tokens = await api.login('sdk-refresh', 'refresh-password-1');
    await api.refresh();
    await api.refresh();
    // Reusing a token two rotations back (no retry leeway applies): reuse detection ends the session.
    api.setTokens(tokens);
    const err = await api.refresh().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecgateError);
    const e = err as SpecgateError;
    expect([e.status, e.code]).toEqual([400, 'invalid_grant']);
    expect(isOAuthError(e.body)).toBe(true);
    expect(api.tokens).toBeUndefined();
    await expect(api.refresh()).rejects.toThrow(/not logged in/i);
  });
});

describe('errors, narrowed to the documented shapes', () => {
  it('a wrong password: login throws a SpecgateError carrying an OAuthError (invalid_grant)', async () => {
    const { api, exchanges } = sdk();
    const err = await api.login('sdk-errors', 'not-the-password').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecgateError);
    if (!(err instanceof SpecgateError) || !isOAuthError(err.body)) throw new Error('expected an OAuth error');
    expect(err.status).toBe(400);
    expect(err.body.error).toBe('invalid_grant');
    expect(err.code).toBe('invalid_grant');
    expect(isProblem(err.body)).toBe(false);
    expect(err.message).toMatch(/^400 invalid_grant/);
    expect(api.tokens).toBeUndefined();
    expect(exchanges.map((e) => [e.path, e.status])).toEqual([['/token', 400]]);
  });

  it('400 and 404 come back as problem documents with a code', async () => {
    const { api } = sdk();
    await api.login('sdk-errors', 'errors-password-1');

    const malformed = await api.GET('/v1/items/{itemId}', { params: { path: { itemId: 'not-a-uuid' } } });
    expect(malformed.response.status).toBe(400);
    expect(isProblem(malformed.error)).toBe(true);
    expect(malformed.error).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(malformed.error?.errors?.[0]).toMatchObject({ in: 'path' });

    const missing = await api.GET('/v1/items/{itemId}', {
      params: { path: { itemId: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ status: 404, code: 'not_found' });

    // A body the types would refuse, sent anyway: the service refuses it too.
    const invalid = await api.POST('/v1/items', { body: { ...cup, price_cents: 'free' } as unknown as typeof cup });
    expect(invalid.error).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(isOAuthError(invalid.error)).toBe(false);

    // The token endpoint's own errors are OAuth errors, also through the typed methods.
    const grant = await api.POST('/token', {
      body: { grant_type: 'magic' },
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>).toString(),
    });
    expect(isOAuthError(grant.error) && grant.error.error).toBe('unsupported_grant_type');
    await api.logout();
  });

  it('the guards refuse look-alikes', () => {
    expect(isProblem({ type: 'about:blank', title: 'x', status: 400 })).toBe(false);
    expect(isProblem('oops')).toBe(false);
    expect(isProblem(null)).toBe(false);
    expect(isOAuthError({ error: 'made_up' })).toBe(false);
    expect(isOAuthError({ error: 'invalid_grant', error_description: 3 })).toBe(false);
    expect(isOAuthError({ error: 'invalid_grant' })).toBe(true);
  });
});
