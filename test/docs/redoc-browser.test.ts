/**
 * GET /docs in a real browser: headless Chromium opens the Redoc page of the running service and
 * the reference must render a section for every operation of the live document, with every
 * asset served by the service itself: no request leaves the host, not even an attempt (Redoc 2's
 * footer logo, a CDN URL in the bundle, is served as a data: URI: see src/app.ts). And every
 * problem `type` URI the service answers with leads there: to the section of its code.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PROBLEMS } from '../../src/core/errors';
import { ERRORS_SECTION_ANCHOR } from '../../src/core/problems';
import { loadDocument } from '../../src/pipeline/compile/document';
import { startTestApp, type TestApp } from '../support/app';
import { received } from '../support/contract';
import {
  BROWSER_TIMEOUT_MS,
  foreignRequests,
  type Headless,
  launchChromium,
  OUTPUT_DIR,
  operationIdsOf,
  type PageRecord,
  record,
  waitInPage,
} from './browser';

/** Browser globals used inside page functions (which run in Chromium, not in node); tsconfig has no DOM lib. */
declare const document: any;
declare const window: any;
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
      (ids) =>
        ids.every((id) =>
          document.querySelector(`[data-section-id="operation/${CSS.escape(id)}"], [id="operation/${CSS.escape(id)}"]`),
        ),
      operationIds,
      { timeout: BROWSER_TIMEOUT_MS, polling: 250 },
    );
    const rendered = await page.evaluate(
      (ids) =>
        ids.map((id) => {
          const el = document.querySelector(`[id="operation/${CSS.escape(id)}"]`) as HTMLElement | null;
          return { id, text: el?.innerText ?? '' };
        }),
      operationIds,
    );
    for (const { id, text } of rendered)
      expect({ id, rendered: text.trim().length > 0 }).toEqual({ id, rendered: true });
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
    expect(rec.requests).toEqual(
      expect.arrayContaining([`${origin}/docs`, `${origin}/docs/redoc.standalone.js`, `${origin}/openapi.json`]),
    );
    expect(foreignRequests(rec.requests, origin)).toEqual([]);
    expect(rec.failed).toEqual([]);
  });

  it('reports no errors: no CSP violation, no console or page error', async () => {
    expect(await rec.cspViolations()).toEqual([]);
    expect(rec.errors).toEqual([]);
  });

  it('received only responses that conform to the document', () => {
    expect(responses).toEqual(
      expect.arrayContaining([
        { method: 'GET', path: '/docs', status: 200 },
        { method: 'GET', path: '/openapi.json', status: 200 },
      ]),
    );
    expect(nonConforming).toEqual([]);
  });
});

describe('problem type URIs on the served docs', () => {
  /** The text of the rendered section `id` (its data-section-id), or null while there is none. */
  const sectionText = (p: Page, id: string) =>
    p.evaluate(
      (sid) =>
        (document.querySelector(`[data-section-id="${CSS.escape(sid)}"]`) as HTMLElement | null)?.innerText ?? null,
      id,
    );

  it('renders a section for every problem code, under the anchor its type URI names', async () => {
    const ids = Object.keys(PROBLEMS).map((code) => ERRORS_SECTION_ANCHOR + code);
    await waitInPage(
      page,
      (all) => all.every((id) => document.querySelector(`[data-section-id="${CSS.escape(id)}"]`)),
      ids,
      'the Errors sections',
    );
    for (const [code, entry] of Object.entries(PROBLEMS)) {
      const text = await sectionText(page, ERRORS_SECTION_ANCHOR + code);
      expect({ code, text: text?.includes(`${entry.status} ${entry.title}.`) }).toEqual({ code, text: true });
    }
  });

  it('following the type of a real problem opens the docs at the section of its code', async () => {
    // A 404 from the service itself; its type is resolved against the request URL (RFC 3986 §5),
    // as a client does, and opened in a fresh page, as a developer following it would.
    const requested = `${t.url}/v1/no-such-thing`;
    const res = await fetch(requested);
    const problem = (await res.json()) as { type: string; code: string };
    expect([res.status, problem.code]).toEqual([404, 'not_found']);
    const target = new URL(problem.type, requested);
    expect(target.pathname + target.hash).toBe(`/docs#${ERRORS_SECTION_ANCHOR}not_found`);

    const fresh = await headless.newPage();
    try {
      fresh.setDefaultTimeout(BROWSER_TIMEOUT_MS);
      const freshRec = await record(fresh);
      await fresh.goto(target.href, { waitUntil: 'load' });
      const id = decodeURIComponent(target.hash.slice(1));
      // Redoc scrolls the section of the fragment to the top of the window once it has rendered.
      await waitInPage(
        fresh,
        (sid) => {
          const el = document.querySelector(`[data-section-id="${CSS.escape(sid)}"]`);
          return el !== null && window.scrollY > 0 && Math.abs(el.getBoundingClientRect().top) < 5;
        },
        id,
        `the page scrolled to ${id}`,
      );
      expect(await sectionText(fresh, id)).toContain(`404 ${PROBLEMS.not_found.title}.`);
      expect(freshRec.errors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
