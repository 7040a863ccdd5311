/**
 * `npm run bench:http`: the service over real HTTP, as ratios to a floor server measured in the same
 * run, against the performance targets (bench/README.md). Scenarios, each on a server process of its own:
 * floor (node:http + 1 Redis GET of the cached item's bytes), cached GET /v1/items/{id}, the same
 * with ES256 tokens, with If-None-Match (304), with misses forced, with 1,000 users' tokens
 * (sessions), cached GET /v1/items, and two servers answering the cached read from the same Redis
 * entry: a peer (fastify + fastify-openapi-glue + fast-jwt + ioredis) and the ideal (node:http by
 * hand). Load from wrk (autocannon without it); servers pinned to CPU 0, redis-server and the load
 * generator to CPU 1 (pinning.ts); the services on PostgreSQL when a database URL is set
 * (bench-postgres.ts). Each server reports its GC over every measured run (gc-run.ts).
 * BENCH_HTTP_ROUNDS rounds, each measuring every scenario once (floor first in odd rounds, last in
 * even ones); each round's ratios are to that round's floor, and the tables have their medians.
 * Method, knobs and how to read the tables: bench/README.md. Parts: http-start.ts,
 * http-scenarios.ts, http-readers.ts, http-load.ts (load-wrk.ts, load-autocannon.ts),
 * http-heading.ts, http-report.ts, http-gc-report.ts, http-targets.ts, http-results.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { testKeyFile } from '../test/support/signing-keys';
import { type BenchDatabase, openBenchDatabase } from './bench-postgres';
import { KEYS, type Key, type Run, type Scenario, settings } from './http-common';
import { collectExports, exportLines, type TracedExports } from './http-exports';
import { headingLines } from './http-heading';
import { measure } from './http-load';
import { checkLines, gcTextTable, summarise, targetLines, textTable } from './http-report';
import { type Results, writeResults } from './http-results';
import { prepareScenarios, verifyScenarios } from './http-scenarios';
import { startServers, traceFile } from './http-start';
import { pairRatios, performanceTargets } from './http-targets';
import { benchWorkers } from './http-workers';
import { type Sink, startSink } from './otlp-sink/start';
import { LOAD_CPU, pinningPlan, pinProcess } from './pinning';
import { startBenchRedis, stopAllServers } from './servers';

async function main(): Promise<void> {
  if (settings.workers.length > 0) return benchWorkers(settings.workers);
  checkSettings();
  const profileDir = profileDirectory();
  process.once('SIGINT', () => process.exit(130)); // runs the exit hooks that stop the servers and Redis

  const t0 = Date.now();
  const pinning = pinningPlan();
  if (pinning.pin) pinProcess(process.pid, LOAD_CPU); // threads started later inherit it
  const redis = await startBenchRedis();
  const client = new Redis({ host: redis.server.host, port: redis.server.port, password: redis.server.password });
  if (pinning.pin) pinProcess(await redisPid(client), LOAD_CPU);
  let profiledPid = 0;
  let database: BenchDatabase | undefined;
  let sink: Sink | undefined;
  // The es256 service signs with this file's key; the others with HS256 (BENCH_JWT_KEY).
  const keyFile = await testKeyFile(['ES256']);
  try {
    database = await openBenchDatabase();
    // The traced services export to a sink process on the load CPU.
    const traced = settings.only.has('traced10') || settings.only.has('tracedAll');
    if (traced) sink = await startSink(pinning.pin ? LOAD_CPU : undefined);
    const started = await startServers({
      redisEnv: redis.env,
      profileDir,
      database,
      pin: pinning.pin,
      keyFile: keyFile.file,
      sink,
    });
    profiledPid = started.profiledPid;
    const startedIn = Date.now() - t0;
    const dbName = database ? 'PostgreSQL' : 'PGlite';
    const { scenarios, floorBody } = await prepareScenarios(started.byKey, client, dbName);
    await verifyScenarios(scenarios);
    const runs = await measureRounds(scenarios, client);
    const exports = await collectExports(scenarios, sink);
    const cached = started.byKey.cached!;
    const heading = headingLines(Buffer.byteLength(floorBody), pinning, database, cached);
    const startup = { ms: cached.startupMs, database: dbName, phases: cached.phases };
    const results = collect(scenarios, runs, heading, startup, exports);
    printAndWrite(results, { startedIn, totalS: (Date.now() - t0) / 1e3 });
    if (results.rows.some((r) => r.problems.length)) process.exitCode = 1;
  } finally {
    await stopAllServers();
    await sink?.stop();
    client.disconnect();
    await redis.server.stop();
    keyFile.remove();
    for (const p of (await database?.cleanup()) ?? []) process.stderr.write(`WARNING: ${p}\n`);
  }
  if (profileDir && settings.profile) printProfiles(profileDir, profiledPid);
  if (profileDir && settings.traceGc)
    process.stdout.write(
      `\nV8's GC trace of the ${settings.traceGc.key} server's measured runs (--${settings.traceGc.flag}): ${traceFile(profileDir)}\n`,
    );
}

/**
 * Fails when BENCH_HTTP_ONLY names an unknown scenario, BENCH_HTTP_PROFILE one this run does not
 * measure, or wrk is to run fractions of a second.
 */
