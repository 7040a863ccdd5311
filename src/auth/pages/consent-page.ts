/**
 * The consent page of /authorize: which client asks, for which scopes, in words from the
 * document's scope descriptions (components.securitySchemes, the oauth2 flows), and two buttons
 * of one form: Allow and Deny (RFC 6749 §4.1.1: the server "obtains an authorization decision").
 */
import { escapeHtml, renderPage } from '../../core/html-page';

export interface ConsentPage {
  clientName: string;
  /** Where the form posts: /authorize/consent below the service's mount path. */
  action: string;
  /** Each scope with its description. */
  scopes: { scope: string; description: string }[];
  sealedRequest: string;
  csrfToken: string;
  username: string;
}

export function consentPage(p: ConsentPage): string {
  const items = p.scopes.length
    ? p.scopes.map((s) => `<li>${escapeHtml(s.description)} <code>${escapeHtml(s.scope)}</code></li>`).join('\n')
    : '<li>Know who you are (no other access)</li>';
  return renderPage(
    'Allow access',
    `<h1>Allow access?</h1>
<p><span class="client">${escapeHtml(p.clientName)}</span> wants to:</p>
<ul>
${items}
</ul>
<form method="post" action="${escapeHtml(p.action)}">
<input type="hidden" name="request" value="${escapeHtml(p.sealedRequest)}">
<input type="hidden" name="csrf" value="${escapeHtml(p.csrfToken)}">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>
<small>Signed in as ${escapeHtml(p.username)}.</small>`,
  );
}
