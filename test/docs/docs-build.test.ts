/**
 * `npm run docs:build` (scripts/build-docs.ts): a self-contained HTML reference. The script is run
 * into a temporary directory; the page must name no external script, stylesheet, image or font,
 * and, opened from a file:// URL in headless Chromium, must render every operation without a
 * single request beyond the file itself (data: and blob: URLs are in-page, and allowed).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { externalResources } from '../../scripts/build-docs';
import { loadDocument } from '../../src/pipeline/compile/document';
import {
  BROWSER_TIMEOUT_MS,
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
type HTMLElement = { innerText: string; querySelectorAll(selector: string): ArrayLike<any> };
/** What the folded-list check touches of an element (the page's DOM, typed by hand like the above). */
type Clickable = { children: ArrayLike<unknown>; textContent: string | null; click(): void };

const root = path.resolve(__dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

jest.setTimeout(4 * BROWSER_TIMEOUT_MS);

let tmp: string;
let output: string;
let html: string;
let stdout: string;
let headless: Headless | undefined;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-docs-'));
  output = path.join(tmp, 'nested', 'index.html');
  const run = spawnSync(tsx, ['scripts/build-docs.ts', output], {
    cwd: root,
    encoding: 'utf8',
    timeout: BROWSER_TIMEOUT_MS,
  });
  if (run.status !== 0) throw new Error(`docs:build failed (${run.status}): ${run.stderr}${run.stdout}`);
  stdout = run.stdout;
  html = fs.readFileSync(output, 'utf8');
});

afterAll(async () => {
  await headless?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('npm run docs:build', () => {
  it('writes the page to the path it is given and says so', () => {
    expect(stdout).toContain('self-contained');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(String((loadDocument().info as { title?: string }).title));
  });

  it('names no external script, stylesheet, image or font', () => {
    expect(externalResources(html)).toEqual([]);
    // Independently of the script's own check: every script is inline, every link local.
    expect([...html.matchAll(/<script\b[^>]*\ssrc\s*=/gi)]).toEqual([]);
    const linkHrefs = [...html.matchAll(/<link\b[^>]*\shref\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]);
    expect(linkHrefs.filter((href) => !href!.startsWith('data:'))).toEqual([]);
    expect(html).not.toMatch(/https:\/\/cdn\.redocly\.com\/redoc\//);
    expect(html).not.toMatch(/https:\/\/cdn\.redoc\.ly\//);
    expect(html).toContain('"disableTelemetry":true');
    // And the page forbids any connection, whatever URL its script builds at run time.
    expect(html).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none';[^"]*connect-src 'none'/,
    );
  });

  describe('opened from a file:// URL in headless Chromium', () => {
    let page: Page;
    let rec: PageRecord;
    let pageUrl: string;

    beforeAll(async () => {
      headless = await launchChromium();
      page = await headless.newPage();
      page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
      rec = await record(page);
      pageUrl = pathToFileURL(output).href;
      await page.goto(pageUrl, { waitUntil: 'load' });
    });

    it('renders every operation of the document', async () => {
      const tags = new Map<string, string>();
      const doc = loadDocument();
      for (const item of Object.values(doc.paths)) {
        for (const op of Object.values(item) as { operationId?: string; tags?: string[] }[]) {
          if (op && typeof op === 'object' && op.operationId) tags.set(op.operationId, op.tags?.[0] ?? '');
        }
      }
      const operationIds = operationIdsOf(doc);
      expect(operationIds.length).toBeGreaterThan(0);
      // Redoc 3 (what redocly build-docs renders with) links each operation as
      // "#/<tag>/<operationId in lower case>" from its tag's section. Tag sections are rendered
      // by the page's script as they scroll into view (the prerendered HTML leaves them empty):
      // scroll each into view and wait for its operations.
      for (const tag of new Set(tags.values())) {
        await page.locator(`[data-section-id="/${tag}"]`).first().scrollIntoViewIfNeeded();
        const ops = [...tags].filter(([, t]) => t === tag).map(([id]) => id.toLowerCase());
        await waitInPage(
          page,
          ({ tag, ops }) => {
            const el = document.querySelector(`[data-section-id="/${tag}"]`) as HTMLElement | null;
            const hrefs = el
              ? Array.from(el.querySelectorAll('a[href]')).map((a) => a.getAttribute('href')!.toLowerCase())
              : [];
            const done =
              !!el && el.innerText.trim().length > 0 && ops.every((id) => hrefs.some((h) => h.endsWith(`/${id}`)));
            // Redoc 3 lists the first 8 operations of a tag and folds the rest behind "Show N
            // more...": unfold it, so the next poll sees them.
            if (!done && el) {
              for (const more of Array.from(el.querySelectorAll('button, a, span, div')) as Clickable[]) {
                if (more.children.length === 0 && /^Show \d+ more/.test(more.textContent?.trim() ?? '')) more.click();
              }
            }
            return done;
          },
          { tag, ops },
          `the operations of tag ${tag} (${ops.join(', ')})`,
        );
      }
      // Every operationId was covered by some tag.
      expect([...tags.keys()].sort()).toEqual([...operationIds].sort());
      fs.mkdirSync(OUTPUT_DIR, { recursive: true });
      await page.screenshot({ path: path.join(OUTPUT_DIR, 'docs-build.png') });
    });

    it('makes no request beyond the file itself (data: and blob: URLs allowed)', () => {
      const network = rec.requests.filter((url) => !url.startsWith('data:') && !url.startsWith('blob:'));
      expect(network).toEqual([pageUrl]);
      expect(rec.failed).toEqual([]);
    });

    it('reports no CSP violation beyond the search worker probe, no console or page error', async () => {
      // The one expected violation: Redoc 3's search index (FlexSearch) probes whether it may
      // build its worker with Function(...); the page's CSP has no 'unsafe-eval', so the probe
      // fails and search runs on the main thread instead. Nothing else may be blocked.
      const violations = await rec.cspViolations();
      expect(violations.filter((v) => !(v.blockedURI === 'eval' && v.directive === 'script-src'))).toEqual([]);
      expect(violations.length).toBeLessThanOrEqual(1);
      expect(rec.errors).toEqual([]);
    });
  });
});
