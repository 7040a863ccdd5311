/**
 * specgate mounted under a path of a user's express application (`host.use('/api', ...)`), over a
 * real socket: every link it writes (Location, a problem's instance, the docs page's URLs, the
 * document's server URL) leads below the mount path, where the client can follow it; and the
 * README lists the paths it claims of the host truthfully.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REDOC_BUNDLE_PATH } from '../../src/docs/redoc-bundle';
import { loadDocument } from '../../src/pipeline/compile/document';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { registerClient } from '../support/registered-clients';
import { authorizeQuery, CookieBrowser } from '../support/sign-in';

let t: TestApp;
let api: ReturnType<typeof client>;
let token: string;

beforeAll(async () => {
  t = await startTestApp({ mount: 'express', mountPath: '/api', hostCookie: 'host_visit=1' });
  api = client(t.url);
  await t.createUser('mounted-admin', 'mounted-admin-password', ['users:admin', 'items:read', 'items:write']);
  token = await api.login('mounted-admin', 'mounted-admin-password', 'users:admin items:read items:write');
});
afterAll(() => t.stop());

/** Follows `link` as a browser or HTTP client would: resolved against the URL it came from. */
const follow = (link: string, from: string, init?: RequestInit) => fetch(new URL(link, from), init);

/** A first-party public client of the code flow with one redirect URI, registered through the mount path. */
async function codeFlowClient(redirectUri: string) {
  const name = `mounted-clients-${crypto.randomUUID().slice(0, 8)}`;
  await t.createUser(name, `${name}-password`, ['clients:admin']);
  const clientsToken = await api.login(name, `${name}-password`, 'clients:admin');
  return registerClient(api, clientsToken, {
    public: true,
    first_party: true,
    grant_types: ['authorization_code'],
    redirect_uris: [redirectUri],
  });
}

describe('specgate mounted under /api in an express application', () => {
  it("a created item's Location includes the mount path and leads to the item", async () => {
    const created = await api.post('/v1/items', {
      token,
      json: { name: 'Mug', category: 'kitchen', price_cents: 900 },
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/api/v1/items/${created.body.id}`);
    const fetched = await follow(created.headers.location!, `${t.url}/v1/items`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(fetched.status).toBe(200);
    expect(((await fetched.json()) as { id: string }).id).toBe(created.body.id);
  });

  it("a created user's Location includes the mount path and leads to the user", async () => {
    const created = await api.post('/v1/users', {
      token,
      json: { username: 'mounted-user', password: 'mounted-user-password', scopes: [] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/api/v1/users/${created.body.id}`);
    const fetched = await follow(created.headers.location!, `${t.url}/v1/users`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect([fetched.status, ((await fetched.json()) as { username: string }).username]).toEqual([200, 'mounted-user']);
  });

  it("a problem's instance is the path the client asked for, mount path included", async () => {
    const res = await api.get('/v1/items/not-a-uuid', { token });
    expect(res.status).toBe(400);
    expect(res.body.instance).toBe('/api/v1/items/not-a-uuid');
  });

  it('the docs page loads the document and the Redoc bundle from below the mount path', async () => {
    const page = await fetch(`${t.url}/docs`);
    const html = await page.text();
    const specUrl = /<redoc spec-url="([^"]+)">/.exec(html)?.[1];
    const scriptUrl = /<script src="([^"]+)">/.exec(html)?.[1];
    expect([specUrl, scriptUrl]).toEqual(['/api/openapi.json', `/api${REDOC_BUNDLE_PATH}`]);
    const spec = await follow(specUrl!, page.url);
    expect([spec.status, ((await spec.json()) as { openapi: string }).openapi]).toEqual([200, '3.1.0']);
    const script = await follow(scriptUrl!, page.url, { method: 'HEAD' });
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
  });

  it("the login page's cookies go after the host's own, each on its own line; a stale sign-in cookie is removed", async () => {
    const redirectUri = 'https://app.example/stale';
    const registered = await codeFlowClient(redirectUri);
    const browser = new CookieBrowser(t.url);
    browser.jar.set('__Host-specgate-signin', `${crypto.randomUUID()}.${'A'.repeat(43)}`);
    const page = await browser.get(authorizeQuery(registered.client_id, redirectUri).path);
    expect(page.status).toBe(200);
    expect(page.setCookies).toEqual([
      'host_visit=1; Path=/',
      expect.stringMatching(/^__Host-specgate-csrf=[\w-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/),
      '__Host-specgate-signin=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0',
    ]);
  });

  it('the login page posts below the mount path, and signing in there redirects back with a code', async () => {
    const redirectUri = 'https://app.example/callback';
    const registered = await codeFlowClient(redirectUri);
    const browser = new CookieBrowser(t.url);
    const page = await browser.get(authorizeQuery(registered.client_id, redirectUri).path);
    const action = /<form method="post" action="([^"]+)">/.exec(page.text)?.[1];
    expect([page.status, action]).toEqual([200, '/api/authorize/sign-in']);
    const signedIn = await browser.post(action!.slice('/api'.length), {
      request: page.fields.request!,
      csrf: page.fields.csrf!,
      username: 'mounted-admin',
      password: 'mounted-admin-password',
    });
    expect(signedIn.status).toBe(303);
    expect(new URL(String(signedIn.headers.location)).searchParams.get('code')).toMatch(/^[\w-]{43}$/);
  });

  it("the served document's server URL is the mount path, so its operations resolve below it", async () => {
    const document = (await (await fetch(`${t.url}/openapi.json`)).json()) as { servers: { url: string }[] };
    expect(document.servers.map((s) => s.url)).toEqual(['/api']);
    // OpenAPI 3.1 §4.8.5: a relative server URL resolves against the document's own URL; paths append to it.
    const server = new URL(document.servers[0]?.url ?? '', `${t.url}/openapi.json`);
    expect((await fetch(`${server.href}/healthz`)).status).toBe(200);
  });
});

describe("the README's list of the paths specgate claims when embedded", () => {
  it("is the document's paths and the Redoc bundle's, no more, no fewer", () => {
    const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const section = readme.split('\n## Embedding in an express application\n')[1]?.split('\n## ')[0] ?? '';
    const table = section.split('\n').filter((line) => line.startsWith('| `/'));
    const listed = table.flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`(\/[^`]*)`/g)].map((m) => m[1]));
    const claimed = [...Object.keys(loadDocument().paths), REDOC_BUNDLE_PATH];
    expect([...listed].sort()).toEqual([...claimed].sort());
  });
});
