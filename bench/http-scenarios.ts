/**
 * bench:http's scenarios, from the servers started: what each one requests, with which headers,
 * and what every answer must be. Each service scenario warms its own server first.
 */
import type { Redis } from 'ioredis';
import { decodeProtectedHeader } from 'jose';
import type { Key, Scenario } from './http-common';
import { get, login, verify } from './http-load';
import { isItemAt, readerScenario } from './http-readers';
import type { Server } from './servers';

/** The Redis key the floor serves: the cached item's bytes. */
export const FLOOR_KEY = 'bench:floor:value';

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
  for (const key of ['traced10', 'tracedAll'] as const) {
    const server = started[key];
    if (server) scenarios.push(await cachedReadScenario(key, TRACED_LABELS[key], server, database));
  }
  if (started.es256) scenarios.push(await es256Scenario(started.es256, database));
  if (started['304']) scenarios.push(await notModifiedScenario(started['304'], database));
  if (started.miss) scenarios.push(await missScenario(started.miss, database));
  if (started.list) scenarios.push(await listScenario(started.list, database));
  if (started.sessions) scenarios.push(await sessionsScenario(started.sessions, database));
  const cachedRead = { origin: cachedSvc.origin, itemPath, headers: cachedAuth };
  if (started.peer) scenarios.push(readerScenario('peer', started.peer, cachedRead));
  if (started.ideal) scenarios.push(readerScenario('ideal', started.ideal, cachedRead));
  return { scenarios, floorBody: first.body };
}

const TRACED_LABELS = {
  traced10: 'GET /v1/items/{id} cached, traced 10%',
  tracedAll: 'GET /v1/items/{id} cached, traced all',
} as const;

/**
 * The cached scenario's read on another service (a traced one; bench:ab's two trees): its own
 * login and item, warmed once, so every measured answer is a HIT as the cached scenario's.
 */
export async function cachedReadScenario(key: Key, label: string, server: Server, database: string): Promise<Scenario> {
  const headers = await login(server.origin);
  const itemPath = `/v1/items/${server.itemIds[0]}`;
  const first = await get(server.origin, itemPath, headers);
  if (first.status !== 200) throw new Error(`GET ${itemPath}: ${first.status} ${first.body}`);
  return {
    key,
    label,
    server,
    database,
    paths: [itemPath],
    headers,
    status: 200,
    xCache: 'HIT',
    check: isItemAt,
  };
}

/** The cached read on a service whose tokens are signed ES256 (JWT_SIGNING_KEYS_FILE), not HS256. */
async function es256Scenario(server: Server, database: string): Promise<Scenario> {
  const scenario = await cachedReadScenario('es256', 'GET /v1/items/{id} cached, ES256', server, database);
  const { alg } = decodeProtectedHeader(scenario.headers.authorization!.replace(/^Bearer /, ''));
  if (alg !== 'ES256') throw new Error(`the es256 service signed its token ${alg}`);
  return scenario;
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
 * The cached item on the server that logged in its BENCH_SESSIONS users: each request carries the
 * next user's token, so the verified-token memo and the session reads see as many tokens as users.
 */
async function sessionsScenario(server: Server, database: string): Promise<Scenario> {
  if (server.tokens.length === 0) throw new Error('the sessions server opened no sessions');
  const headerSets = server.tokens.map((t) => ({ authorization: `Bearer ${t}` }));
  const itemPath = `/v1/items/${server.itemIds[0]}`;
  const first = await get(server.origin, itemPath, headerSets[0]!);
  if (first.status !== 200) throw new Error(`GET ${itemPath}: ${first.status} ${first.body}`);
  return {
    key: 'sessions',
    label: `GET /v1/items/{id} cached, ${server.tokens.length} users`,
    server,
    database,
    paths: [itemPath],
    headers: {},
    headerSets,
    status: 200,
    xCache: 'HIT',
    check: isItemAt,
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
