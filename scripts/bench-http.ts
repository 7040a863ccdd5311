/**
 * `npm run bench:http`: the cached, authenticated read over real HTTP, as a ratio to a floor server
 * measured in the same run. The target: 0.5x the floor or better (requests per second), its p99
 * within 3x the floor's.
 *
 * One private redis-server, and each server in its own child process (scripts/bench/*-server.ts,
 * run as `node -r tsx/cjs`), so the load generator never shares an event loop with a server:
 *  1. floor: bare node:http answering every request with one ioredis GET of a ~300-byte JSON
 *     string (the bytes of a real cached item response) from the same redis-server;
 *  2. GET /v1/items/{id}, cached: the service (createApp on node:http, production-like settings)
 *     with `Authorization: Bearer <token>` from a real password-grant login; one warm entry;
 *  3. GET /v1/items/{id}, misses forced: a second service instance whose cache connection never
 *     stores entries (scripts/bench/no-store-cache-redis.ts), requests rotating over
 *     BENCH_HTTP_MISS_ITEMS (2,000) items so concurrent misses never wait on one fill lock;
 *  4. GET /v1/items, cached (the first page, 20 items).
 * Before each measurement a sample of requests is checked (status 200, X-Cache HIT / MISS, body);
 * after it, another sample, and the run must have no non-2xx answers or socket errors (else exit 1).
 * Each server counts the X-Cache of every response it writes ("X-Cache in run": a BYPASS there is a
 * cache command that exceeded CACHE_TIMEOUT_MS under load), and fill locks still in Redis once all
 * requests were answered are reported (a lock whose SET outlived its timeout is held by nobody).
 * Besides req/s and latency, each row has the server's CPU time per request (process CPU from /proc,
 * all threads) and its ratio to the floor's: that ratio does not depend on which of load generator
 * and server saturates first.
 * The same load generator and settings for all four, one after another: wrk if on PATH
 * (-t1 -c32), else autocannon; a warm-up run, then the measured run.
 *
 * Environment (all optional):
 *   BENCH_HTTP_DURATION=8     measured seconds per scenario
 *   BENCH_HTTP_WARMUP=2       warm-up seconds per scenario (not measured)
 *   BENCH_HTTP_CONNECTIONS=32
 *   BENCH_HTTP_LOADGEN=auto   auto | wrk | autocannon
 *   BENCH_HTTP_MISS_ITEMS=2000
 *   BENCH_HTTP_NODE_ENV=production   NODE_ENV of the service processes
 *   BENCH_HTTP_PROFILE=       floor | cached | miss | list: CPU-profile that server during its
 *                             measured run (V8 sampling profiler via node:inspector) and print the
 *                             top self-time functions (its figures then include profiler overhead)
 *   BENCH_HTTP_PROFILE_DIR=   keep the .cpuprofile there (open it in Chrome DevTools / speedscope)
 *   BENCH_HTTP_ONLY=          comma-separated subset of floor,cached,miss,list (floor always runs)
 *
 * Absolute figures move by up to 2x between runs on a shared machine; compare the ratios.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../test/support/redis-server';
import { cpuTimeMs, installCleanupHooks, PROFILE_SAVED, startChild, stopAllChildren, type ServerChild } from './bench/children';
import { summariseProfile } from './bench/cpuprofile-summary';
import { pickLoadGenerator, type LoadGenerator, type LoadResult } from './bench/load';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const DURATION = num('BENCH_HTTP_DURATION', 8);
const WARMUP = num('BENCH_HTTP_WARMUP', 2);
const CONNECTIONS = num('BENCH_HTTP_CONNECTIONS', 32);
const MISS_ITEMS = num('BENCH_HTTP_MISS_ITEMS', 2000);
const NODE_ENV = process.env.BENCH_HTTP_NODE_ENV ?? 'production';
const PROFILE = process.env.BENCH_HTTP_PROFILE ?? '';
const ONLY = new Set((process.env.BENCH_HTTP_ONLY ?? 'floor,cached,miss,list').split(',').map((s) => s.trim()).concat('floor'));

// Throwaway credentials for the processes this bench starts and stops: made fresh every run.
const redisAuth = randomBytes(18).toString('base64url');
const jwtKey = randomBytes(48).toString('base64url');
const USERNAME = 'bench';
const PASSWORD = randomBytes(18).toString('base64url');
const FLOOR_KEY = 'bench:floor:value';

const HERE = __dirname;
const script = (name: string) => path.join(HERE, 'bench', name);

interface ServiceInfo {
  port: number;
  pid: number;
  cacheMode: string;
  nodeEnv: string;
  itemIds: string[];
}
interface FloorInfo {
  port: number;
  pid: number;
}

type Expect = { status: number; xCache?: 'HIT' | 'MISS'; check?: (body: string) => string | undefined };

interface Scenario {
  key: 'floor' | 'cached' | 'miss' | 'list';
  label: string;
  server: ServerChild<{ port: number; pid: number }>;
  paths: string[];
  headers: Record<string, string>;
  expect: Expect;
}

interface Measured {
  scenario: Scenario;
  load: LoadResult;
  serverCpuMs: number | undefined;
  redisCpuMs: number | undefined;
  /** X-Cache of every response the server wrote during the measured run. */
  xCache: Record<string, number>;
  /** Fill locks still in Redis once the run's requests had all been answered. */
  orphanLocks: number;
  problems: string[];
  warnings: string[];
}

