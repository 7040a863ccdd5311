/**
 * `npm run bench:http`: the cached, authenticated read over real HTTP, as a ratio to a floor server
 * measured in the same run (the project's performance target: 0.5x the floor or better).
 * Scenarios, each on a server process of its own (server.ts): floor (node:http + 1 Redis GET of the
 * cached item's bytes), cached GET /v1/items/{id}, the same with misses forced, cached GET /v1/items.
 * BENCH_HTTP_ROUNDS rounds, each measuring every scenario once with autocannon (floor first in odd
 * rounds, last in even ones); each round's ratios are to that round's floor, and the table has
 * their medians. Method, knobs and how to read the table: bench/README.md.
 */
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { cpuTimeUs, PASSWORD, type Server, startBenchRedis, startServer, USERNAME } from './servers';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!(v > 0)) throw new Error(`${name} must be a positive number`);
  return v;
};
const ROUNDS = num('BENCH_HTTP_ROUNDS', 3);
const DURATION = num('BENCH_HTTP_DURATION', 8);
const WARMUP = num('BENCH_HTTP_WARMUP', 2);
const CONNECTIONS = num('BENCH_HTTP_CONNECTIONS', 32);
const MISS_ITEMS = num('BENCH_HTTP_MISS_ITEMS', 2000);
const NODE_ENV = process.env.BENCH_HTTP_NODE_ENV ?? 'production';
const PROFILE = process.env.BENCH_HTTP_PROFILE ?? '';
const KEYS = ['floor', 'cached', 'miss', 'list'] as const;
type Key = (typeof KEYS)[number];
const ONLY = new Set([
  ...(process.env.BENCH_HTTP_ONLY ?? KEYS.join(',')).split(',').map((s) => s.trim()),
  'floor',
  'cached',
]);
const FLOOR_KEY = 'bench:floor:value';

interface Scenario {
  key: Key;
  label: string;
  server: Server;
  /** One path, or several that successive requests rotate through. */
  paths: string[];
  headers: Record<string, string>;
  xCache?: 'HIT' | 'MISS';
  /** What is wrong with a 200 body for `path`, if anything. */
  check: (body: string, path: string) => string | undefined;
}

interface Run {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  /** Server process CPU (all threads) per request, µs. */
  cpuUs: number;
  loadgenPct: number;
  /** X-Cache of every response the server wrote during the measured run. */
  xCache: Record<string, number>;
  problems: string[];
  warnings: string[];
}

async function main(): Promise<void> {
  checkScenarioNames();
  const profileDir = profileDirectory();
  process.once('SIGINT', () => process.exit(130)); // runs the exit hooks that stop the servers and Redis

  const t0 = Date.now();
  const redis = await startBenchRedis();
  const client = new Redis({ host: redis.server.host, port: redis.server.port, password: redis.server.password });
  const servers: Server[] = [];
  let profiledPid = 0;
  try {
    const started = await startServers(redis.env, profileDir, servers);
    profiledPid = started.profiledPid;
    const startedIn = Date.now() - t0;
    const { scenarios, floorBody } = await prepareScenarios(started.byKey, client);
    await verifyScenarios(scenarios);
    const runs = await measureRounds(scenarios, client);
    report(scenarios, runs, { startedIn, floorBytes: Buffer.byteLength(floorBody), totalS: (Date.now() - t0) / 1e3 });
    if ([...runs.values()].some((rs) => rs.some((r) => r.problems.length))) process.exitCode = 1;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    client.disconnect();
    await redis.server.stop();
  }
  if (profileDir) printProfiles(profileDir, profiledPid);
}

/** Fails when BENCH_HTTP_ONLY names an unknown scenario or BENCH_HTTP_PROFILE one this run does not measure. */
function checkScenarioNames(): void {
  for (const k of ONLY)
    if (!(KEYS as readonly string[]).includes(k))
      throw new Error(`BENCH_HTTP_ONLY: unknown scenario ${k} (${KEYS.join(', ')})`);
  if (PROFILE && !ONLY.has(PROFILE))
    throw new Error(`BENCH_HTTP_PROFILE=${PROFILE}: name a scenario this run measures`);
}

