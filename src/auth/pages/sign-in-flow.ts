/**
 * What happens between GET /authorize and the redirect back to the client, page by page (RFC 6749
 * §4.1.1–§4.1.2): who the browser's user is (a sign-in session, or the login form), whether they
 * consented (first-party clients need not), then a code. Each step answers a {@link PageResult}:
 * an HTML page with the headers of ../../core/html-page.ts, or a redirect without a body.
 */

import { escapeHtml, pageHeaders, renderPage } from '../../core/html-page';
import type { Logger } from '../../core/logger';
import type { ResponseHeaders } from '../../http/response';
import type { ClientRecord, ClientsRepository } from '../../store/clients.repository';
import type { UserRecord, UsersRepository } from '../../store/users.repository';
import type { CodeIssuer } from '../codes/code-grant';
import type { ConsentStore } from '../consents';
import type { LoginThrottle } from '../login-throttle';
import { checkPassword } from '../password-check';
import type { PasswordHasher } from '../passwords';
import { formTarget, redirectWith } from './authorization-request';
import { consentPage } from './consent-page';
import { CSRF_COOKIE, type CsrfGuard } from './csrf';
import { loginPage } from './login-page';
import type { AuthorizationRequest, RequestSeal } from './sealed-request';
import { SIGN_IN_COOKIE, type SignedIn, type SignInSessions } from './sign-in-sessions';

export { CSRF_COOKIE, SIGN_IN_COOKIE };

/** A page or a redirect, as a handler returns it. */
export interface PageResult {
  status: number;
  /** Set-Cookie is a list when the page sets more than one cookie ({@link withCookie}). */
  headers: ResponseHeaders;
  body?: string;
}

/** `result` with one more cookie: each its own Set-Cookie line, never folded (RFC 6265 §3). */
export function withCookie(result: PageResult, setCookie: string): PageResult {
  const set = result.headers['set-cookie'];
  result.headers['set-cookie'] = set === undefined ? setCookie : [...(Array.isArray(set) ? set : [set]), setCookie];
  return result;
}

export interface SignInFlowDeps {
  clients: ClientsRepository;
  users: UsersRepository;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
  consents: ConsentStore;
  signIns: SignInSessions;
  codes: CodeIssuer;
  seal: RequestSeal;
  csrf: CsrfGuard;
  /** The issuer identifier, sent as `iss` (RFC 9207). */
  publicUrl: string;
  /** The document's words for each scope. */
  scopeWords: Record<string, string>;
  logger: Logger;
}

/** The message of every failed sign-in: it never says whether the username exists (ASVS 5.0 6.3.8). */
export const SIGN_IN_FAILED = 'The username or password is incorrect.';

/** The browser: its cookies, its address and the request id, as the handlers pass them. */
export interface Browser {
  csrfCookie: string | undefined;
  signInCookie: string | undefined;
  ip: string;
  requestId: string;
  /** The service's mount path ('' unless embedded): the forms post below it. */
  base: string;
}

export class SignInFlow {
  constructor(private readonly deps: SignInFlowDeps) {}

  /** A page of this flow, with the CSRF cookie when the browser has none yet. */
  page(status: number, html: string, redirectUri: string | undefined, setCookie?: string): PageResult {
    const headers = pageHeaders(redirectUri ? [formTarget(redirectUri)] : []);
    if (setCookie) headers['set-cookie'] = setCookie;
    return { status, headers, body: html };
  }

  /** 302 (after GET) or 303 (after a form POST, RFC 9110 §15.4.4) to `location`. */
  redirect(status: 302 | 303, location: string, setCookie?: string): PageResult {
    const headers: ResponseHeaders = { location, 'cache-control': 'no-store' };
    if (setCookie) headers['set-cookie'] = setCookie;
    return { status, headers };
  }