function checkSettings(): void {
  if (settings.loadgen === 'wrk' && !(Number.isInteger(settings.duration) && Number.isInteger(settings.warmup)))
    throw new Error('wrk runs whole seconds: BENCH_HTTP_DURATION and BENCH_HTTP_WARMUP must be integers');
  for (const k of settings.only)
    if (!(KEYS as readonly string[]).includes(k))
      throw new Error(`BENCH_HTTP_ONLY: unknown scenario ${k} (${KEYS.join(', ')})`);
  if (settings.profile && !settings.only.has(settings.profile))
    throw new Error(`BENCH_HTTP_PROFILE=${settings.profile}: name a scenario this run measures`);
  if (settings.traceGc && !settings.only.has(settings.traceGc.key))
    throw new Error(`BENCH_HTTP_TRACE_GC=${settings.traceGc.key}: name a scenario this run measures`);
}

/** The directory (created) for the CPU profile and the GC trace; undefined when neither is asked for. */
function profileDirectory(): string | undefined {
  if (!settings.profile && !settings.traceGc) return undefined;
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

/** The run's results: rows (with the traced servers' export checks), targets and everything the files record. */
function collect(
  scenarios: Scenario[],
  runs: Map<Key, Run[]>,
  heading: string[],
  startup: Results['startup'],
  exports: TracedExports | undefined,
): Results {
  const rows = summarise(scenarios, runs);
  for (const e of exports?.servers ?? []) {
    const row = rows.find((r) => r.key === e.key);
    row?.problems.push(...e.problems);
    row?.warnings.push(...e.warnings);
  }
  const { only: _only, resultsDir: _dir, ...knobs } = settings;
  return {
    date: new Date().toISOString(),
    heading,
    settings: { ...knobs, scenarios: scenarios.map((s) => s.key) },
    startup,
    rows,
    targets: performanceTargets(rows, runs, startup),
    ratios: pairRatios(runs),
    exports,
  };
}

/** Prints the heading, the table, the checks and the targets, and writes the results files. */
function printAndWrite(results: Results, meta: { startedIn: number; totalS: number }): void {
  const file = writeResults(settings.resultsDir, results);
  const out = [
    '',
    ...results.heading,
    '',
    ...textTable(results.rows),
    '',
    "ratio to floor = req/s ÷ the floor's; CPU ratio = the floor's server CPU µs/req ÷ this server's (/proc, all threads): it holds whichever of load generator and server saturates first.",
    '',
    'garbage collection in each server over its measured runs (v8.GCProfiler; medians over the rounds):',
    ...gcTextTable(results.rows),
    '',
    "promoted = bytes the scavenges moved to the old generation ÷ responses; heap used sampled every 100 ms; RSS at the run's end; GC % = main-thread GC time ÷ the run's wall time.",
    '',
    ...checkLines(results.rows),
    '',
    ...(results.exports ? [...exportLines(results.exports), ''] : []),
    "performance targets (reported, never failing the run; A ÷ B = median over the rounds of each round's ratio):",
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
