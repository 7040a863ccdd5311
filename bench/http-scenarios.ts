/**
 * bench:http's scenarios, from the servers started: what each one requests, with which headers,
 * and what every answer must be. Each service scenario warms its own server first.
 */
import type { Redis } from 'ioredis';
import { decodeProtectedHeader } from 'jose';
import type { Key, Scenario } from './http-common';
import { get, login, verify } from './http-load';
import type { Server } from './servers';

/** The Redis key the floor serves: the cached item's bytes. */
export const FLOOR_KEY = 'bench:floor:value';

/** What is wrong with a body that should be the item at path `p`, if anything. */
const isItemAt = (body: string, p: string) =>
  (JSON.parse(body) as { id?: string }).id === p.split('/').pop() ? undefined : `body is not the item at ${p}`;

/**
 * Warms the cached item, stores its bytes for the floor to serve, and describes the scenarios of the
 * servers started (`database`: where the services keep their data); returns them with those bytes.
 */
export async function prepareScenarios(
  started: Partial<Record<Key, Server>>,
  client: Redis,
  database: string,
): Promise<{ scenarios: Scenario[]; floorBody: string }> {
  const cachedSvc = started.cached!;
  const cachedAuth = await login(cachedSvc.origin);
  const itemPath = `/v1/items/${cachedSvc.itemIds[0]}`;
  const first = await get(cachedSvc.origin, itemPath, cachedAuth);
  if (first.status !== 200) throw new Error(`GET ${itemPath}: ${first.status} ${first.body}`);
  await client.set(FLOOR_KEY, first.body);
  const common = { status: 200, database, xCache: 'HIT' } as const;
  const scenarios: Scenario[] = [
    {
      key: 'floor',
      label: 'floor (node:http + 1 Redis GET)',
      server: started.floor!,
      paths: [itemPath],
      headers: {},
      status: 200,
      database: '-',
      check: (b) => (b === first.body ? undefined : 'floor body differs'),
    },
    {
      ...common,
      key: 'cached',
      label: 'GET /v1/items/{id} cached',
      server: cachedSvc,
      paths: [itemPath],
      headers: cachedAuth,
      check: isItemAt,
    },
  ];
  if (started.es256) scenarios.push(await es256Scenario(started.es256, database));
  if (started['304']) scenarios.push(await notModifiedScenario(started['304'], database));
  if (started.miss) scenarios.push(await missScenario(started.miss, database));
  if (started.list) scenarios.push(await listScenario(started.list, database));
  if (started.peer)
    scenarios.push(peerScenario(started.peer, { origin: cachedSvc.origin, itemPath, headers: cachedAuth }));
  return { scenarios, floorBody: first.body };
}

/** The cached read on a service whose tokens are signed ES256 (JWT_SIGNING_KEYS_FILE), not HS256. */
async function es256Scenario(server: Server, database: string): Promise<Scenario> {
  const headers = await login(server.origin);
  const { alg } = decodeProtectedHeader(headers.authorization!.replace(/^Bearer /, ''));
  if (alg !== 'ES256') throw new Error(`the es256 service signed its token ${alg}`);
  const itemPath = `/v1/items/${server.itemIds[0]}`;
  const first = await get(server.origin, itemPath, headers);
  if (first.status !== 200) throw new Error(`GET ${itemPath}: ${first.status} ${first.body}`);
  return {
    key: 'es256',
    label: 'GET /v1/items/{id} cached, ES256',
    server,
    database,
    paths: [itemPath],
    headers,
    status: 200,
    xCache: 'HIT',
    check: isItemAt,
  };
}

/** The cached item again, with If-None-Match: the entry's ETag; every answer 304, no body, X-Cache HIT. */
async function notModifiedScenario(server: Server, database: string): Promise<Scenario> {
  const auth = await login(server.origin);
  const itemPath = `/v1/items/${server.itemIds[0]}`;
  const first = await get(server.origin, itemPath, auth);
  if (first.status !== 200 || !first.etag) throw new Error(`GET ${itemPath}: ${first.status}, ETag ${first.etag}`);
  return {
    key: '304',
    label: 'GET /v1/items/{id} 304',
    server,
    database,
    paths: [itemPath],
    headers: { ...auth, 'if-none-match': first.etag },
    status: 304,
    xCache: 'HIT',
    check: (b) => (b === '' ? undefined : '304 with a body'),
  };
}

/**
 * Item reads on the server whose cache never stores, rotating over its items so that concurrent
 * misses never wait on one fill lock.
 */
async function missScenario(server: Server, database: string): Promise<Scenario> {
  const paths = server.itemIds.map((id) => `/v1/items/${id}`);
  return {
    key: 'miss',
    label: 'GET /v1/items/{id} miss',
    server,
    database,
    paths,
    headers: await login(server.origin),
    status: 200,
    xCache: 'MISS',
    check: isItemAt,
  };
}

/** The first page of the item list, cached by one read before the scenario starts. */
async function listScenario(server: Server, database: string): Promise<Scenario> {
  const headers = await login(server.origin);
  await get(server.origin, '/v1/items', headers);
  const check = (b: string) =>
    (JSON.parse(b) as { items?: unknown[] }).items?.length === 20 ? undefined : 'page has not 20 items';
  return {
    key: 'list',
    label: 'GET /v1/items cached',
    server,
    database,
    paths: ['/v1/items'],
    headers,
    status: 200,
    xCache: 'HIT',
    check,
  };
}

/**
 * The cached scenario's request (same item, same token) to the peer, which answers from the entry the
 * cached service stored. The entry lives 300 s (x-cache ttl), so before each of the peer's runs one
 * request to the cached service refills it if it has expired.
 */
function peerScenario(
  server: Server,
  cached: { origin: string; itemPath: string; headers: Record<string, string> },
): Scenario {
  return {
    key: 'peer',
    label: 'peer: fastify + glue, cached',
    server,
    database: '-',
    paths: [cached.itemPath],
    headers: cached.headers,
    status: 200,
    xCache: 'HIT',
    check: isItemAt,
    refresh: async () => {
      const res = await get(cached.origin, cached.itemPath, cached.headers);
      if (res.status !== 200) throw new Error(`refreshing the peer's entry: ${res.status}`);
    },
  };
}

/** Fails unless every scenario answers as it should before any load runs; misses must stay misses when repeated. */
export async function verifyScenarios(scenarios: Scenario[]): Promise<void> {
  for (const s of scenarios) {
    const problems = await verify(s, 24, 'before');
    if (s.key === 'miss')
      problems.push(...(await verify({ ...s, paths: s.paths.slice(0, 4).flatMap((p) => [p, p]) }, 8, 'repeat')));
    if (problems.length) throw new Error(`${s.label}: ${problems.join('; ')}`);
  }
}
