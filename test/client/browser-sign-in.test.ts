/**
 * The typed client's browser sign-in, the parts that run in the browser before and after the
 * service's pages: the PKCE S256 challenge (RFC 7636 Appendix B), the authorization URL, and the
 * callback's checks (`state`, RFC 9207 `iss`, `error`) with the stored verifier removed whatever
 * the outcome. The service is a stub fetch here; test/browser/spa-sign-in.test.ts runs the flow
 * against the real one in Chromium.
 */
import { createSpecgateClient, SignInError, type SignInStorage, SpecgateError, s256Challenge } from 'specgate/client';

const ISSUER = 'https://api.example.com';
const REDIRECT = 'https://app.example.com/callback';

/** A Web Storage over a Map, with `length` and `key` so that sweeping works. */
function memoryStorage(): SignInStorage & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    getItem: (k) => entries.get(k) ?? null,
    setItem: (k, v) => void entries.set(k, v),
    removeItem: (k) => void entries.delete(k),
    get length() {
      return entries.size;
    },
    key: (i) => [...entries.keys()][i] ?? null,
  };
}

/** A stub of the service: its metadata and token endpoint, recording what it was sent. */
function stubService() {
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const stub = {
    sent: [] as { url: string; body: string }[],
    /** What the token endpoint answers. */
    token: {
      status: 200,
      body: { access_token: 'at-1', token_type: 'Bearer', expires_in: 900, scope: 'items:read', refresh_token: 'rt-1' },
    } as { status: number; body: unknown },
    metadata: {
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/token`,
      authorization_endpoint: `${ISSUER}/authorize`,
      authorization_response_iss_parameter_supported: true,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      scopes_supported: ['items:read'],
    } as Record<string, unknown>,
    async fetch(request: Request): Promise<Response> {
      stub.sent.push({ url: request.url, body: await request.text() });
      const { pathname } = new URL(request.url);
      if (pathname === '/.well-known/oauth-authorization-server') return json(200, stub.metadata);
      if (pathname === '/token') return json(stub.token.status, stub.token.body);
      return json(404, { type: 'about:blank', title: 'Not Found', status: 404, code: 'not_found' });
    },
  };
  return stub;
}

function setup() {
  const service = stubService();
  const storage = memoryStorage();
  const api = createSpecgateClient({ baseUrl: ISSUER, fetch: service.fetch, clientId: 'spa', signInStorage: storage });
  return { service, storage, api };
}

/** Starts a sign-in and answers the state and verifier it stored. */
async function started(s: ReturnType<typeof setup>, scope = 'items:read') {
  const url = new URL(await s.api.startSignIn({ redirectUri: REDIRECT, scope }));
  const state = url.searchParams.get('state') ?? '';
  const stored = JSON.parse(s.storage.getItem(`specgate.sign-in.${state}`) ?? 'null') as { verifier: string };
  return { url, state, verifier: stored.verifier };
}

const callback = (params: Record<string, string>) => `${REDIRECT}?${new URLSearchParams(params)}`;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('PKCE', () => {
  it('derives the S256 challenge of RFC 7636 Appendix B from its verifier', async () => {
    expect(await s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });
});

describe('startSignIn', () => {
  it('builds the authorization URL from the metadata with a fresh state and the S256 challenge of a stored verifier', async () => {
    const s = setup();
    const { url, state, verifier } = await started(s);
    expect(`${url.origin}${url.pathname}`).toBe(`${ISSUER}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'spa',
      redirect_uri: REDIRECT,
      scope: 'items:read',
      state,
      code_challenge: await s256Challenge(verifier),
      code_challenge_method: 'S256',
    });
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('keeps each sign-in under its own state, so two tabs sharing a storage do not clash', async () => {
    const s = setup();
    const first = await started(s);
    const second = await started(s);
    expect(second.state).not.toBe(first.state);
    expect(second.verifier).not.toBe(first.verifier);
    expect(s.storage.entries.size).toBe(2);

    await s.api.finishSignIn(callback({ code: 'c-2', state: second.state, iss: ISSUER }));
    await s.api.finishSignIn(callback({ code: 'c-1', state: first.state, iss: ISSUER }));
    const exchanges = s.service.sent.filter((r) => r.url.endsWith('/token')).map((r) => new URLSearchParams(r.body));
    expect(exchanges.map((f) => [f.get('code'), f.get('code_verifier')])).toEqual([
      ['c-2', second.verifier],
      ['c-1', first.verifier],
    ]);
    expect(s.storage.entries.size).toBe(0);
  });

  it('asks for the login form with prompt=login', async () => {
    const s = setup();
    const url = new URL(await s.api.startSignIn({ redirectUri: REDIRECT, prompt: 'login' }));
    expect(url.searchParams.get('prompt')).toBe('login');
    expect(url.searchParams.has('scope')).toBe(false);
  });

  it('sweeps away sign-ins that expired without a callback', async () => {
    const s = setup();
    s.storage.setItem('specgate.sign-in.old', JSON.stringify({ verifier: 'v', expiresAt: Date.now() - 1 }));
    s.storage.setItem('unrelated', 'kept');
    await started(s);
    expect([...s.storage.entries.keys()].filter((k) => k.endsWith('.old'))).toEqual([]);
    expect(s.storage.getItem('unrelated')).toBe('kept');
    expect(s.storage.entries.size).toBe(2);
  });

  it('refuses a service whose metadata names no authorization endpoint', async () => {
    const s = setup();
    delete s.service.metadata.authorization_endpoint;
    const err = await rejection(s.api.startSignIn({ redirectUri: REDIRECT }));
    expect(err).toBeInstanceOf(SignInError);
    expect((err as SignInError).code).toBe('unsupported');
    expect(s.storage.entries.size).toBe(0);
  });

  it('needs a storage: without sessionStorage and none given, it says so', async () => {
    const service = stubService();
    const api = createSpecgateClient({ baseUrl: ISSUER, fetch: service.fetch, clientId: 'spa' });
    const err = await rejection(api.startSignIn({ redirectUri: REDIRECT }));
    expect((err as SignInError).code).toBe('no_storage');
  });
});

