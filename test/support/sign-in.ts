/**
 * A browser without a browser, for the tests of /authorize and its forms: a cookie jar, redirects
 * not followed, every response checked against the document (./contract.ts), and the hidden
 * fields of the page it got, to post the next form as a browser would.
 */
import { createHash, randomBytes } from 'node:crypto';
import { received, type TestResponse } from './contract';

/** A PKCE pair (RFC 7636 §4.1–4.2). */
export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface PageResponse extends TestResponse {
  /** Every Set-Cookie of the response, as sent. */
  setCookies: string[];
  /** The `name="request"` and `name="csrf"` hidden fields of an HTML form, when there is one. */
  fields: { request?: string; csrf?: string };
}

export class CookieBrowser {
  readonly jar = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  cookieHeader(): string | undefined {
    return this.jar.size ? [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  async request(
    method: string,
    path: string,
    opts: { form?: Record<string, string>; headers?: Record<string, string>; body?: string } = {},
  ): Promise<PageResponse> {
    const headers: Record<string, string> = { accept: 'text/html', ...opts.headers };
    const cookie = this.cookieHeader();
    if (cookie) headers.cookie = cookie;
    let body = opts.body;
    if (opts.form) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      out[k] = v;
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const gone = attributes.some((a) => a.trim().toLowerCase() === 'max-age=0');
      if (gone) this.jar.delete(name);
      else this.jar.set(name, pair.slice(eq + 1).trim());
    }
    const checked = received(method, path, res.status, out, text);
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(text)?.[1];
    return { ...checked, setCookies, fields: { request: field('request'), csrf: field('csrf') } };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers });
  }

  post(path: string, form: Record<string, string>) {
    return this.request('POST', path, { form });
  }

  /** Posts the login form of `page` (its hidden fields as served) with `username` and `password`. */
  signIn(page: PageResponse, username: string, password: string) {
    return this.post('/authorize/sign-in', {
      request: page.fields.request ?? '',
      csrf: page.fields.csrf ?? '',
      username,
      password,
    });
  }
}

/** The query of an authorization request (RFC 6749 §4.1.1) with PKCE S256, `over` replacing or removing (undefined) parameters. */
export function authorizeQuery(
  clientId: string,
  redirectUri: string,
  over: Record<string, string | undefined> = {},
): { path: string; verifier: string; state: string } {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...over,
  };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, v);
  return { path: `/authorize?${q}`, verifier, state };
}
