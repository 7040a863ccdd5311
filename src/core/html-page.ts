/**
 * The shell of every HTML page specgate renders itself (the sign-in pages, and errors of
 * operations marked `x-error-format: html`): escaping, one inline stylesheet allowed by its hash,
 * and the header set those pages carry. No script and no third-party asset: the CSP allows
 * nothing but that stylesheet and forms posted back here (or to the client's redirect URI).
 */
import { createHash } from 'node:crypto';

/** `text` safe inside HTML text and double-quoted attribute values (OWASP XSS cheat sheet, rule 1 and 2). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A centred card on a fluid layout (readable at 390 px), the system font stack, visible focus
 * rings, and colours that follow the user's dark-mode preference.
 */
const STYLE = `
:root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;--fg:#111827;--muted:#4b5563;--line:#d1d5db;--accent:#2563eb;--accent-fg:#fff;--error-bg:#fef2f2;--error:#991b1b}
@media (prefers-color-scheme:dark){:root{--bg:#111827;--card:#1f2937;--fg:#f9fafb;--muted:#d1d5db;--line:#4b5563;--accent:#60a5fa;--accent-fg:#111827;--error-bg:#450a0a;--error:#fecaca}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1rem;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{width:100%;max-width:24rem;background:var(--card);border:1px solid var(--line);border-radius:12px;padding:2rem 1.5rem;box-shadow:0 10px 25px rgba(0,0,0,.08)}
h1{font-size:1.375rem;margin:0 0 .25rem}
p{margin:.5rem 0;color:var(--muted)}
.client{color:var(--fg);font-weight:600}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text],input[type=password]{width:100%;padding:.625rem .75rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:8px}
button{width:100%;margin-top:1.25rem;padding:.7rem 1rem;font:inherit;font-weight:600;border:1px solid var(--accent);border-radius:8px;background:var(--accent);color:var(--accent-fg);cursor:pointer}
button.secondary{background:transparent;color:var(--fg);border-color:var(--line);margin-top:.5rem}
input:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.error{background:var(--error-bg);color:var(--error);border-radius:8px;padding:.625rem .75rem;margin:1rem 0 0}
ul{margin:.75rem 0;padding-left:1.25rem}
li{margin:.25rem 0}
code{font-size:.875em;color:var(--muted)}
small{display:block;margin-top:1.25rem;color:var(--muted)}
`.trim();

/** CSP `style-src` source of {@link STYLE} (CSP3 §8.3: a hash source of the inline element's text). */
const STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/**
 * The headers of a rendered page. `formTargets`: origins a form on the page may post to beyond
 * 'self': Chromium enforces `form-action` on the redirect that follows a form POST too, so the
 * page whose form ends in a 303 to the client's redirect URI names that URI's origin.
 */
export function pageHeaders(formTargets: readonly string[] = []): Record<string, string> {
  const formAction = ["'self'", ...formTargets].join(' ');
  return {
    'content-security-policy': `default-src 'none'; style-src ${STYLE_SOURCE}; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
}

/** A whole page around `body` (already escaped HTML) with the title `title` (text). */
export function renderPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