  /** The error page for a form that cannot go on (403 CSRF, 400 an expired or altered request). */
  errorPage(status: 400 | 403, title: string, message: string): PageResult {
    return this.page(
      status,
      renderPage(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`),
      undefined,
    );
  }

  /** The login form for `request`, with a fresh CSRF cookie when the browser has none. */
  login(
    status: 200 | 400,
    client: ClientRecord,
    request: AuthorizationRequest,
    browser: Browser,
    failed?: { username: string },
  ): PageResult {
    const csrf = this.deps.csrf.cookieFor(browser.csrfCookie);
    const html = loginPage({
      clientName: client.name,
      action: `${browser.base}/authorize/sign-in`,
      sealedRequest: this.deps.seal.seal(request),
      csrfToken: this.deps.csrf.token(csrf.value),
      ...(failed ? { username: failed.username, error: SIGN_IN_FAILED } : {}),
    });
    return this.page(status, html, request.redirectUri, csrf.setCookie);
  }

  /**
   * The user `signedIn` names, re-read from the database: a disabled (or deleted) user's session
   * no longer signs anyone in.
   */
  async signedInUser(signedIn: SignedIn | undefined): Promise<UserRecord | undefined> {
    if (!signedIn) return undefined;
    const user = await this.deps.users.findById(signedIn.sub);
    return user && !user.disabledAt ? user : undefined;
  }

  /** The user whose password this is (src/auth/password-check.ts: the same limits as /token), else undefined. */
  async verifyPassword(username: string, password: string, browser: Browser): Promise<UserRecord | undefined> {
    const user = await checkPassword(this.deps, username, password, browser.ip);
    if (!user)
      this.deps.logger.info(
        { requestId: browser.requestId, ip: browser.ip, outcome: 'sign_in_failed' },
        'sign-in refused',
      );
    return user;
  }

  /**
   * After the user is known: the consent page when the client is not first-party and this user
   * has not allowed it these scopes, else the code and the redirect back (RFC 6749 §4.1.2).
   */
  async proceed(
    status: 302 | 303,
    client: ClientRecord,
    request: AuthorizationRequest,
    user: UserRecord,
    session: { sid: string; authTime: number },
    browser: Browser,
    setCookie?: string,
  ): Promise<PageResult> {
    const scopes = request.scopes.filter((s) => user.scopes.includes(s));
    if (!client.firstParty && !(await this.deps.consents.given(user.id, client.id, scopes))) {
      const csrf = this.deps.csrf.cookieFor(browser.csrfCookie);
      const html = consentPage({
        clientName: client.name,
        action: `${browser.base}/authorize/consent`,
        scopes: scopes.map((scope) => ({ scope, description: this.deps.scopeWords[scope] ?? scope })),
        sealedRequest: this.deps.seal.seal(request),
        csrfToken: this.deps.csrf.token(csrf.value),
        username: user.username,
      });
      // The sign-in cookie goes with the page that follows the password; the CSRF cookie the
      // browser already has (it posted the form with it).
      return this.page(200, html, request.redirectUri, setCookie ?? csrf.setCookie);
    }
    return this.issue(status, request, user, scopes, session, setCookie);
  }

  /** Issues the code and redirects back with it, `state` and `iss`. */
  async issue(
    status: 302 | 303,
    request: AuthorizationRequest,
    user: UserRecord,
    scopes: string[],
    session: { sid: string; authTime: number },
    setCookie?: string,
  ): Promise<PageResult> {
    // Reserved before the code is written: a looping browser stores nothing more (../codes/code-issuance-limit.ts).
    if (!(await this.deps.codes.reserve(session.sid)))
      return this.tooManyCodes(status, request, user, session, setCookie);
    const code = await this.deps.codes.issue({
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      sub: user.id,
      scopes,
      codeChallenge: request.codeChallenge,
      signInSid: session.sid,
      authTime: session.authTime,
    });
    const location = redirectWith(request.redirectUri, { code, state: request.state, iss: this.deps.publicUrl });
    return this.redirect(status, location, setCookie);
  }

  /** The error response at the client's redirect URI (RFC 6749 §4.1.2.1), with `state` and `iss`. */
  redirectError(
    status: 302 | 303,
    redirectUri: string,
    state: string | undefined,
    error: string,
    description: string,
  ): PageResult {
    const location = redirectWith(redirectUri, {
      error,
      error_description: description,
      state,
      iss: this.deps.publicUrl,
    });
    return this.redirect(status, location);
  }

  /**
   * The sign-in session holds its limit of codes (src/auth/codes/code-issuance-limit.ts): back to
   * the client with `temporarily_unavailable` (RFC 6749 §4.1.2.1), `state` and `iss`.
   */
  private tooManyCodes(
    status: 302 | 303,
    request: AuthorizationRequest,
    user: UserRecord,
    session: { sid: string },
    setCookie?: string,
  ): PageResult {
    this.deps.logger.warn(
      { sub: user.id, sid: session.sid, clientId: request.clientId, outcome: 'code_limit_reached' },
      'authorization code refused: the sign-in session holds its limit of codes',
    );
    const location = redirectWith(request.redirectUri, {
      error: 'temporarily_unavailable',
      error_description: 'Too many authorization requests from this browser. Try again in a minute.',
      state: request.state,
      iss: this.deps.publicUrl,
    });
    return this.redirect(status, location, setCookie);
  }

  /** The client a sealed request names, while it may still use the flow with that redirect URI. */
  async clientOf(request: AuthorizationRequest): Promise<ClientRecord | undefined> {
    const client = await this.deps.clients.findById(request.clientId);
    const usable =
      client &&
      client.disabledAt === null &&
      client.grantTypes.includes('authorization_code') &&
      client.redirectUris.includes(request.redirectUri);
    return usable ? client : undefined;
  }

  /** Remembers the user's consent for this client and scope set. */
  remember(sub: string, clientId: string, scopes: string[]): Promise<number> {
    return this.deps.consents.remember(sub, clientId, scopes);
  }

  get signIns(): SignInSessions {
    return this.deps.signIns;
  }

  get seal(): RequestSeal {
    return this.deps.seal;
  }

  get csrf(): CsrfGuard {
    return this.deps.csrf;
  }
}
