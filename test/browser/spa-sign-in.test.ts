/**
 * Browser sign-in end to end, in Chromium: the example single-page app (examples/spa, bundled by
 * esbuild and served from an origin of its own) signs in through specgate's real login page with
 * the typed client's helper, calls GET /me with the tokens and signs out. In the same browser, a
 * second first-party client then gets a code without the form (the sign-in session), and a
 * third-party client shows the consent page once, not the second time. Signing out of the app
 * ends the browser's sign-in session: the next authorization shows the form again.
 * One server, one SPA server, one browser for the whole file; the steps run in order. Last,
 * `npm run example:spa` (examples/spa/serve.ts) says how to register the app and serves it.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { s256Challenge } from 'specgate/client';
import { type SpaServer, startSpaServer } from '../../examples/spa/server';
import { ClientsRepository } from '../../src/store/clients.repository';
import {
  BROWSER_TIMEOUT_MS,
  foreignRequests,
  type Headless,
  launchChromium,
  type PageRecord,
  record,
} from '../docs/browser';
import { startTestApp, type TestApp } from '../support/app';

const USER = { username: 'spa-user', password: 'spa-user-password-1' };

let t: TestApp;
let spa: SpaServer;
let browser: Headless;
let page: Page;
let spaRecord: PageRecord;
const clients = { spa: '', firstParty: '', thirdParty: '' };
/** The access token the app got, as its /token response carried it. */
let appToken = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const spaPort = await freePort();
  const spaOrigin = `http://127.0.0.1:${spaPort}`;
  t = await startTestApp({ publicUrlIsOrigin: true, env: { CORS_ORIGINS: spaOrigin } });
  await t.createUser(USER.username, USER.password, ['items:read', 'items:write']);
  const repo = new ClientsRepository(t.db);
  const register = async (name: string, redirectUri: string, firstParty: boolean) => {
    const c = await repo.create({
      name,
      secretHash: null,
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['items:read', 'items:write'],
      redirectUris: [redirectUri],
      dpopBoundAccessTokens: false,
      firstParty,
    });
    if (!c) throw new Error('client registry full');
    return c.id;
  };
  clients.spa = await register('Example SPA', `${spaOrigin}/`, true);
  clients.firstParty = await register('Second app', `${spaOrigin}/second`, true);
  clients.thirdParty = await register('Partner app', `${spaOrigin}/partner`, false);

  spa = await startSpaServer({ apiUrl: t.config.publicUrl, clientId: clients.spa, scope: 'items:read', port: spaPort });
  browser = await launchChromium();
  page = await browser.newPage();
  spaRecord = await record(page);
}, BROWSER_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await spa?.close();
  await t?.stop();
});

/** An authorization URL for `clientId` (S256 PKCE), and the verifier to exchange its code with. */
async function authorization(clientId: string, path: string) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const redirectUri = `${spa.origin}${path}`;
  const url = new URL(`${t.config.publicUrl}/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: 'items:read',
    state,
    code_challenge: await s256Challenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.href, verifier, state, redirectUri };
}

/** Exchanges a code over HTTP, as the app would, and answers the status and body. */
async function exchange(clientId: string, code: string, a: { verifier: string; redirectUri: string }) {
  const res = await fetch(`${t.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: a.redirectUri,
      code_verifier: a.verifier,
      client_id: clientId,
    }),
  });
  return { status: res.status, body: (await res.json()) as { access_token?: string; error?: string } };
}

/** Goes to `url` in a new tab of the same browser (same cookies) and answers where it landed. */
async function visit(url: string): Promise<{ tab: Page; landed: URL }> {
  const tab = await browser.newPage();
  // The other clients' redirect URIs are not pages of the example: answer them with an empty one.
  await tab.route(`${spa.origin}/{second,partner}*`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>callback</title>' }),
  );
  await tab.goto(url);
  return { tab, landed: new URL(tab.url()) };
}

/** Expects `landed` to be the callback of a successful authorization, and answers its code. */
function codeOf(landed: URL, a: { state: string; redirectUri: string }): string {
  expect(`${landed.origin}${landed.pathname}`).toBe(a.redirectUri);
  expect(landed.searchParams.get('state')).toBe(a.state);
  expect(landed.searchParams.get('iss')).toBe(t.config.publicUrl);
  const code = landed.searchParams.get('code');
  expect(code).toEqual(expect.any(String));
  return code ?? '';
}

const status = () => page.locator('#status').textContent();

