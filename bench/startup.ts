/**
 * bench:startup: how long the production service takes from spawn to listening. `npm start`'s own
 * command, `node dist/src/main.js`, with a production environment: NODE_ENV=production, a fresh
 * JWT_SECRET, a private redis-server with a fresh password (servers.ts), and PostgreSQL when
 * BENCH_DATABASE_URL / DATABASE_URL / TEST_DATABASE_URL names one (a schema of its own in the bench's
 * database, bench-postgres.ts; else PGlite in a fresh DATA_DIR). dist/ is built first when missing or
 * stale (startup-build.ts).
 *
 * The first run meets an empty schema (every migration applied) and an empty os.tmpdir(), where
 * node keeps its on-disk cache of compiled code when the service turns it on: a first deploy. The
 * others start on the migrated schema with what the first left there: a restart. Then one more run
 * under `--cpu-prof`, not counted, gives the phases (startup-profile.ts).
 *
 * Start-up ends at the `time` of the service's "specgate listening" line, which main.ts logs right
 * after listen()'s callback: the moment itself, not when the bench read it from the pipe (the
 * bench's own scheduling), and not a polled port (the polling interval, and polls competing with
 * the service for the CPU). pino stamps it in whole ms; spawn is taken on the same wall clock.
 *
 * `npm run bench:startup [-- --runs N]` (or BENCH_STARTUP_RUNS; default 7).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { openBenchDatabase } from './bench-postgres';
import { median } from './http-common';
import { PRODUCTION_ENV, PRODUCTION_NODE_FLAGS, startBenchRedis } from './servers';
import { mainProcessEnv } from './service-env';
import { ensureBuilt, MAIN, ROOT } from './startup-build';
import { busyMs, PHASES, startupPhases } from './startup-profile';

/** One start of the service. */
export interface StartupRun {
  /** Spawn to the "specgate listening" line's timestamp, ms. */
  ms: number;
  /** Spawn to the "database ready" line (connected, migrations applied), ms. */
  databaseReadyMs: number;
}

export interface StartupFigures {
  /** Where the service kept its data (no credentials). */
  database: string;
  /** The first run: fresh schema, empty tmpdir. */
  first: StartupRun;
  /** The other runs, in order: migrated schema, tmpdir as the first run left it. */
  restarts: StartupRun[];
  /** Median, least and most of the restarts' ms. */
  restart: { median: number; min: number; max: number };
  /** Median ms of the floor (bare node:http listening), one start before each of the service's. */
  floorMedian: number;
  /** The profiled run's phases, ms each, and the busy time of any worker thread it started. */
  phases: Map<string, number>;
  workerThreadsBusyMs: number;
  /** Why dist/ was built first, if it was. */
  built: string | undefined;
}

/**
 * Measures `runs` production start-ups (the first fresh, the rest restarts) and one profiled one.
 * Starts and stops its own redis-server; drops its schema (or DATA_DIR) at the end.
 */
export async function measureProductionStartup(
  opts: { runs?: number; log?: (line: string) => void } = {},
): Promise<StartupFigures> {
  const runs = opts.runs ?? 7;
  if (!Number.isInteger(runs) || runs < 2) throw new Error('bench:startup needs at least 2 runs');
  const log = opts.log ?? (() => undefined);
  const built = ensureBuilt(log);
  const redis = await startBenchRedis();
  const db = await openBenchDatabase();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'specgate-startup-'));
  try {
    const storage: Record<string, string> = db
      ? { DATABASE_URL: await freshSchema(db.url, db.schemaFor('startup')) }
      : { DATA_DIR: scratch };
    const env: Record<string, string> = {
      ...mainProcessEnv(redis.env),
      PATH: process.env.PATH ?? '',
      PORT: '0',
      LOG_LEVEL: 'info',
      // os.tmpdir(): where node keeps a compile cache the service turns on. Fresh per measurement.
      TMPDIR: scratch,
      ...storage,
    };
    const measured: StartupRun[] = [];
    const floor: number[] = [];
    for (let i = 0; i < runs; i++) {
      // The floor just before each start, so that both meet the machine in the same state.
      floor.push(await startFloor());
      measured.push(await startOnce(env));
      log(`  run ${i + 1}: ${measured[i]!.ms.toFixed(0)} ms (floor ${floor[i]!.toFixed(0)} ms)`);
    }
    const profileDir = path.join(scratch, 'profile');
    await startOnce(env, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
    const [mainProfile, ...workerProfiles] = readdirSync(profileDir)
      .sort(byThread)
      .map((f) => path.join(profileDir, f));
    const restarts = measured.slice(1).map((r) => r.ms);
    return {
      database: db?.label ?? 'PGlite in a fresh DATA_DIR (no PostgreSQL URL set)',
      first: measured[0]!,
      restarts: measured.slice(1),
      restart: { median: median(restarts), min: Math.min(...restarts), max: Math.max(...restarts) },
      floorMedian: median(floor),
      phases: startupPhases(mainProfile!),
      workerThreadsBusyMs: workerProfiles.reduce((sum, f) => sum + busyMs(f), 0),
      built,
    };
  } finally {
    await redis.server.stop();
    for (const problem of (await db?.cleanup()) ?? []) log(`cleanup: ${problem}`);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `url` with a new empty schema `schema` as the search_path of every connection. */
async function freshSchema(url: string, schema: string): Promise<string> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await client.end();
  }
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  return withSchema.toString();
}

