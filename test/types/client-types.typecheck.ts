/**
 * Compile-time proofs for the typed client (`specgate/client`), checked by `npm run typecheck`:
 * paths, path parameters and bodies come from the generated document types, so these mistakes do
 * not compile. Each `@ts-expect-error` fails the type check if the line below it ever compiles.
 * Never run: the functions are only declared to be type-checked.
 */
import {
  createSpecgateClient,
  type Item,
  isOAuthError,
  isProblem,
  type OAuthError,
  type Problem,
  SpecgateError,
} from 'specgate/client';

const api = createSpecgateClient({ baseUrl: 'http://localhost:3000' });
const itemId = '3f1c7a4e-2b8d-4c1e-9a57-6d0e8b2f4a91';

export async function wrongBodies() {
  // @ts-expect-error price_cents is a number, not a string
  await api.POST('/v1/items', { body: { name: 'Cup', category: 'kitchen', price_cents: '1250' } });
  // @ts-expect-error name is required by ItemInput
  await api.POST('/v1/items', { body: { category: 'kitchen', price_cents: 1250 } });
  // @ts-expect-error createItem needs a body
  await api.POST('/v1/items', {});
  // @ts-expect-error a merge patch field of the wrong type
  await api.PATCH('/v1/items/{itemId}', { params: { path: { itemId } }, body: { tags: 'sale' } });
  const numericTags = { name: 'Cup', category: 'kitchen', price_cents: 1, tags: [1] };
  // @ts-expect-error a wrong type in a full replacement
  await api.PUT('/v1/items/{itemId}', { params: { path: { itemId } }, body: numericTags });
}

export async function wrongPathParameters() {
  // @ts-expect-error itemId is a string (uuid), not a number
  await api.GET('/v1/items/{itemId}', { params: { path: { itemId: 42 } } });
  // @ts-expect-error the path parameter is missing
  await api.GET('/v1/items/{itemId}', { params: { path: {} } });
  // @ts-expect-error the params are missing altogether
  await api.GET('/v1/items/{itemId}');
}

export async function wrongPathsAndMethods() {
  // @ts-expect-error a path the document does not have
  await api.GET('/v1/itemz', {});
  // @ts-expect-error a concrete URL instead of the templated path
  await api.GET(`/v1/items/${itemId}`, {});
  // @ts-expect-error a method the path does not have
  await api.DELETE('/v1/items', {});
  // @ts-expect-error a query parameter of the wrong type
  await api.GET('/v1/items', { params: { query: { limit: 'ten' } } });
}

export async function typedUses() {
  const created = await api.POST('/v1/items', {
    body: { name: 'Cup', category: 'kitchen', price_cents: 1250, tags: ['coffee'] },
  });
  if (created.data) {
    const item: Item = created.data;
    const version: number = item.version;
    // @ts-expect-error the response is an Item: no such member
    void created.data.colour;
    void version;
  } else {
    // The error of createItem is the documented problem document.
    const problem: Problem = created.error;
    const code: string = problem.code;
    void code;
  }

  const page = await api.GET('/v1/items', { params: { query: { category: 'kitchen', limit: 10 } } });
  if (page.data) {
    const names: (string | undefined)[] = page.data.items.map((i) => i.name);
    const next: string | null = page.data.next_cursor;
    void names;
    void next;
  }

  const etag = created.response.headers.get('etag') ?? '*';
  const patched = await api.PATCH('/v1/items/{itemId}', {
    params: { path: { itemId }, header: { 'If-Match': etag } },
    body: { price_cents: 990, description: null },
  });
  if (patched.error) {
    // @ts-expect-error a problem document, not an OAuth error
    void patched.error.error_description;
  }

  // The token endpoint's errors are OAuth errors.
  const token = await api.POST('/token', {
    body: { grant_type: 'password', username: 'a', password: 'b' },
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  if (token.error) {
    const oauth: OAuthError = token.error;
    void oauth;
  }

  try {
    await api.login('alice', 'secret');
  } catch (e) {
    // The guards narrow unknown values.
    if (e instanceof SpecgateError && isOAuthError(e.body)) {
      const grant: 'invalid_grant' | string = e.body.error;
      void grant;
    }
    if (isProblem(e)) {
      const status: number = e.status;
      void status;
    }
  }
}