/** The directory (created) the profiled server writes its CPU profile to; undefined when nothing is profiled. */
function profileDirectory(): string | undefined {
  const profileDir = PROFILE
    ? path.resolve(process.env.BENCH_HTTP_PROFILE_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'specgate-bench-prof-')))
    : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  return profileDir;
}

/**
 * Starts a server for each scenario this run measures, all at once. Each joins `servers` as soon as
 * it is up, so the caller stops it even when another one fails to start.
 */
async function startServers(
  redisEnv: Record<string, string>,
  profileDir: string | undefined,
  servers: Server[],
): Promise<{ byKey: Record<Key, Server | undefined>; profiledPid: number }> {
  let profiledPid = 0;
  const start = async (key: Key, mode: 'floor' | 'service', env: Record<string, string>) => {
    if (!ONLY.has(key)) return undefined;
    const server = await startServer(
      mode,
      { ...redisEnv, ...env },
      { cpuProfDir: PROFILE === key ? profileDir : undefined },
    );
    servers.push(server);
    if (PROFILE === key) profiledPid = server.pid;
    return server;
  };
  const [floor, cached, miss, list] = await Promise.all([
    start('floor', 'floor', { BENCH_FLOOR_KEY: FLOOR_KEY }),
    start('cached', 'service', { NODE_ENV }),
    start('miss', 'service', { NODE_ENV, BENCH_NO_STORE: '1', BENCH_ITEMS: String(MISS_ITEMS) }),
    start('list', 'service', { NODE_ENV }),
  ]);
  return { byKey: { floor, cached, miss, list }, profiledPid };
}

/** What is wrong with a body that should be the item at path `p`, if anything. */
const isItemAt = (body: string, p: string) =>
  (JSON.parse(body) as { id?: string }).id === p.split('/').pop() ? undefined : `body is not the item at ${p}`;

/**
 * Warms the cached item, stores its bytes for the floor to serve, and describes the scenarios of the
 * servers started; returns them with those bytes.
 */
async function prepareScenarios(
  started: Record<Key, Server | undefined>,
  client: Redis,
): Promise<{ scenarios: Scenario[]; floorBody: string }> {
  const cachedSvc = started.cached!;
  const cachedAuth = await login(cachedSvc.origin);
  const itemPath = `/v1/items/${cachedSvc.itemIds[0]}`;
  const first = await get(cachedSvc.origin, itemPath, cachedAuth);
  if (first.status !== 200) throw new Error(`GET ${itemPath}: ${first.status} ${first.body}`);
  await client.set(FLOOR_KEY, first.body);
  const scenarios: Scenario[] = [
    {
      key: 'floor',
      label: 'floor (node:http + 1 Redis GET)',
      server: started.floor!,
      paths: [itemPath],
      headers: {},
      check: (b) => (b === first.body ? undefined : 'floor body differs'),
    },
    {
      key: 'cached',
      label: 'GET /v1/items/{id} cached',
      server: cachedSvc,
      paths: [itemPath],
      headers: cachedAuth,
      xCache: 'HIT',
      check: isItemAt,
    },
  ];
  if (started.miss) scenarios.push(await missScenario(started.miss));
  if (started.list) scenarios.push(await listScenario(started.list));
  return { scenarios, floorBody: first.body };
}

/**
 * Item reads on the server whose cache never stores, rotating over MISS_ITEMS items so that concurrent
 * misses never wait on one fill lock.
 */
async function missScenario(server: Server): Promise<Scenario> {
  const paths = server.itemIds.map((id) => `/v1/items/${id}`);
  return {
    key: 'miss',
    label: 'GET /v1/items/{id} miss forced',
    server,
    paths,
    headers: await login(server.origin),
    xCache: 'MISS',
    check: isItemAt,
  };
}