describe('finishSignIn', () => {
  it('exchanges the code with the verifier and holds the tokens as a login does', async () => {
    const s = setup();
    const { state, verifier } = await started(s);
    const tokens = await s.api.finishSignIn(callback({ code: 'the-code', state, iss: ISSUER }));
    expect(tokens).toMatchObject({ accessToken: 'at-1', refreshToken: 'rt-1', scope: 'items:read' });
    expect(s.api.tokens).toBe(tokens);
    const exchange = s.service.sent.at(-1);
    expect(exchange?.url).toBe(`${ISSUER}/token`);
    expect(Object.fromEntries(new URLSearchParams(exchange?.body))).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_id: 'spa',
    });
    expect(s.storage.entries.size).toBe(0);
  });

  it('refuses a callback whose state answers no sign-in started here, keeping the one under way', async () => {
    const s = setup();
    const { state } = await started(s);
    const forged: Record<string, string>[] = [
      { code: 'c', state: 'forged', iss: ISSUER },
      { code: 'c', iss: ISSUER },
    ];
    for (const params of forged) {
      const err = await rejection(s.api.finishSignIn(callback(params)));
      expect(err).toBeInstanceOf(SignInError);
      expect((err as SignInError).code).toBe('state_mismatch');
    }
    expect(s.storage.getItem(`specgate.sign-in.${state}`)).not.toBeNull();
    expect(s.service.sent.filter((r) => r.url.endsWith('/token'))).toEqual([]);
  });

  it('refuses a callback from another issuer (mix-up, RFC 9207), and clears the verifier', async () => {
    const s = setup();
    const { state } = await started(s);
    const err = await rejection(s.api.finishSignIn(callback({ code: 'c', state, iss: 'https://evil.example' })));
    expect((err as SignInError).code).toBe('issuer_mismatch');
    expect(s.storage.entries.size).toBe(0);
    expect(s.service.sent.filter((r) => r.url.endsWith('/token'))).toEqual([]);
    expect(s.api.tokens).toBeUndefined();
  });

  it('refuses a callback without iss when the metadata says the service sends it, and accepts one when not', async () => {
    const s = setup();
    const { state } = await started(s);
    const err = await rejection(s.api.finishSignIn(callback({ code: 'c', state })));
    expect((err as SignInError).code).toBe('issuer_missing');
    expect(s.storage.entries.size).toBe(0);

    s.service.metadata.authorization_response_iss_parameter_supported = false;
    const legacy = await started(s);
    await s.api.finishSignIn(callback({ code: 'c', state: legacy.state }));
    expect(s.api.tokens?.accessToken).toBe('at-1');
  });

  it('turns an error response into a SpecgateError with its code, after checking its iss', async () => {
    const s = setup();
    const { state } = await started(s);
    const err = await rejection(
      s.api.finishSignIn(
        callback({ error: 'access_denied', error_description: 'The user declined.', state, iss: ISSUER }),
      ),
    );
    expect(err).toBeInstanceOf(SpecgateError);
    expect((err as SpecgateError).code).toBe('access_denied');
    expect((err as SpecgateError).status).toBe(0);
    expect((err as SpecgateError).body).toEqual({ error: 'access_denied', error_description: 'The user declined.' });
    expect(s.storage.entries.size).toBe(0);

    const other = await started(s);
    const mixedUp = await rejection(
      s.api.finishSignIn(callback({ error: 'access_denied', state: other.state, iss: 'https://evil.example' })),
    );
    expect((mixedUp as SignInError).code).toBe('issuer_mismatch');
  });

  it('passes on the token endpoint refusing the code, holding no tokens and keeping no verifier', async () => {
    const s = setup();
    s.service.token = { status: 400, body: { error: 'invalid_grant', error_description: 'The code is not valid.' } };
    const { state } = await started(s);
    const err = await rejection(s.api.finishSignIn(callback({ code: 'c', state, iss: ISSUER })));
    expect((err as SpecgateError).status).toBe(400);
    expect((err as SpecgateError).code).toBe('invalid_grant');
    expect(s.api.tokens).toBeUndefined();
    expect(s.storage.entries.size).toBe(0);
  });

  it('refuses a callback with neither code nor error, and a sign-in that expired', async () => {
    const s = setup();
    const { state } = await started(s);
    const err = await rejection(s.api.finishSignIn(callback({ state, iss: ISSUER })));
    expect((err as SignInError).code).toBe('invalid_callback');
    expect(s.storage.entries.size).toBe(0);

    const late = await started(s);
    const key = `specgate.sign-in.${late.state}`;
    s.storage.setItem(
      key,
      JSON.stringify({ ...JSON.parse(s.storage.getItem(key) ?? '{}'), expiresAt: Date.now() - 1 }),
    );
    const expired = await rejection(s.api.finishSignIn(callback({ code: 'c', state: late.state, iss: ISSUER })));
    expect((expired as SignInError).code).toBe('state_mismatch');
    expect(s.storage.entries.size).toBe(0);
  });
});
