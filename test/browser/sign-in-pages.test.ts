/**
 * The login and consent pages in a real browser (Debian's Chromium through playwright-core) with
 * JavaScript switched off: a person signs in with the keyboard alone (Tab, type, Enter) and lands
 * on the client's redirect URI with a code; a third-party client gets the consent page, answered
 * by keyboard too; a page of another origin that frames the login page gets nothing rendered
 * (frame-ancestors 'none'); the pages fit a 390 px wide phone without horizontal scrolling; a
 * sign-in cookie whose session ended is dropped by Chromium once the login page removes it; and a
 * request that is not valid gets a page naming the parameter. Screenshots go to
 * test-output/sign-in/ for a reviewer: login-desktop.png, login-phone-390.png, consent.png,
 * invalid-request.png.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { BROWSER_TIMEOUT_MS, type Headless, launchChromium } from '../docs/browser';
import { startTestApp, type TestApp } from '../support/app';
import { client } from '../support/contract';
import { type Registered, registerClient } from '../support/registered-clients';
import { authorizeQuery } from '../support/sign-in';

const OUTPUT = path.resolve(__dirname, '..', '..', 'test-output', 'sign-in');

jest.setTimeout(4 * BROWSER_TIMEOUT_MS);

let t: TestApp;
let headless: Headless;
let page: Page;
/** The client application: its redirect URI, and a page of its origin that frames the login page. */
let app: http.Server;
let appOrigin: string;
let firstParty: Registered;
let thirdParty: Registered;
let loginUrl = '';
let adaId: string;
let adminToken: string;