/** The first page of the item list, cached by one read before the scenario starts. */
async function listScenario(server: Server): Promise<Scenario> {
  const headers = await login(server.origin);
  await get(server.origin, '/v1/items', headers);
  const check = (b: string) =>
    (JSON.parse(b) as { items?: unknown[] }).items?.length === 20 ? undefined : 'page has not 20 items';
  return {
    key: 'list',
    label: 'GET /v1/items cached (20 items)',
    server,
    paths: ['/v1/items'],
    headers,
    xCache: 'HIT',
    check,
  };
}

/** Fails unless every scenario answers as it should before any load runs; misses must stay misses when repeated. */
async function verifyScenarios(scenarios: Scenario[]): Promise<void> {
  for (const s of scenarios) {
    const problems = await verify(s, 24, 'before');
    if (s.key === 'miss')
      problems.push(...(await verify({ ...s, paths: s.paths.slice(0, 4).flatMap((p) => [p, p]) }, 8, 'repeat')));
    if (problems.length) throw new Error(`${s.label}: ${problems.join('; ')}`);
  }
}

/**
 * Measures every scenario once a round, ROUNDS times, and writes each round's ratios to stderr.
 * Floor first in odd rounds, last in even ones.
 */
async function measureRounds(scenarios: Scenario[], client: Redis): Promise<Map<Key, Run[]>> {
  const runs = new Map<Key, Run[]>(scenarios.map((s) => [s.key, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? scenarios : [...scenarios.slice(1), scenarios[0]!];
    for (const s of order) runs.get(s.key)!.push(await measure(s, client));
    const ratio = (k: Key) => (runs.get(k)![r]!.rps / runs.get('floor')![r]!.rps).toFixed(2);
    process.stderr.write(
      `round ${r + 1}/${ROUNDS}: ${scenarios
        .slice(1)
        .map((s) => `${s.key} ${ratio(s.key)}x`)
        .join(', ')} the floor\n`,
    );
  }
  return runs;
}

/** Lists the profiled server's CPU profile files. */
function printProfiles(profileDir: string, profiledPid: number): void {
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${profiledPid}.`));
  process.stdout.write(
    `\nCPU profile of the ${PROFILE} server (its whole life, start-up included), for speedscope or Chrome DevTools:\n`,
  );
  for (const f of files) process.stdout.write(`  ${path.join(profileDir, f)}\n`);
}

async function measure(s: Scenario, client: Redis): Promise<Run> {
  await load(s, WARMUP);
  const before = await s.server.stats();
  const cpu0 = cpuTimeUs(s.server.pid);
  const run = await load(s, DURATION);
  const cpu1 = cpuTimeUs(s.server.pid);
  // autocannon stops with requests in flight: wait until the server has answered them (its count
  // stops moving), then for the fire-and-forget unlocks, before looking for fill locks.
  let after = await s.server.stats();
  for (let i = 0, seen = -1; i < 30 && sum(Object.values(after.xCache)) !== seen; i++) {
    seen = sum(Object.values(after.xCache));
    await sleep(100);
    after = await s.server.stats();
  }
  await sleep(200);
  const xCache: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.xCache))
    if (v > (before.xCache[k] ?? 0)) xCache[k] = v - (before.xCache[k] ?? 0);
  const problems = await verify(s, 8, 'after');
  if (run.non2xx) problems.push(`${run.non2xx} non-2xx answers`);
  if (run.errors) problems.push(`${run.errors} socket errors/timeouts`);
  const warnings: string[] = [];
  const answered = sum(Object.values(xCache));
  if (s.xCache && (xCache[s.xCache] ?? 0) < 0.99 * answered)
    warnings.push(`X-Cache during the run: ${mix(xCache)}, expected ${s.xCache}`);
  const locks = (await client.keys('cache:*:lock')).length;
  if (locks) warnings.push(`${locks} fill lock(s) left in Redis after every request was answered`);
  return { ...run, cpuUs: (cpu1 - cpu0) / run.requests, xCache, problems, warnings };
}

type Autocannon = (
  opts: {
    url: string;
    connections: number;
    duration: number;
    headers: Record<string, string>;
    requests?: unknown[];
    timeout: number;
  },
  done: (err: Error | null, result: { errors: number; timeouts: number; non2xx: number }) => void,
) => { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void };
const autocannon = require('autocannon') as Autocannon;

/** One autocannon run (its API, in this process) against the scenario's server. */
async function load(s: Scenario, seconds: number) {
  const latencies: number[] = []; // autocannon's own histogram has 1 ms resolution
  let i = 0;
  const rotate = (req: { path: string }) => {
    req.path = s.paths[i++ % s.paths.length]!;
    return req;
  };
  const requests = s.paths.length > 1 ? [{ method: 'GET', setupRequest: rotate }] : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await new Promise<Parameters<Parameters<Autocannon>[1]>[1]>((resolve, reject) => {
    const opts = {
      url: `${s.server.origin}${s.paths[0]}`,
      connections: CONNECTIONS,
      duration: seconds,
      headers: s.headers,
      requests,
      timeout: 10,
    };
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))).on('response', (_c, _status, _bytes, ms) =>
      latencies.push(ms),
    );
  });
  const elapsed = (performance.now() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const loadgenPct = (cpu.user + cpu.system) / 1e4 / elapsed;
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    loadgenPct,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Sends `n` requests over the scenario's paths, one at a time; returns what did not match. */
async function verify(s: Scenario, n: number, when: string): Promise<string[]> {
  const problems = new Set<string>();
  for (let i = 0; i < n; i++) {
    const p = s.paths[Math.floor((i * s.paths.length) / n)]!;
    const res = await get(s.server.origin, p, s.headers);
    if (res.status !== 200) problems.add(`${when}: GET ${p} answered ${res.status}`);
    if (s.xCache && res.xCache !== s.xCache)
      problems.add(`${when}: X-Cache ${res.xCache ?? '(none)'}, expected ${s.xCache}`);
    const bad = res.status === 200 ? s.check(res.body, p) : undefined;
    if (bad) problems.add(`${when}: ${bad}`);
  }
  return [...problems];
}

async function get(origin: string, p: string, headers: Record<string, string>) {
  const res = await fetch(`${origin}${p}`, { headers });
  return { status: res.status, xCache: res.headers.get('x-cache') ?? undefined, body: await res.text() };
}

async function login(origin: string): Promise<Record<string, string>> {
  const res = await fetch(`${origin}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: USERNAME, password: PASSWORD, scope: 'items:read' }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
  return { authorization: `Bearer ${body.access_token}` };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmtInt = (v: number) => Math.round(v).toLocaleString('en-US');
/** e.g. "HIT 100%" or "MISS 92.3% BYPASS 7.7%"; "-" when the server sends no X-Cache. */
const mix = (counts: Record<string, number>) => {
  const total = sum(Object.values(counts));
  const parts = Object.entries(counts)
    .filter(([k]) => k !== '-')
    .sort((a, b) => b[1] - a[1]);
  return parts.map(([k, v]) => `${k} ${((100 * v) / total).toFixed(v === total ? 0 : 1)}%`).join(' ') || '-';
};

/** Each round's req/s of scenario `k` ÷ that round's floor's. */
const ratios = (runs: Map<Key, Run[]>, k: Key) => runs.get(k)!.map((r, i) => r.rps / runs.get('floor')![i]!.rps);
/** Each round's floor server CPU µs/req ÷ scenario `k`'s. */
const cpuRatios = (runs: Map<Key, Run[]>, k: Key) => runs.get(k)!.map((r, i) => runs.get('floor')![i]!.cpuUs / r.cpuUs);

/** Writes the results to stdout: the setting, the table, each scenario's checks and the verdict. */
function report(
  scenarios: Scenario[],
  runs: Map<Key, Run[]>,
  meta: { startedIn: number; floorBytes: number; totalS: number },
): void {
  const out = [
    '',
    ...reportHeading(meta.floorBytes),
    '',
    ...reportTable(scenarios, runs),
    '',
    ...reportChecks(scenarios, runs),
    '',
    ...reportVerdict(runs, meta),
    '',
  ];
  process.stdout.write(out.join('\n'));
}

/** The lines that say what ran where: machine, load generator, rounds, servers. */
function reportHeading(floorBytes: number): string[] {
  const cpus = os.cpus();
  const version = (require('autocannon/package.json') as { version: string }).version;
  return [
    `bench:http  node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'} (${cpus.length} logical CPUs), load average ${os.loadavg()[0]!.toFixed(1)}`,
    `autocannon ${version} in the bench process, ${CONNECTIONS} connections; ${ROUNDS} rounds of ${WARMUP} s warm-up + ${DURATION} s measured per scenario`,
    `servers: one process each; service NODE_ENV=${NODE_ENV}, validateResponses off, log silent; floor value ${floorBytes} bytes (the cached item's JSON)`,
    `medians over the rounds; each round's ratios are to that round's floor`,
  ];
}

/** The table: a header line, then one line of medians over the rounds per scenario, in aligned columns. */
function reportTable(scenarios: Scenario[], runs: Map<Key, Run[]>): string[] {
  const med = (k: Key, f: (r: Run) => number) => median(runs.get(k)!.map(f));
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'ratio to floor',
    'per round',
    'server CPU µs/req',
    'CPU ratio',
    'loadgen CPU %',
    'X-Cache in run',
  ];
  const rows = scenarios.map(({ key, label }) => {
    const xCache: Record<string, number> = {};
    for (const r of runs.get(key)!) for (const [k, v] of Object.entries(r.xCache)) xCache[k] = (xCache[k] ?? 0) + v;
    return [
      label,
      fmtInt(med(key, (r) => r.rps)),
      med(key, (r) => r.p50).toFixed(2),
      med(key, (r) => r.p99).toFixed(2),
      median(ratios(runs, key)).toFixed(2),
      ratios(runs, key)
        .map((x) => x.toFixed(2))
        .join(' '),
      fmtInt(med(key, (r) => r.cpuUs)),
      median(cpuRatios(runs, key)).toFixed(2),
      fmtInt(med(key, (r) => r.loadgenPct)),
      mix(xCache),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i >= cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Per scenario, its requests in each round and whether every check passed, then its warnings. */
function reportChecks(scenarios: Scenario[], runs: Map<Key, Run[]>): string[] {
  const out: string[] = [];
  for (const s of scenarios) {
    const rs = runs.get(s.key)!;
    const problems = [...new Set(rs.flatMap((r) => r.problems))];
    out.push(
      `  ${s.label}: ${rs.map((r) => fmtInt(r.requests)).join(' / ')} requests${problems.length ? `; PROBLEMS: ${problems.join('; ')}` : ', all checks passed'}`,
    );
    for (const w of new Set(rs.flatMap((r) => r.warnings))) out.push(`    WARNING: ${w}`);
  }
  return out;
}

/** How to read the ratios, the cached read against the target, and how long the run took. */
function reportVerdict(runs: Map<Key, Run[]>, meta: { startedIn: number; totalS: number }): string[] {
  const cached = median(ratios(runs, 'cached'));
  return [
    "ratio to floor = req/s ÷ the floor's; CPU ratio = the floor's server CPU µs/req ÷ this server's (/proc, all threads): it holds whichever of load generator and server saturates first.",
    `cached authenticated read: median ${cached.toFixed(2)}x the floor (CPU ratio ${median(cpuRatios(runs, 'cached')).toFixed(2)}); target >= 0.5x: ${cached >= 0.5 ? 'on target' : 'BELOW target'}`,
    `(servers ready ${(meta.startedIn / 1e3).toFixed(1)} s after start; whole run ${meta.totalS.toFixed(0)} s)`,
  ];
}

main().catch((err) => {
  process.stderr.write(`bench:http failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
