/**
 * The login page of /authorize: a form that needs no script, with labelled `username` and
 * `current-password` fields (WCAG 2.2 1.3.5, so password managers fill them) and the client's
 * name, posting to /authorize/sign-in (below the mount path) with the sealed request and the CSRF token.
 */
import { escapeHtml, renderPage } from '../../core/html-page';

export interface LoginPage {
  clientName: string;
  /** Where the form posts: /authorize/sign-in below the service's mount path. */
  action: string;
  sealedRequest: string;
  csrfToken: string;
  /** The username typed before, kept after a failure. */
  username?: string;
  /** Shown above the form after a failure; never says whether the user exists. */
  error?: string;
}

export function loginPage(p: LoginPage): string {
  const error = p.error ? `<p class="error" role="alert">${escapeHtml(p.error)}</p>\n` : '';
  return renderPage(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to <span class="client">${escapeHtml(p.clientName)}</span></p>
${error}<form method="post" action="${escapeHtml(p.action)}">
<input type="hidden" name="request" value="${escapeHtml(p.sealedRequest)}">
<input type="hidden" name="csrf" value="${escapeHtml(p.csrfToken)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escapeHtml(p.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}