/** `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`: the main thread (0) first. */
const byThread = (a: string, b: string) => Number(a.split('.')[4]) - Number(b.split('.')[4]);

/** Spawns the service, waits for its listening line, stops it (SIGTERM) and waits for its exit. */
async function startOnce(env: Record<string, string>, nodeArgs: string[] = []): Promise<StartupRun> {
  // As `npm start` runs it: its environment assignments and node flags.
  const times = await spawnUntil([...PRODUCTION_NODE_FLAGS, ...nodeArgs, MAIN], { ...PRODUCTION_ENV, ...env }, [
    'database ready',
    'specgate listening',
  ]);
  return { ms: times.get('specgate listening')!, databaseReadyMs: times.get('database ready')! };
}

/**
 * The floor: node itself starting a bare node:http server, and saying so as the service does (a
 * JSON line with `time`). What the machine's load does to any start-up, in the same run.
 */
const FLOOR = `require('node:http').createServer().listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ time: new Date().toISOString(), msg: 'listening' })))`;

async function startFloor(): Promise<number> {
  return (await spawnUntil(['-e', FLOOR], { PATH: process.env.PATH ?? '' }, ['listening'])).get('listening')!;
}

/**
 * Spawns node with `args`, waits until it has logged each of `messages`, stops it (SIGTERM) and
 * waits for its exit; ms from spawn to each line's `time`.
 */
async function spawnUntil(
  args: string[],
  env: Record<string, string>,
  messages: string[],
): Promise<Map<string, number>> {
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4_000)));
  try {
    const times = await logTimes(child, messages);
    return new Map([...times].map(([msg, time]) => [msg, time - spawnedAt]));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${stderr}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
}

/** The `time` (epoch ms) of each of the log lines `messages`, once the last one has been logged. */
function logTimes(child: ChildProcess, messages: string[]): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`it exited before listening (${code ?? signal})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: { msg?: string; time?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg && messages.includes(entry.msg)) times.set(entry.msg, Date.parse(entry.time ?? ''));
      if (times.size === messages.length) resolve(times);
    });
  });
}

function report(f: StartupFigures): string {
  const restarts = f.restarts.map((r) => r.ms);
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const phaseTotal = [...f.phases.values()].reduce((a, b) => a + b, 0);
  return [
    `database: ${f.database}`,
    `first start (empty schema: every migration; empty tmpdir)   ${ms(f.first.ms)}   (database ready at ${ms(f.first.databaseReadyMs)})`,
    `restarts (${restarts.length}; migrated schema, tmpdir as the first left it)   median ${ms(f.restart.median)}   min ${ms(f.restart.min)}   max ${ms(f.restart.max)}   (database ready: median ${ms(median(f.restarts.map((r) => r.databaseReadyMs)))})`,
    `  each: ${restarts.map((v) => v.toFixed(0)).join(' ')}`,
    `floor (node starting a bare node:http server, before each start)   median ${ms(f.floorMedian)}: restarts ÷ floor ${(f.restart.median / f.floorMedian).toFixed(1)}x`,
    '',
    `phases of one more restart under --cpu-prof (main thread; the profiler slows it down, compare shares): ${ms(phaseTotal)}`,
    ...PHASES.filter((p) => f.phases.has(p)).map(
      (p) =>
        `  ${p.padEnd(20)} ${ms(f.phases.get(p)!).padStart(8)}  ${((100 * f.phases.get(p)!) / phaseTotal).toFixed(0).padStart(3)} %`,
    ),
    ...(f.workerThreadsBusyMs > 0
      ? [`  worker threads busy ${ms(f.workerThreadsBusyMs)} (beside the main thread)`]
      : []),
  ].join('\n');
}

function runsArgument(): number {
  const flag = process.argv.indexOf('--runs');
  const raw = flag >= 0 ? process.argv[flag + 1] : process.env.BENCH_STARTUP_RUNS;
  const runs = Number(raw ?? 7);
  if (!Number.isInteger(runs) || runs < 2)
    throw new Error('--runs (BENCH_STARTUP_RUNS) must be an integer of 2 or more');
  return runs;
}

if (require.main === module) {
  const runs = runsArgument();
  console.log(`bench:startup: ${runs} starts of \`node dist/src/main.js\` (NODE_ENV=production), spawn to listening`);
  measureProductionStartup({ runs, log: (line) => console.log(line) })
    .then((figures) => console.log(`\n${report(figures)}`))
    .catch((err: Error) => {
      console.error(`bench:startup failed: ${err.message}`);
      process.exit(1);
    });
}
