/**
 * `npm run docs:build [-- <output.html>]`: writes a self-contained HTML API reference of
 * openapi/openapi.yaml to dist/docs/index.html (or the path given as the first argument or in
 * DOCS_OUTPUT). The file loads nothing from the network: open it from disk or serve it anywhere.
 *
 * It runs `redocly build-docs` (@redocly/cli 2.x, which renders with Redoc 3):
 *  - `--inlineBundle` embeds Redoc's script instead of importing it from cdn.redocly.com;
 *  - REDOCLY_TELEMETRY=off keeps both the CLI and the page from sending telemetry
 *    (the page would otherwise POST traces to otel.cloud.redocly.com);
 *  - scripts/docs-template.hbs is the page around Redoc's output (no favicon request).
 * Then it post-processes the page:
 *  - the "API docs by Redocly" footer logo (hard-coded https://cdn.redoc.ly/redoc/logo-mini*.svg)
 *    becomes an empty data: URL, which Redoc's logo component treats as a failed load and hides;
 *  - a Content-Security-Policy <meta> allows only the page's own inline script (by hash), inline
 *    styles, blob: workers and data: images/fonts, and no connection at all: whatever URL the
 *    bundle might build at run time (e.g. its icon CDN), the browser does not fetch it.
 * Finally it checks the result: no <script src>, <link href>, <img src>, CSS url() or @import
 * that points at http(s).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const documentPath = path.resolve(process.env.DOCS_DOCUMENT ?? path.join(root, 'openapi', 'openapi.yaml'));
const output = path.resolve(
  process.argv[2] ?? process.env.DOCS_OUTPUT ?? path.join(root, 'dist', 'docs', 'index.html'),
);
const template = path.join(__dirname, 'docs-template.hbs');
const redocly = path.join(root, 'node_modules', '.bin', 'redocly');

const CSP_MARKER = /^[ \t]*<!-- specgate:csp .*-->[ \t]*$/m;
const REDOCLY_LOGOS = /https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(?:-full)?\.svg/g;

function fail(message: string): never {
  process.stderr.write(`docs:build: ${message}\n`);
  process.exit(1);
}

/** The http(s) URLs the page would fetch: script/link/img/source/iframe sources, CSS url() and @import. */
export function externalResources(html: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /<(?:script|img|iframe|source|audio|video|embed|input)\b[^>]*?\s(?:src|srcset|poster)\s*=\s*["']?\s*((?:https?:)?\/\/[^"'\s>]+)/gi,
    /<link\b[^>]*?\shref\s*=\s*["']?\s*((?:https?:)?\/\/[^"'\s>]+)/gi,
    /<object\b[^>]*?\sdata\s*=\s*["']?\s*((?:https?:)?\/\/[^"'\s>]+)/gi,
    /url\(\s*["']?((?:https?:)?\/\/[^"')\s]+)/gi,
    /@import\s+(?:url\()?\s*["']?((?:https?:)?\/\/[^"')\s;]+)/gi,
    /\bimport\s*(?:\(\s*)?["']((?:https?:)?\/\/[^"']+)["']/g,
    /\bfrom\s*["']((?:https?:)?\/\/[^"']+)["']/g,
  ];
  for (const re of patterns) for (const [, url] of html.matchAll(re)) if (url) found.add(url);
  return [...found];
}

function main(): void {
  if (!fs.existsSync(documentPath)) fail(`${documentPath} not found`);
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const run = spawnSync(redocly, ['build-docs', documentPath, '--inlineBundle', '--template', template, '-o', output], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
  });
  if (run.status !== 0) fail(`redocly build-docs failed (exit ${run.status}):\n${run.stderr || run.stdout}`);

  let html = fs.readFileSync(output, 'utf8');
  if (!CSP_MARKER.test(html)) fail(`${template} lost its CSP marker line`);
  if (!/"disableTelemetry":true/.test(html)) fail('the page still has Redoc telemetry enabled');
  html = html.replace(REDOCLY_LOGOS, 'data:,');

  const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  if (inline.length === 0) fail('no inline script in the output: did redocly build-docs change its page?');
  if (inline.some(([, attributes = '']) => /\ssrc\s*=/.test(attributes))) fail('the output loads a script by URL');
  const hashes = inline.map(
    ([, , body = '']) => `'sha256-${crypto.createHash('sha256').update(body, 'utf8').digest('base64')}'`,
  );
  const csp = [
    "default-src 'none'",
    `script-src ${hashes.join(' ')}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    'font-src data:',
    'worker-src blob:',
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  html = html.replace(CSP_MARKER, `  <meta http-equiv="Content-Security-Policy" content="${csp}">`);

  const external = externalResources(html);
  if (external.length > 0) fail(`the page would fetch external resources:\n  ${external.join('\n  ')}`);
  fs.writeFileSync(output, html);
  const kib = Math.ceil(Buffer.byteLength(html) / 1024);
  process.stdout.write(
    `docs:build: wrote ${path.relative(process.cwd(), output) || output} (${kib} KiB, self-contained)\n`,
  );
}

if (require.main === module) main();
