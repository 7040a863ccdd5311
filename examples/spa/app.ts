/**
 * The example single-page app: signs in through specgate's login page with the typed client's
 * browser sign-in (authorization code + PKCE), shows who is signed in (GET /me) and signs out.
 * Bundled for the browser by esbuild (examples/spa/server.ts); `npm run example:spa` serves it.
 *
 * The tokens stay in this page's memory only: nothing a script injected later could read from
 * storage. Reloading the page forgets them, and "Sign in" then comes straight back without the
 * password while the browser's sign-in session at specgate lasts.
 */
import { createSpecgateClient, SignInError, type SpecgateClient, SpecgateError } from 'specgate/client';

/** What the server of the example tells the app (GET /config.json). */
interface AppConfig {
  /** specgate's base URL; its CORS_ORIGINS must include this app's origin. */
  apiUrl: string;
  /** The public client registered for this app, with this page as a redirect URI. */
  clientId: string;
  /** Space-separated scopes to ask for (default: the service's default). */
  scope?: string;
}

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
}

function say(status: string): void {
  element('status').textContent = status;
}

function showError(err: unknown): void {
  const box = element('error');
  box.textContent =
    err instanceof SignInError || err instanceof SpecgateError
      ? `Sign-in failed (${err.code ?? err.status}): ${err.message}`
      : `Something went wrong: ${err instanceof Error ? err.message : String(err)}`;
  box.hidden = false;
}

/** Shows the signed-in view with the user from GET /me, or the sign-in button. */
async function render(api: SpecgateClient): Promise<void> {
  const tokens = api.tokens;
  const me = tokens ? await api.GET('/me') : undefined;
  const user = me?.data;
  element('signed-in').hidden = !user;
  element('signed-out').hidden = !!user;
  if (user && tokens) {
    element('username').textContent = user.username;
    element('scopes').textContent = tokens.scope || '(none)';
    say(`Signed in as ${user.username}.`);
  } else {
    say('Not signed in.');
  }
}

async function main(): Promise<void> {
  const config = (await (await fetch('/config.json')).json()) as AppConfig;
  // This page is its own redirect URI: register exactly this string.
  const redirectUri = `${location.origin}/`;
  const api = createSpecgateClient({ baseUrl: config.apiUrl, clientId: config.clientId });

  const callback = new URL(location.href);
  if (callback.searchParams.has('state')) {
    // The code and state leave the address bar (and the history) before anything else happens.
    history.replaceState(null, '', callback.pathname);
    say('Finishing sign-in…');
    try {
      await api.finishSignIn(callback);
    } catch (err) {
      showError(err);
    }
  }

  element('sign-in').addEventListener('click', async () => {
    say('Going to specgate’s sign-in page…');
    try {
      location.assign(await api.startSignIn({ redirectUri, ...(config.scope ? { scope: config.scope } : {}) }));
    } catch (err) {
      showError(err);
    }
  });
  element('sign-out').addEventListener('click', async () => {
    element('error').hidden = true;
    try {
      // Ends this app's session and the browser's sign-in session it came from.
      await api.logout();
    } catch (err) {
      showError(err);
    }
    await render(api);
  });
  await render(api);
}

main().catch(showError);
