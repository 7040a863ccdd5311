/**
 * Shared set-up for the items tests: the real app (startTestApp), a contract-checking client, a
 * writer (items:read items:write) and a few request helpers.
 */

import { openDatabase } from '../../../src/store/database';
import { migrate } from '../../../src/store/migrate';
import { startTestApp, type TestApp } from '../../support/app';
import { client, type TestResponse } from '../../support/contract';
import { testDatabaseUrl, uniqueSchemaName } from '../../support/database';

export interface ItemsContext {
  t: TestApp;
  api: ReturnType<typeof client>;
  /** Access token with items:read items:write. */
  writer: string;
}

/**
 * The app on PGlite; with TEST_ITEMS_ON_POSTGRES=1, on TEST_DATABASE_URL in a schema of its own
 * (dropped by `t.stop()`): .ci/run sets both to run the items API tests through PgBouncer.
 */
export async function startItemsApp(): Promise<ItemsContext> {
  const url = testDatabaseUrl();
  const onPostgres = process.env.TEST_ITEMS_ON_POSTGRES === '1' && url !== undefined;
  const schema = onPostgres ? uniqueSchemaName() : undefined;
  const db = onPostgres ? await openDatabase({ url, schema }) : undefined;
  if (db) await migrate(db);
  const t = await startTestApp({ db });
  if (db) {
    const stopApp = t.stop;
    t.stop = async () => {
      await stopApp();
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.close();
    };
  }
  const api = client(t.url);
  await t.createUser('item-writer', 'item-writer-password', ['items:read', 'items:write']);
  const writer = await api.login('item-writer', 'item-writer-password');
  return { t, api, writer };
}

/** A valid ItemInput, with overrides. */
export function sample(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'Espresso cup', category: 'kitchen', price_cents: 1250, ...overrides };
}

const ifMatchHeader = (ifMatch: string | undefined): Record<string, string> =>
  ifMatch === undefined ? {} : { 'if-match': ifMatch };

/** Request helpers bound to a context (token defaults to the writer's). */
export function itemsApi({ api, writer }: ItemsContext) {
  return {
    create: (json: unknown, token = writer): Promise<TestResponse> => api.post('/v1/items', { token, json }),
    get: (id: string, token = writer): Promise<TestResponse> => api.get(`/v1/items/${id}`, { token }),
    put: (id: string, json: unknown, ifMatch?: string, token = writer): Promise<TestResponse> =>
      api.request('PUT', `/v1/items/${id}`, { token, json, headers: ifMatchHeader(ifMatch) }),
    patch: (id: string, json: unknown, ifMatch?: string, token = writer): Promise<TestResponse> =>
      api.request('PATCH', `/v1/items/${id}`, {
        token,
        json,
        headers: { 'content-type': 'application/merge-patch+json', ...ifMatchHeader(ifMatch) },
      }),
    del: (id: string, ifMatch?: string, token = writer): Promise<TestResponse> =>
      api.request('DELETE', `/v1/items/${id}`, { token, headers: ifMatchHeader(ifMatch) }),
    list: (query = '', token = writer): Promise<TestResponse> =>
      api.get(`/v1/items${query ? `?${query}` : ''}`, { token }),
    categories: (token = writer): Promise<TestResponse> => api.get('/v1/categories', { token }),
    /** Creates an item and returns its body. */
    async make(overrides: Record<string, unknown> = {}): Promise<any> {
      const res = await api.post('/v1/items', { token: writer, json: sample(overrides) });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
      return res.body;
    },
  };
}

/** The pointers of a 400's violations, sorted. */
export const pointers = (res: TestResponse): string[] =>
  (res.body.errors as { pointer: string }[]).map((e) => e.pointer).sort();

export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
