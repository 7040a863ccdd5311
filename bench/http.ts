/**
 * `npm run bench:http`: the service over real HTTP, as ratios to a floor server measured in the same
 * run, against the performance targets (bench/README.md). Scenarios, each on a server process of its own:
 * floor (node:http + 1 Redis GET of the cached item's bytes), cached GET /v1/items/{id}, the same
 * with If-None-Match (304), the same with misses forced, cached GET /v1/items, and a peer (fastify +
 * fastify-openapi-glue + fast-jwt + ioredis) answering the cached read from the same Redis entry.
 * Servers pinned to CPU 0, redis-server and the load generator to CPU 1 (pinning.ts); the services
 * on PostgreSQL when a database URL is set (bench-postgres.ts). BENCH_HTTP_ROUNDS rounds, each
 * measuring every scenario once (floor first in odd rounds, last in even ones); each round's ratios
 * are to that round's floor, and the table has their medians. Method, knobs and how to read the
 * table: bench/README.md. Parts: http-scenarios.ts, http-load.ts, http-report.ts,
 * http-targets.ts, http-results.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { testKeyFile } from '../test/support/signing-keys';
import { type BenchDatabase, openBenchDatabase } from './bench-postgres';
import { KEYS, type Key, type Run, type Scenario, settings } from './http-common';
import { measure } from './http-load';
import { checkLines, summarise, targetLines, textTable } from './http-report';
import { type Results, writeResults } from './http-results';
import { FLOOR_KEY, prepareScenarios, verifyScenarios } from './http-scenarios';
import { cachedOverPeer, es256OverHs256, performanceTargets } from './http-targets';
import { benchWorkers } from './http-workers';
import { LOAD_CPU, pinningPlan, pinProcess, SERVER_CPU } from './pinning';
import { type Server, startBenchRedis, startServer } from './servers';

async function main(): Promise<void> {
  if (settings.workers.length > 0) return benchWorkers(settings.workers);
  checkScenarioNames();
  const profileDir = profileDirectory();
  process.once('SIGINT', () => process.exit(130)); // runs the exit hooks that stop the servers and Redis

  const t0 = Date.now();
  const pinning = pinningPlan();
  if (pinning.pin) pinProcess(process.pid, LOAD_CPU); // threads started later inherit it
  const redis = await startBenchRedis();
  const client = new Redis({ host: redis.server.host, port: redis.server.port, password: redis.server.password });
  if (pinning.pin) pinProcess(await redisPid(client), LOAD_CPU);
  const servers: Server[] = [];
  let profiledPid = 0;
  let database: BenchDatabase | undefined;
  // The es256 service signs with this file's key; the others with HS256 (BENCH_JWT_KEY).
  const keyFile = await testKeyFile(['ES256']);
  try {
    database = await openBenchDatabase();
    const started = await startServers(
      { redisEnv: redis.env, profileDir, database, pin: pinning.pin, keyFile: keyFile.file },
      servers,
    );
    profiledPid = started.profiledPid;
    const startedIn = Date.now() - t0;
    const dbName = database ? 'PostgreSQL' : 'PGlite';
    const { scenarios, floorBody } = await prepareScenarios(started.byKey, client, dbName);
    await verifyScenarios(scenarios);
    const runs = await measureRounds(scenarios, client);
    const cached = started.byKey.cached!;
    const heading = headingLines(Buffer.byteLength(floorBody), pinning.why, database, cached);
    const results = collect(scenarios, runs, heading, {
      ms: cached.startupMs,
      database: dbName,
      phases: cached.phases,
    });
    printAndWrite(results, { startedIn, totalS: (Date.now() - t0) / 1e3 });
    if (results.rows.some((r) => r.problems.length)) process.exitCode = 1;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    client.disconnect();
    await redis.server.stop();
    keyFile.remove();
    for (const p of (await database?.cleanup()) ?? []) process.stderr.write(`WARNING: ${p}\n`);
  }
  if (profileDir) printProfiles(profileDir, profiledPid);
}

/** Fails when BENCH_HTTP_ONLY names an unknown scenario or BENCH_HTTP_PROFILE one this run does not measure. */
function checkScenarioNames(): void {
  for (const k of settings.only)
    if (!(KEYS as readonly string[]).includes(k))
      throw new Error(`BENCH_HTTP_ONLY: unknown scenario ${k} (${KEYS.join(', ')})`);
  if (settings.profile && !settings.only.has(settings.profile))
    throw new Error(`BENCH_HTTP_PROFILE=${settings.profile}: name a scenario this run measures`);
}

