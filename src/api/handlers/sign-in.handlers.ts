/**
 * The browser side of the `auth` tag: the authorization endpoint (RFC 6749 §4.1.1), its login
 * form and its consent form. The flow lives in src/auth/pages/sign-in-flow.ts; these handlers
 * read the request, check CSRF and the sealed request first, and answer its pages and redirects.
 */
import { checkAuthorizationRequest } from '../../auth/pages/authorization-request';
import type { AuthorizationRequest } from '../../auth/pages/sealed-request';
import {
  type Browser,
  CSRF_COOKIE,
  type PageResult,
  SIGN_IN_COOKIE,
  type SignInFlow,
  withCookie,
} from '../../auth/pages/sign-in-flow';
import { SignInSessions } from '../../auth/pages/sign-in-sessions';
import type { ClientRecord } from '../../store/clients.repository';
import type { HandlerDeps } from '../deps';
import type { Handler, HandlerRequest, HandlerResponse } from '../types';

type PageOperation = 'authorize' | 'signIn' | 'decideConsent';

/** What every page handler knows of the browser. */
function browserOf(req: HandlerRequest<PageOperation>): Browser {
  const cookies = req.cookies as Partial<Record<typeof CSRF_COOKIE | typeof SIGN_IN_COOKIE, string>>;
  return {
    csrfCookie: cookies[CSRF_COOKIE],
    signInCookie: cookies[SIGN_IN_COOKIE],
    ip: req.ip,
    requestId: req.requestId,
    base: req.base,
  };
}

/**
 * A page result as operation K's typed result: HTML, or a redirect without a body. The flow
 * answers only statuses these operations document (200, 302/303, 400, 403); the response check
 * of the pipeline (dev and test) and the contract tests hold it to that.
 */
function html<K extends PageOperation>(r: PageResult): HandlerResponse<K> {
  const contentType = r.body === undefined ? undefined : 'text/html';
  return { status: r.status, headers: r.headers, body: r.body, contentType } as HandlerResponse<K>;
}

export function signInHandlers(deps: HandlerDeps & { signInFlow: SignInFlow }) {
  const flow = deps.signInFlow;

  const authorize: Handler<'authorize'> = async (req) => {
    const browser = browserOf(req);
    const checked = await checkAuthorizationRequest(deps.clients, req.query);
    if (checked.kind === 'error') {
      const { redirectUri, state, error } = checked;
      return html(flow.redirectError(302, redirectUri, state, error.error, error.description));
    }
    const { client, request } = checked;
    // prompt=login (OpenID Connect Core §3.1.2.1, as RFC 6749 clients use it): the form, even when
    // signed in; the cookie was not looked at, so it stays.
    const prompted = req.query.prompt === 'login';
    const signedIn = prompted ? undefined : await flow.signIns.current(browser.signInCookie);
    const user = await flow.signedInUser(signedIn);
    if (signedIn && user) return html(await flow.proceed(302, client, request, user, signedIn, browser));
    const page = flow.login(200, client, request, browser);
    return html(prompted ? page : forgetSignIn(page, browser));
  };

  const signIn: Handler<'signIn'> = async (req) => {
    const browser = browserOf(req);
    const form = req.body;
    const posted = await postedRequest(flow, browser, form);
    if ('status' in posted) return html(posted);
    const { request, client } = posted;
    const user = await flow.verifyPassword(form.username, form.password, browser);
    if (!user) return html(flow.login(400, client, request, browser, { username: form.username }));
    const opened = await flow.signIns.open(user.id, client.id);
    deps.logger.info({ requestId: req.requestId, sub: user.id, sid: opened.sid }, 'browser signed in');
    const session = { sid: opened.sid, authTime: deps.clock() };
    return html(await flow.proceed(303, client, request, user, session, browser, opened.setCookie));
  };

  const decideConsent: Handler<'decideConsent'> = async (req) => {
    const browser = browserOf(req);
    const form = req.body;
    const posted = await postedRequest(flow, browser, form);
    if ('status' in posted) return html(posted);
    const { request, client } = posted;
    const signedIn = await flow.signIns.current(browser.signInCookie);
    const user = await flow.signedInUser(signedIn);
    // The sign-in session ended meanwhile (logout, an administrator, the cap): sign in again.
    if (!signedIn || !user) return html(forgetSignIn(flow.login(200, client, request, browser), browser));
    if (form.decision === 'deny')
      return html(
        flow.redirectError(303, request.redirectUri, request.state, 'access_denied', 'The user denied the request.'),
      );
    const scopes = request.scopes.filter((s) => user.scopes.includes(s));
    await flow.remember(user.id, client.id, scopes);
    return html(await flow.issue(303, request, user, scopes, signedIn));
  };

  return { authorize, signIn, decideConsent };
}

/**
 * The authorization request a form carries, and its client, once the form proves it came from
 * our page: CSRF first, so a forged post does nothing at all, not even count a login attempt;
 * then the sealed request, still fresh and still naming a client that may use the flow.
 */
async function postedRequest(
  flow: SignInFlow,
  browser: Browser,
  form: { csrf?: string; request: string },
): Promise<PageResult | { request: AuthorizationRequest; client: ClientRecord }> {
  if (!flow.csrf.verify(browser.csrfCookie, form.csrf)) return forbidden(flow);
  const request = flow.seal.open(form.request);
  const client = request && (await flow.clientOf(request));
  return request && client ? { request, client } : expired(flow);
}

/**
 * The login page for a browser whose sign-in cookie, if it sent one, names no live session (ended,
 * forged, its user disabled): the page also removes the cookie, next to the CSRF cookie it may
 * set, so the browser stops sending a cookie that can never sign anyone in.
 */
function forgetSignIn(page: PageResult, browser: Browser): PageResult {
  return browser.signInCookie === undefined ? page : withCookie(page, SignInSessions.clear());
}

function forbidden(flow: SignInFlow): PageResult {
  return flow.errorPage(
    403,
    'Forbidden',
    'This form was not sent from the page specgate showed you. Go back to the application and sign in again.',
  );
}

function expired(flow: SignInFlow): PageResult {
  return flow.errorPage(
    400,
    'Sign-in expired',
    'This sign-in page has expired. Go back to the application and start again.',
  );
}
