/**
 * Headless Chromium for the docs tests: Debian's `chromium` driven by playwright-core, with a
 * fresh empty profile and the background services that would phone home switched off, plus a
 * recorder of every request a page makes and every console error / page error it reports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, type ConsoleMessage, chromium, type Page } from 'playwright-core';

/** Browser globals used inside page functions (which run in Chromium, not in node); tsconfig has no DOM lib. */
declare const window: any;
declare const document: any;

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the docs tests write screenshots and other artefacts (gitignored). */
export const OUTPUT_DIR = path.resolve(__dirname, '..', '..', 'test-output', 'docs');

/** Generous: starting chromium on a loaded two-core machine can take a while. */
export const BROWSER_TIMEOUT_MS = 120_000;

export interface Headless {
  /** The browser's one context, on a new empty profile directory (removed by close()). */
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** `javaScriptEnabled: false` proves a page works without script (the sign-in pages). */
export async function launchChromium(opts: { javaScriptEnabled?: boolean } = {}): Promise<Headless> {
  if (!fs.existsSync(CHROMIUM_PATH))
    throw new Error(`${CHROMIUM_PATH} not found: install Debian's chromium package (apt-get install chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-chromium-'));
  // launchPersistentContext passes --user-data-dir=<profile> itself (chromium.launch refuses it in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: BROWSER_TIMEOUT_MS,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A securitypolicyviolation event; `at` (file:line:column) for blocked eval. */
export interface CspViolation {
  blockedURI: string;
  directive: string;
  at?: string;
}

export interface PageRecord {
  /** Every URL the page requested, in order (including attempts the page's CSP blocked). */
  requests: string[];
  /** The requests that failed, with Chromium's reason (e.g. 'csp' when the page's CSP blocked it before any network I/O). */
  failed: { url: string; reason: string }[];
  /** console.error messages and uncaught page errors. */
  errors: string[];
  /** Content-Security-Policy violations the page reported (blocked URI and directive). */
  cspViolations(): Promise<CspViolation[]>;
}

/**
 * Records the page's requests, failures, console errors, uncaught errors and CSP violations.
 * Call before the page navigates.
 */
export async function record(page: Page): Promise<PageRecord> {
  const rec: Omit<PageRecord, 'cspViolations'> = { requests: [], failed: [], errors: [] };
  page.on('request', (req) => rec.requests.push(req.url()));
  page.on('requestfailed', (req) => rec.failed.push({ url: req.url(), reason: req.failure()?.errorText ?? 'unknown' }));
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') rec.errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => rec.errors.push(`pageerror: ${err.message}`));
  await page.addInitScript(() => {
    const seen: { blockedURI: string; directive: string; at?: string }[] = [];
    (window as unknown as { __cspViolations: typeof seen }).__cspViolations = seen;
    document.addEventListener(
      'securitypolicyviolation',
      (e: {
        blockedURI: string;
        effectiveDirective: string;
        sourceFile: string;
        lineNumber: number;
        columnNumber: number;
      }) =>
        seen.push({
          blockedURI: e.blockedURI,
          directive: e.effectiveDirective,
          ...(e.blockedURI === 'eval' ? { at: `${e.sourceFile}:${e.lineNumber}:${e.columnNumber}` } : {}),
        }),
    );
  });
  return {
    ...rec,
    cspViolations: () =>
      page.evaluate(() => (window as unknown as { __cspViolations?: CspViolation[] }).__cspViolations ?? []),
  };
}

/**
 * The requests that left `origin`. data: and blob: URLs are in-page resources (Redoc's inline
 * images and its search worker), not network requests: they are allowed explicitly. For a page
 * opened from a file (`origin` 'file://'), file: URLs are its own.
 */
export function foreignRequests(requests: string[], origin: string): string[] {
  return requests.filter((url) => {
    if (url.startsWith('data:') || url.startsWith('blob:')) return false;
    if (origin === 'file://') return !url.startsWith('file://');
    return new URL(url).origin !== origin;
  });
}

/** Every operationId in the document, walking paths × methods (new operations are picked up). */
export function operationIdsOf(doc: { paths?: Record<string, Record<string, unknown>> }): string[] {
  const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const ids: string[] = [];
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of methods) {
      const op = item[method] as { operationId?: string } | undefined;
      if (op?.operationId) ids.push(op.operationId);
    }
  }
  return ids;
}

/**
 * Polls `predicate` in the page until it returns true. Unlike page.waitForFunction, it runs
 * through page.evaluate only, which a strict page CSP (no 'unsafe-eval') does not affect and
 * does not report as a violation.
 */
export async function waitInPage<A>(
  page: Page,
  predicate: (arg: A) => boolean,
  arg: A,
  what: string,
  timeoutMs = BROWSER_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(predicate as (arg: unknown) => boolean, arg as unknown)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