/** The directory (created) the profiled server writes its CPU profile to; undefined when nothing is profiled. */
function profileDirectory(): string | undefined {
  if (!settings.profile) return undefined;
  const dir = path.resolve(
    process.env.BENCH_HTTP_PROFILE_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'specgate-bench-prof-')),
  );
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** redis-server's pid, from INFO (the test helper that starts it does not expose it). */
async function redisPid(client: Redis): Promise<number> {
  const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  if (!pid) throw new Error('INFO server has no process_id');
  return pid;
}

/**
 * Starts a server for each scenario this run measures: the cached service first and alone, so its
 * start-up time is not shared with the others', then the rest at once. Each joins `servers` as soon
 * as it is up, so the caller stops it even when another one fails to start.
 */
async function startServers(
  opts: {
    redisEnv: Record<string, string>;
    profileDir: string | undefined;
    database?: BenchDatabase;
    pin: boolean;
    /** The es256 service's JWT_SIGNING_KEYS_FILE. */
    keyFile: string;
  },
  servers: Server[],
): Promise<{ byKey: Partial<Record<Key, Server>>; profiledPid: number }> {
  let profiledPid = 0;
  const db = (key: Key): Record<string, string> =>
    opts.database ? { BENCH_PG_URL: opts.database.url, BENCH_PG_SCHEMA: opts.database.schemaFor(key) } : {};
  const service = (key: Key, extra: Record<string, string> = {}) => ({
    NODE_ENV: settings.nodeEnv,
    ...db(key),
    ...extra,
  });
  const start = async (key: Key, mode: 'floor' | 'service' | 'peer', env: Record<string, string>) => {
    if (!settings.only.has(key)) return undefined;
    const cpuProfDir = settings.profile === key ? opts.profileDir : undefined;
    const server = await startServer(
      mode,
      { ...opts.redisEnv, ...env },
      { cpuProfDir, cpu: opts.pin ? SERVER_CPU : undefined },
    );
    servers.push(server);
    if (cpuProfDir) profiledPid = server.pid;
    return server;
  };
  const cached = await start('cached', 'service', service('cached'));
  const [floor, es256, notModified, miss, list, peer] = await Promise.all([
    start('floor', 'floor', { BENCH_FLOOR_KEY: FLOOR_KEY }),
    start(
      'es256',
      'service',
      service('es256', { BENCH_CONFIG: JSON.stringify({ JWT_SIGNING_KEYS_FILE: opts.keyFile }) }),
    ),
    start('304', 'service', service('304')),
    start('miss', 'service', service('miss', { BENCH_NO_STORE: '1', BENCH_ITEMS: String(settings.missItems) })),
    start('list', 'service', service('list')),
    start('peer', 'peer', {}),
  ]);
  return { byKey: { floor, cached, es256, '304': notModified, miss, list, peer }, profiledPid };
}

/** Measures every scenario once a round, ROUNDS times, and writes each round's ratios to stderr. */
async function measureRounds(scenarios: Scenario[], client: Redis): Promise<Map<Key, Run[]>> {
  const runs = new Map<Key, Run[]>(scenarios.map((s) => [s.key, []]));
  for (let r = 0; r < settings.rounds; r++) {
    const order = r % 2 === 0 ? scenarios : [...scenarios.slice(1), scenarios[0]!];
    for (const s of order) runs.get(s.key)!.push(await measure(s, client));
    const ratio = (k: Key) => (runs.get(k)![r]!.rps / runs.get('floor')![r]!.rps).toFixed(2);
    const ratios = scenarios.slice(1).map((s) => `${s.key} ${ratio(s.key)}x`);
    process.stderr.write(`round ${r + 1}/${settings.rounds}: ${ratios.join(', ')} the floor\n`);
  }
  return runs;
}

