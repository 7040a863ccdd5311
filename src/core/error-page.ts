/**
 * The body of an error page (operations marked `x-error-format: html`, the sign-in pages): the
 * title, the detail, and for a 400 that failed validation the list of violations a person can act
 * on (which parameter or field, what is wrong). A violation names the parameter, never the value
 * sent: a form's password must not come back in a page, and a page explains, it does not mirror
 * (./echo.ts cuts every name and message as the problem document does).
 */
import { cutEcho } from './echo';
import { escapeHtml, renderPage } from './html-page';
import type { Violation } from './problems';

/** At most this many violations are listed; the rest are counted, so the page stays small. */
export const MAX_LISTED_VIOLATIONS = 20;

/** Where a violation was found, as the page says it. */
const WHERE: Record<Violation['in'], string> = {
  path: 'Path parameter',
  query: 'Query parameter',
  header: 'Header',
  cookie: 'Cookie',
  body: 'Field',
};

/** A whole error page: `title`, `detail` (text) and, when given, the violations listed. */
export function renderErrorPage(title: string, detail: string, violations: readonly Violation[] = []): string {
  const listed = violations.length ? `\n${violationList(violations)}` : '';
  return renderPage(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(cutEcho(detail))}</p>${listed}`);
}

function violationList(violations: readonly Violation[]): string {
  const items = violations.slice(0, MAX_LISTED_VIOLATIONS).map((v) => {
    // The pointer's first segment is the parameter's name (or the form field's); '' is the whole body.
    const name = v.pointer.slice(1);
    const what = name
      ? `${WHERE[v.in]} <code>${escapeHtml(cutEcho(name))}</code>`
      : v.in === 'body'
        ? 'The request body'
        : WHERE[v.in];
    return `<li>${what}: ${escapeHtml(cutEcho(v.message))}</li>`;
  });
  const more = violations.length - MAX_LISTED_VIOLATIONS;
  if (more > 0) items.push(`<li>And ${more} more.</li>`);
  return `<ul class="violations">\n${items.join('\n')}\n</ul>`;
}