beforeAll(async () => {
  fs.mkdirSync(OUTPUT, { recursive: true });
  t = await startTestApp();
  app = http.createServer((req, res) => {
    if (req.url?.startsWith('/frame')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<!doctype html><title>framer</title><iframe id="f" src="${loginUrl}" width="600" height="600"></iframe>`,
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>callback</title><p>back at the client</p>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const api = client(t.url);
  await t.createUser('br-admin', 'br-admin-password', ['clients:admin', 'users:admin']);
  adaId = await t.createUser('ada', 'ada-lovelace-1815', ['items:read', 'items:write']);
  adminToken = await api.login('br-admin', 'br-admin-password');
  const codeFlow = {
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: ['items:read', 'items:write'],
    public: true,
  };
  firstParty = await registerClient(api, adminToken, {
    ...codeFlow,
    name: 'Acme Notes',
    redirect_uris: [`${appOrigin}/cb`],
    first_party: true,
  });
  thirdParty = await registerClient(api, adminToken, {
    ...codeFlow,
    name: 'Photo Printer',
    redirect_uris: [`${appOrigin}/cb`],
  });
  loginUrl = t.url + authorizeQuery(firstParty.client_id, `${appOrigin}/cb`, { scope: 'items:read' }).path;
  headless = await launchChromium({ javaScriptEnabled: false });
  page = await headless.newPage();
  page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
});
afterAll(async () => {
  await headless?.close();
  await new Promise((resolve) => app?.close(resolve));
  await t?.stop();
});

test('fits a 390 px wide phone without horizontal scrolling, and looks right on a desktop', async () => {
  await page.goto(loginUrl);
  await page.screenshot({ path: path.join(OUTPUT, 'login-desktop.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(loginUrl);
  const widths = await page.evaluate(() => ({
    scroll: (globalThis as any).document.documentElement.scrollWidth as number,
    client: (globalThis as any).document.documentElement.clientWidth as number,
  }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  expect(widths.client).toBe(390);
  await page.screenshot({ path: path.join(OUTPUT, 'login-phone-390.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('a page of another origin that frames the login page gets nothing rendered', async () => {
  const refused: string[] = [];
  page.on('console', (msg) => refused.push(msg.text()));
  await page.goto(`${appOrigin}/frame`);
  // Chromium reports the refusal on the console and swaps the frame for an error page.
  const deadline = Date.now() + BROWSER_TIMEOUT_MS;
  while (!refused.some((m) => m.includes("frame-ancestors 'none'")) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect(refused.join('\n')).toMatch(/frame-ancestors 'none'/);
  const frame = page.frames().find((f) => f !== page.mainFrame());
  expect(frame).toBeDefined();
  expect(await frame?.locator('input[type=password]').count()).toBe(0);
});

test('signs in with the keyboard alone, JavaScript off, and lands on the redirect URI with code, state and iss', async () => {
  const q = authorizeQuery(firstParty.client_id, `${appOrigin}/cb`, { scope: 'items:read' });
  await page.goto(t.url + q.path);
  expect(await page.getByLabel('Username').count()).toBe(1);
  await page.keyboard.press('Tab');
  await page.keyboard.type('ada');
  await page.keyboard.press('Tab');
  await page.keyboard.type('ada-lovelace-1815');
  await Promise.all([page.waitForURL(`${appOrigin}/cb?**`), page.keyboard.press('Enter')]);
  const url = new URL(page.url());
  expect(url.origin + url.pathname).toBe(`${appOrigin}/cb`);
  expect(Object.fromEntries(url.searchParams)).toEqual({
    code: expect.any(String),
    state: q.state,
    iss: t.config.publicUrl,
  });
});

test('a third-party client gets the consent page once, answered by keyboard', async () => {
  // The browser is signed in: no password this time, only the consent page.
  const q = authorizeQuery(thirdParty.client_id, `${appOrigin}/cb`, { scope: 'items:read items:write' });
  await page.goto(t.url + q.path);
  expect(await page.getByText('Photo Printer').count()).toBe(1);
  expect(await page.getByText('Create, change and delete items.').count()).toBe(1);
  await page.screenshot({ path: path.join(OUTPUT, 'consent.png') });
  await page.keyboard.press('Tab'); // Allow
  await Promise.all([page.waitForURL(`${appOrigin}/cb?**`), page.keyboard.press('Enter')]);
  expect(new URL(page.url()).searchParams.get('state')).toBe(q.state);
  expect(new URL(page.url()).searchParams.get('code')).toEqual(expect.any(String));
  // Remembered: the next request goes straight back with a code.
  const again = authorizeQuery(thirdParty.client_id, `${appOrigin}/cb`, { scope: 'items:read items:write' });
  await page.goto(t.url + again.path);
  expect(new URL(page.url()).searchParams.get('state')).toBe(again.state);
});

test('a sign-in cookie whose session ended is dropped by Chromium, next to the new CSRF cookie it gets', async () => {
  const names = async () => (await headless.context.cookies(t.url)).map((c) => c.name).sort();
  // Signed in by the tests above; then an administrator ends Ada's sessions, and the browser
  // restarts (its CSRF cookie lasts the browser session only).
  expect(await names()).toEqual(['__Host-specgate-csrf', '__Host-specgate-signin']);
  const ended = await fetch(`${t.url}/v1/users/${adaId}/sessions`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${adminToken}` },
  });
  expect(ended.status).toBe(204);
  await headless.context.clearCookies({ name: '__Host-specgate-csrf' });
  await page.goto(loginUrl);
  expect(await page.getByLabel('Username').count()).toBe(1);
  expect(await names()).toEqual(['__Host-specgate-csrf']);
});

test('a request that is not valid gets a page naming the parameter and what is wrong', async () => {
  const q = authorizeQuery(firstParty.client_id, `${appOrigin}/cb`, { state: `private-${'x'.repeat(1024)}` });
  const res = await page.goto(t.url + q.path);
  expect(res?.status()).toBe(400);
  expect(await page.getByText('Query parameter state: must NOT have more than 1024 characters').count()).toBe(1);
  expect(await page.content()).not.toContain('private-');
  await page.screenshot({ path: path.join(OUTPUT, 'invalid-request.png') });
});