async function main(): Promise<void> {
  let redisServer: RedisServer | undefined;
  let redis: Redis | undefined;
  if (PROFILE && !(['floor', 'cached', 'miss', 'list'].includes(PROFILE) && ONLY.has(PROFILE))) {
    throw new Error(`BENCH_HTTP_PROFILE=${PROFILE}: name one of the scenarios this run measures (floor, cached, miss, list)`);
  }
  const keepProfile = process.env.BENCH_HTTP_PROFILE_DIR;
  const profileDir = PROFILE ? (keepProfile ? path.resolve(keepProfile) : mkdtempSync(path.join(os.tmpdir(), 'specgate-bench-prof-'))) : undefined;
  if (keepProfile) mkdirSync(keepProfile, { recursive: true });
  const cleanup = async () => {
    await stopAllChildren();
    redis?.disconnect();
    await redisServer?.stop();
  };
  installCleanupHooks(cleanup);
  const t0 = Date.now();
  try {
    const loadgen = pickLoadGenerator(process.env.BENCH_HTTP_LOADGEN ?? 'auto');
    redisServer = await startRedis({ password: redisAuth });
    redis = new Redis({ host: redisServer.host, port: redisServer.port, password: redisAuth, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();

    const redisEnv = { BENCH_REDIS_URL: redisServer.url, BENCH_REDIS_AUTH: redisAuth };
    const serviceEnv = (mode: string, items: number) => ({
      ...redisEnv,
      NODE_ENV,
      BENCH_JWT_KEY: jwtKey,
      BENCH_USERNAME: USERNAME,
      BENCH_PASSWORD: PASSWORD,
      BENCH_CACHE_MODE: mode,
      BENCH_ITEMS: String(items),
    });
    // Started together (start-up is mostly module loading and the database); measured one at a time.
    const [floor, cachedSvc, missSvc] = await Promise.all([
      startChild<FloorInfo>('floor', script('http-floor-server.ts'), { env: { ...redisEnv, BENCH_FLOOR_KEY: FLOOR_KEY } }),
      startChild<ServiceInfo>('service', script('http-service-server.ts'), { env: serviceEnv('store', 100) }),
      ONLY.has('miss') ? startChild<ServiceInfo>('service-no-store', script('http-service-server.ts'), { env: serviceEnv('no-store', MISS_ITEMS) }) : undefined,
    ]);
    const origin = (c: ServerChild<{ port: number }>) => `http://127.0.0.1:${c.info.port}`;
    const startedIn = Date.now() - t0;

    // Real password-grant logins (production argon2id cost), one per instance.
    const auth = async (svc: ServerChild<ServiceInfo>) => ({ authorization: `Bearer ${await login(origin(svc))}` });
    const cachedAuth = await auth(cachedSvc);
    const missAuth = missSvc ? await auth(missSvc) : undefined;

    // The cached entries, warmed; the floor serves the bytes of the cached item.
    const itemPath = `/v1/items/${cachedSvc.info.itemIds[0]}`;
    const first = await get(origin(cachedSvc), itemPath, cachedAuth);
    if (first.status !== 200) throw new Error(`GET ${itemPath}: ${first.status} ${first.body}`);
    await get(origin(cachedSvc), '/v1/items', cachedAuth);
    await redis.set(FLOOR_KEY, first.body);

    const isItem = (body: string) => {
      const item = JSON.parse(body) as { id?: string };
      return item.id === cachedSvc.info.itemIds[0] ? undefined : `body is not item ${cachedSvc.info.itemIds[0]}`;
    };
    const scenarios: Scenario[] = [
      {
        key: 'floor',
        label: 'floor (node:http + 1 Redis GET)',
        server: floor,
        paths: [itemPath],
        headers: {},
        expect: { status: 200, check: (b) => (b === first.body ? undefined : 'floor body differs from the stored value') },
      },
      { key: 'cached', label: 'GET /v1/items/{id} cached', server: cachedSvc, paths: [itemPath], headers: cachedAuth, expect: { status: 200, xCache: 'HIT', check: isItem } },
    ];
    if (missSvc && missAuth) {
      scenarios.push({
        key: 'miss',
        label: 'GET /v1/items/{id} miss forced',
        server: missSvc,
        paths: missSvc.info.itemIds.map((id) => `/v1/items/${id}`),
        headers: missAuth,
        expect: { status: 200, xCache: 'MISS' },
      });
    }
    scenarios.push({
      key: 'list',
      label: 'GET /v1/items cached',
      server: cachedSvc,
      paths: ['/v1/items'],
      headers: cachedAuth,
      expect: {
        status: 200,
        xCache: 'HIT',
        check: (b) => {
          const n = (JSON.parse(b) as { items?: unknown[] }).items?.length;
          return n === 20 ? undefined : `page has ${n} items, not 20`;
        },
      },
    });
    const selected = scenarios.filter((s) => ONLY.has(s.key));

    // Every scenario is checked before any load runs.
    for (const s of selected) {
      const problems = await verify(s, 24, 'before');
      // Misses must stay misses: the same item twice in a row is still a MISS when nothing is stored.
      if (s.key === 'miss') problems.push(...(await verify({ ...s, paths: s.paths.slice(0, 4).flatMap((p) => [p, p]) }, 8, 'repeat')));
      if (problems.length) throw new Error(`${s.label}: ${problems.join('; ')}`);
    }

    const results: Measured[] = [];
    for (const s of selected) results.push(await measure(s, loadgen, redis, profileDir));

    print(results, loadgen, {
      startedInMs: startedIn,
      floorBytes: Buffer.byteLength(first.body),
      missItems: missSvc?.info.itemIds.length,
      nodeEnv: cachedSvc.info.nodeEnv,
      totalS: (Date.now() - t0) / 1e3,
    });
    if (profileDir) {
      const file = path.join(profileDir, `${PROFILE}.cpuprofile`);
      const profiled = results.find((r) => r.scenario.key === PROFILE);
      if (!profiled) throw new Error(`BENCH_HTTP_PROFILE=${PROFILE}: no such scenario in this run (floor, cached, miss, list)`);
      process.stdout.write(`\n${profiled.scenario.label}, profiled:\n${summariseProfile(file, 25, profiled.load.requests)}\n${keepProfile ? `(profile kept: ${file})\n` : ''}`);
    }
    if (results.some((r) => r.problems.length)) process.exitCode = 1;
  } finally {
    await cleanup();
    if (profileDir && !keepProfile) rmSync(profileDir, { recursive: true, force: true });
  }
}

async function measure(s: Scenario, loadgen: LoadGenerator, redis: Redis, profileDir: string | undefined): Promise<Measured> {
  const spec = { origin: `http://127.0.0.1:${s.server.info.port}`, paths: s.paths, headers: s.headers, connections: CONNECTIONS };
  await loadgen.run({ ...spec, durationSec: WARMUP });
  const profiling = profileDir !== undefined && PROFILE === s.key;
  if (profiling) s.server.send('profile:start');
  const stats0 = await s.server.stats();
  const cpu0 = cpuTimeMs(s.server.pid);
  const redis0 = await redisCpuMs(redis);
  const load = await loadgen.run({ ...spec, durationSec: DURATION });
  const cpu1 = cpuTimeMs(s.server.pid);
  const redis1 = await redisCpuMs(redis);
  // The load generator stops with requests still in flight: wait until the server has answered
  // them (its count stops moving), and for the fire-and-forget unlocks, before looking for locks.
  let stats1 = await s.server.stats();
  for (let i = 0; i < 60; i++) {
    await sleep(50);
    const again = await s.server.stats();
    const settled = total(again.status) === total(stats1.status);
    stats1 = again;
    if (settled) break;
  }
  await sleep(200);
  const orphanLocks = await countKeys(redis, 'cache:*:lock');
  if (profiling) {
    const saved = s.server.waitForLine(PROFILE_SAVED, 30_000);
    s.server.send(`profile:stop ${path.join(profileDir, `${s.key}.cpuprofile`)}`);
    await saved;
  }
  const problems: string[] = [];
  if (load.non2xx) problems.push(`${load.non2xx} non-2xx answers`);
  if (load.errors) problems.push(`${load.errors} socket errors/timeouts`);
  problems.push(...(await verify(s, 8, 'after')));
  const xCache: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats1.xCache)) if (v - (stats0.xCache[k] ?? 0) > 0) xCache[k] = v - (stats0.xCache[k] ?? 0);
  const warnings: string[] = [];
  const answered = Object.values(xCache).reduce((a, b) => a + b, 0);
  if (s.expect.xCache && (xCache[s.expect.xCache] ?? 0) < 0.99 * answered) {
    warnings.push(`only ${fmtShare(xCache[s.expect.xCache] ?? 0, answered)} of the answers during the run were X-Cache ${s.expect.xCache} (${outcomeMix(xCache)})`);
  }
  if (orphanLocks > 0) warnings.push(`${orphanLocks} fill lock(s) left in Redis after every request was answered (held by nobody until their TTL)`);
  return {
    scenario: s,
    load,
    serverCpuMs: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
    redisCpuMs: redis0 !== undefined && redis1 !== undefined ? redis1 - redis0 : undefined,
    xCache,
    orphanLocks,
    problems,
    warnings,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const total = (counts: Record<string, number>) => Object.values(counts).reduce((x, y) => x + y, 0);

const fmtShare = (n: number, total: number) => `${total ? ((100 * n) / total).toFixed(n === total ? 0 : 1) : '0'}%`;

/** e.g. "HIT 100%" or "MISS 92.3% BYPASS 7.7%"; "-" when the server sends no X-Cache. */
function outcomeMix(xCache: Record<string, number>): string {
  const total = Object.values(xCache).reduce((a, b) => a + b, 0);
  const parts = Object.entries(xCache)
    .filter(([k]) => k !== '(none)')
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmtShare(v, total)}`);
  return parts.length ? parts.join(' ') : '-';
}

async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

/** Sends `n` requests over the scenario's paths, one at a time; returns what did not match. */
async function verify(s: Scenario, n: number, when: string): Promise<string[]> {
  const origin = `http://127.0.0.1:${s.server.info.port}`;
  const problems = new Set<string>();
  for (let i = 0; i < n; i++) {
    const p = s.paths[Math.floor((i * s.paths.length) / n)]!;
    const res = await get(origin, p, s.headers);
    if (res.status !== s.expect.status) problems.add(`${when}: GET ${p} answered ${res.status}, expected ${s.expect.status}`);
    if (s.expect.xCache && res.xCache !== s.expect.xCache) problems.add(`${when}: X-Cache ${res.xCache ?? '(none)'}, expected ${s.expect.xCache}`);
    const bad = res.status === 200 ? s.expect.check?.(res.body) : undefined;
    if (bad) problems.add(`${when}: ${bad}`);
  }
  return [...problems];
}

async function get(origin: string, p: string, headers: Record<string, string>): Promise<{ status: number; xCache: string | undefined; body: string }> {
  const res = await fetch(`${origin}${p}`, { headers });
  return { status: res.status, xCache: res.headers.get('x-cache') ?? undefined, body: await res.text() };
}

async function login(origin: string): Promise<string> {
  const res = await fetch(`${origin}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: USERNAME, password: PASSWORD, scope: 'items:read' }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** used_cpu_user + used_cpu_sys of the redis-server, in ms. */
async function redisCpuMs(redis: Redis): Promise<number | undefined> {
  try {
    const info = await redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
    const v = (field('used_cpu_user') + field('used_cpu_sys')) * 1e3;
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function print(
  results: Measured[],
  loadgen: LoadGenerator,
  meta: { startedInMs: number; floorBytes: number; missItems: number | undefined; nodeEnv: string; totalS: number },
): void {
  const floor = results.find((r) => r.scenario.key === 'floor')!;
  const fmtInt = (v: number) => Math.round(v).toLocaleString('en-US');
  const perReq = (ms: number | undefined, reqs: number) => (ms === undefined || reqs === 0 ? '-' : fmtInt((ms * 1e3) / reqs));
  const cpuPerReq = (r: Measured) => (r.serverCpuMs === undefined || !r.load.requests ? undefined : (r.serverCpuMs * 1e3) / r.load.requests);
  const floorCpu = cpuPerReq(floor);
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'ratio to floor', 'server CPU µs/req', 'CPU ratio', 'redis CPU µs/req', 'loadgen CPU %', 'X-Cache in run'];
  const rows = results.map((r) => [
    r.scenario.label,
    fmtInt(r.load.rps),
    r.load.p50Ms.toFixed(2),
    r.load.p99Ms.toFixed(2),
    (r.load.rps / floor.load.rps).toFixed(2),
    perReq(r.serverCpuMs, r.load.requests),
    floorCpu && cpuPerReq(r) ? (floorCpu / cpuPerReq(r)!).toFixed(2) : '-',
    perReq(r.redisCpuMs, r.load.requests),
    r.load.cpuMs === undefined ? '-' : `${Math.round((100 * r.load.cpuMs) / 1e3 / r.load.durationSec)}`,
    outcomeMix(r.xCache),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ').trimEnd();
  const cpus = os.cpus();
  const out = [
    '',
    `bench:http  node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'} (${cpus.length} logical CPUs), ${os.platform()} ${os.release()}`,
    `load generator: ${loadgen.name}; ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s measured per scenario, one after another`,
    `servers: one child process each (node -r tsx/cjs), service NODE_ENV=${meta.nodeEnv}, validateResponses off, log silent; one private redis-server`,
    `floor value: ${meta.floorBytes} bytes (the cached item's JSON). Miss forced: cache connection drops entry SETs (no-store wrapper) and requests rotate over ${meta.missItems ?? '-'} items`,
    '',
    line(header),
    ...rows.map(line),
    '',
  ];
  for (const r of results) {
    out.push(`  ${r.scenario.label}: ${fmtInt(r.load.requests)} requests in ${r.load.durationSec.toFixed(1)} s${r.problems.length ? `; PROBLEMS: ${r.problems.join('; ')}` : ', all checks passed'}`);
    for (const w of r.warnings) out.push(`    WARNING: ${w}`);
  }
  out.push(
    '',
    'CPU ratio = floor server CPU µs/req ÷ this server\'s (process CPU incl. threads, /proc): independent of whether the load generator or the server saturates first.',
  );
  const cached = results.find((r) => r.scenario.key === 'cached');
  if (cached) {
    const ratio = cached.load.rps / floor.load.rps;
    out.push('', `cached authenticated read: ${ratio.toFixed(2)}x the floor (target >= 0.5x in the same run): ${ratio >= 0.5 ? 'on target' : 'BELOW target'}`);
  }
  out.push(`(servers ready ${(meta.startedInMs / 1e3).toFixed(1)} s after start; whole run ${meta.totalS.toFixed(1)} s)`, '');
  process.stdout.write(out.join('\n'));
}

main().catch((err) => {
  process.stderr.write(`bench:http failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