it('the example app signs in through the login page, calls /me and shows who is signed in', async () => {
  await page.goto(`${spa.origin}/`);
  await page.getByText('Not signed in.').waitFor();
  await page.getByRole('button', { name: 'Sign in with specgate' }).click();

  // specgate's own page, on specgate's origin.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  expect(new URL(page.url()).origin).toBe(t.config.publicUrl);
  await page.getByLabel('Username').fill(USER.username);
  await page.getByLabel('Password').fill(USER.password);
  const tokenResponse = page.waitForResponse((r) => r.url() === `${t.config.publicUrl}/token`);
  await page.getByRole('button', { name: 'Sign in' }).click();

  const token = await tokenResponse;
  expect(token.status()).toBe(200);
  appToken = ((await token.json()) as { access_token: string }).access_token;
  await page.getByText(`Signed in as ${USER.username}.`).waitFor();
  expect(await page.locator('#username').textContent()).toBe(USER.username);
  expect(await page.locator('#scopes').textContent()).toBe('items:read');
  // The code and state left the address bar.
  expect(page.url()).toBe(`${spa.origin}/`);

  const me = await fetch(`${t.url}/me`, { headers: { authorization: `Bearer ${appToken}` } });
  expect(me.status).toBe(200);
  // The app talked to its own origin and to specgate only, within its CSP, without errors.
  expect(foreignRequests(spaRecord.requests, spa.origin).every((u) => u.startsWith(t.config.publicUrl))).toBe(true);
  expect(spaRecord.errors).toEqual([]);
  expect(await spaRecord.cspViolations()).toEqual([]);
});

it('a second first-party client in the same browser gets a code without the form', async () => {
  const a = await authorization(clients.firstParty, '/second');
  const { tab, landed } = await visit(a.url);
  const code = codeOf(landed, a);
  const res = await exchange(clients.firstParty, code, a);
  expect(res.status).toBe(200);
  expect(res.body.access_token).toEqual(expect.any(String));
  await tab.close();
});

it('a third-party client shows the consent page once, and the second time goes straight back', async () => {
  const first = await authorization(clients.thirdParty, '/partner');
  const { tab, landed } = await visit(first.url);
  expect(`${landed.origin}${landed.pathname}`).toBe(`${t.config.publicUrl}/authorize`);
  await tab.getByRole('heading', { name: 'Allow access?' }).waitFor();
  expect(await tab.getByText('Partner app').count()).toBeGreaterThan(0);
  expect(await tab.locator('code', { hasText: 'items:read' }).count()).toBe(1);
  await tab.getByRole('button', { name: 'Allow' }).click();
  await tab.waitForURL((u) => u.href.startsWith(first.redirectUri));
  expect((await exchange(clients.thirdParty, codeOf(new URL(tab.url()), first), first)).status).toBe(200);
  await tab.close();

  const again = await authorization(clients.thirdParty, '/partner');
  const second = await visit(again.url);
  expect((await exchange(clients.thirdParty, codeOf(second.landed, again), again)).status).toBe(200);
  await second.tab.close();
});

it('signing out of the app ends its session and the browser sign-in session: the form is back', async () => {
  await page.bringToFront();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('Not signed in.').waitFor();
  expect(await status()).toBe('Not signed in.');
  const me = await fetch(`${t.url}/me`, { headers: { authorization: `Bearer ${appToken}` } });
  expect(me.status).toBe(401);

  const a = await authorization(clients.firstParty, '/second');
  const { tab, landed } = await visit(a.url);
  expect(`${landed.origin}${landed.pathname}`).toBe(`${t.config.publicUrl}/authorize`);
  await tab.getByRole('heading', { name: 'Sign in' }).waitFor();
  await tab.close();
  expect(spaRecord.errors).toEqual([]);
});

describe('npm run example:spa', () => {
  const root = path.resolve(__dirname, '../..');
  const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
  const env = (extra: Record<string, string>) => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...extra,
  });

  it('without a client id, prints how to register the app and exits with 2', async () => {
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        tsx,
        ['examples/spa/serve.ts'],
        { cwd: root, env: env({ SPA_PORT: '5999' }), timeout: 60_000 },
        (err, _out, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr }),
      );
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'npm run client:create -- --public --name "Example SPA" --grants "authorization_code refresh_token" --scopes "items:read" --redirect-uris "http://127.0.0.1:5999/"',
    );
    expect(run.stderr).toContain('CORS_ORIGINS=http://127.0.0.1:5999');
  }, 60_000);

  it('with one, serves the app and its configuration on the port asked', async () => {
    const port = await freePort();
    const child = spawn(tsx, ['examples/spa/serve.ts'], {
      cwd: root,
      env: env({ SPA_PORT: String(port), SPA_CLIENT_ID: 'the-client', SPECGATE_URL: t.url }),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes(`The example app is at http://127.0.0.1:${port}/`)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`example:spa exited with ${code}`)));
      });
      const index = await fetch(`http://127.0.0.1:${port}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-security-policy')).toContain(`connect-src 'self' ${new URL(t.url).origin}`);
      expect(await index.text()).toContain('<script type="module" src="/app.js"></script>');
      const config = await (await fetch(`http://127.0.0.1:${port}/config.json`)).json();
      expect(config).toEqual({ apiUrl: t.url, clientId: 'the-client', scope: 'items:read' });
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});