/** The lines that say what ran where: machine, load generator, rounds, servers, pinning, database, start-up. */
function headingLines(
  floorBytes: number,
  pinning: string,
  database: BenchDatabase | undefined,
  cached: Server,
): string[] {
  const cpus = os.cpus();
  const version = (require('autocannon/package.json') as { version: string }).version;
  const { rounds, warmup, duration, connections, nodeEnv } = settings;
  const phases = Object.entries(cached.phases);
  // What the child's own clock does not see: fork/exec and node's start before its time origin.
  const exec = cached.startupMs - phases.reduce((a, [, ms]) => a + ms, 0);
  const s = (ms: number) => `${(ms / 1e3).toFixed(2)} s`;
  return [
    `bench:http  node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'} (${cpus.length} logical CPUs), load average ${os.loadavg()[0]!.toFixed(1)}`,
    `autocannon ${version} in the bench process, ${connections} connections; ${rounds} round${rounds === 1 ? '' : 's'} of ${warmup} s warm-up + ${duration} s measured per scenario`,
    `servers: one process each; service NODE_ENV=${nodeEnv}, validateResponses off, log silent; floor value ${floorBytes} bytes (the cached item's JSON)`,
    `pinning: ${pinning}`,
    `database of the services: ${database?.label ?? 'in-memory PGlite in each server (set BENCH_DATABASE_URL, DATABASE_URL or TEST_DATABASE_URL for PostgreSQL)'}`,
    `start-up of the cached service, spawn to listening: ${s(cached.startupMs)} (exec ${s(exec)}, ${phases.map(([k, ms]) => `${k} ${s(ms)}`).join(', ')}; modules = node + tsx + loading the code)`,
    "medians over the rounds; each round's ratios are to that round's floor",
  ];
}

/** The run's results: rows, targets and everything the files record. */
function collect(
  scenarios: Scenario[],
  runs: Map<Key, Run[]>,
  heading: string[],
  startup: Results['startup'],
): Results {
  const rows = summarise(scenarios, runs);
  const { only: _only, resultsDir: _dir, ...knobs } = settings;
  return {
    date: new Date().toISOString(),
    heading,
    settings: { ...knobs, scenarios: scenarios.map((s) => s.key) },
    startup,
    rows,
    targets: performanceTargets(rows, runs, startup),
    cachedOverPeer: cachedOverPeer(runs),
    es256OverHs256: es256OverHs256(runs),
  };
}

/** Prints the heading, the table, the checks and the targets, and writes the results files. */
function printAndWrite(results: Results, meta: { startedIn: number; totalS: number }): void {
  const file = writeResults(settings.resultsDir, results);
  const peer = results.cachedOverPeer;
  const out = [
    '',
    ...results.heading,
    '',
    ...textTable(results.rows),
    '',
    ...checkLines(results.rows),
    '',
    "ratio to floor = req/s ÷ the floor's; CPU ratio = the floor's server CPU µs/req ÷ this server's (/proc, all threads): it holds whichever of load generator and server saturates first; GC % = the server's main-thread GC time ÷ the measured run's wall time.",
    ...(peer === undefined
      ? []
      : [`specgate cached ÷ peer: ${peer.toFixed(2)}x (median over the rounds of each round's req/s ratio)`]),
    ...(results.es256OverHs256 === undefined
      ? []
      : [
          `cached with ES256 keys ÷ cached with HS256: ${results.es256OverHs256.toFixed(2)}x (median of each round's req/s ratio; both read through the verified-token memo)`,
        ]),
    '',
    'performance targets (reported, never failing the run):',
    ...targetLines(results.targets),
    '',
    `(servers ready ${(meta.startedIn / 1e3).toFixed(1)} s after start; whole run ${meta.totalS.toFixed(0)} s; results in ${shortPath(file)} and http-latest.*)`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

/** `p` relative to the working directory when it is below it, else absolute. */
const shortPath = (p: string) =>
  path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p);

/** Lists the profiled server's CPU profile files. */
function printProfiles(profileDir: string, profiledPid: number): void {
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${profiledPid}.`));
  process.stdout.write(
    `\nCPU profile of the ${settings.profile} server (its whole life, start-up included), for speedscope or Chrome DevTools:\n`,
  );
  for (const f of files) process.stdout.write(`  ${path.join(profileDir, f)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench:http failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
