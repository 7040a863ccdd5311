/**
 * GET /docs in a real browser: headless Chromium opens the Redoc page of the running service and
 * the reference must render a section for every operation of the live document, with every
 * asset served by the service itself: no request leaves the host, not even an attempt (Redoc 2's
 * footer logo, a CDN URL in the bundle, is served as a data: URI: see src/app.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { loadDocument } from '../../src/pipeline/compile/document';
import { startTestApp, type TestApp } from '../support/app';
import { received } from '../support/contract';
import { BROWSER_TIMEOUT_MS, OUTPUT_DIR, foreignRequests, launchChromium, operationIdsOf, record, type Headless, type PageRecord } from './browser';

/** Browser globals used inside page functions (which run in Chromium, not in node); tsconfig has no DOM lib. */
declare const document: any;
declare const CSS: { escape(value: string): string };
type HTMLElement = { innerText: string };

const SCREENSHOT = path.join(OUTPUT_DIR, 'redoc.png');

jest.setTimeout(4 * BROWSER_TIMEOUT_MS);

let t: TestApp;
let headless: Headless;
let page: Page;
let rec: PageRecord;
/** Problems found in the same-origin responses the page received (checked against the document). */
const nonConforming: string[] = [];
const responses: { method: string; path: string; status: number }[] = [];

beforeAll(async () => {
  t = await startTestApp();
  headless = await launchChromium();
  page = await headless.newPage();
  page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
  rec = await record(page);
  const origin = new URL(t.url).origin;
  page.on('response', async (res) => {
    const url = new URL(res.url());
    if (url.origin !== origin) return;
    const method = res.request().method();
    try {
      const headers = await res.allHeaders();
      const text = await res.text();
      responses.push({ method, path: url.pathname, status: res.status() });
      received(method, url.pathname + url.search, res.status(), headers, text);
    } catch (err) {
      nonConforming.push(`${method} ${url.pathname}: ${(err as Error).message}`);
    }
  });
  await page.goto(`${t.url}/docs`, { waitUntil: 'load' });
});

afterAll(async () => {
  await headless?.close();
  await t?.stop();
});

describe('GET /docs in headless Chromium', () => {
  const operationIds = operationIdsOf(loadDocument());

  it('renders a section for every operationId of the live document', async () => {
    expect(operationIds.length).toBeGreaterThan(0);
    // Redoc 2 gives each operation a section with id / data-section-id "operation/<id>"
    // (and "tag/<tag>/operation/<id>" for its tag's copy).
    await page.waitForFunction(
      (ids) => ids.every((id) => document.querySelector(`[data-section-id="operation/${CSS.escape(id)}"], [id="operation/${CSS.escape(id)}"]`)),
      operationIds,
      { timeout: BROWSER_TIMEOUT_MS, polling: 250 },
    );
    const rendered = await page.evaluate((ids) => ids.map((id) => {
      const el = document.querySelector(`[id="operation/${CSS.escape(id)}"]`) as HTMLElement | null;
      return { id, text: el?.innerText ?? '' };
    }), operationIds);
    for (const { id, text } of rendered) expect({ id, rendered: text.trim().length > 0 }).toEqual({ id, rendered: true });
    // The page shows the document's title, i.e. it rendered the live /openapi.json.
    const title = String((loadDocument().info as { title?: string }).title);
    expect(await page.locator('h1').first().innerText()).toContain(title);

    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  });

  it('loads everything from the service itself (data: and blob: URLs allowed)', async () => {
    const origin = new URL(t.url).origin;
    // Redoc reads the document and runs its search index in a blob: worker: all from here.
    expect(rec.requests).toEqual(expect.arrayContaining([`${origin}/docs`, `${origin}/docs/redoc.standalone.js`, `${origin}/openapi.json`]));
    expect(foreignRequests(rec.requests, origin)).toEqual([]);
    expect(rec.failed).toEqual([]);
  });

  it('reports no errors: no CSP violation, no console or page error', async () => {
    expect(await rec.cspViolations()).toEqual([]);
    expect(rec.errors).toEqual([]);
  });

  it('received only responses that conform to the document', () => {
    expect(responses).toEqual(expect.arrayContaining([
      { method: 'GET', path: '/docs', status: 200 },
      { method: 'GET', path: '/openapi.json', status: 200 },
    ]));
    expect(nonConforming).toEqual([]);
  });
});
