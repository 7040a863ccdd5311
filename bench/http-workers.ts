/**
 * `BENCH_HTTP_WORKERS=1,2 npm run bench:http`: the cached read (GET /v1/items/{id}, a HIT, bearer
 * token) against the real `src/main.ts` run with WORKERS=1, then 2 (each count given), as
 * `npm start` runs it: the cluster primary and its workers, NODE_ENV=production, the default log
 * level (info, written to a file). Several workers need PostgreSQL: the run works in a database of
 * its own on the server of BENCH_DATABASE_URL, DATABASE_URL or TEST_DATABASE_URL, dropped at the end.
 * Nothing is pinned (the workers are meant to use every core); the load generator shares the
 * machine with them. Each round measures every count once (reversed in even rounds); the table has
 * the medians and the ratio to the first count's req/s in the same round.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { PasswordHasher } from '../src/auth/passwords';
import { openDatabase } from '../src/store/database';
import { ItemsRepository } from '../src/store/items.repository';
import { UsersRepository } from '../src/store/users.repository';
import { fmtInt, median, settings, sleep } from './http-common';
import { get, login } from './http-load';
import { cpuTimeUs, PASSWORD, startBenchRedis, USERNAME } from './servers';
import { mainProcessEnv } from './service-env';

const root = path.resolve(__dirname, '..');

interface Cluster {
  workers: number;
  child: ChildProcess;
  origin: string;
  log: string;
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  /** Primary and workers, all threads, per request. */
  cpuUs: number;
  problems: number;
}

export async function benchWorkers(counts: number[]): Promise<void> {
  const shared = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (!shared) throw new Error('BENCH_HTTP_WORKERS needs PostgreSQL: set BENCH_DATABASE_URL or TEST_DATABASE_URL');
  const redis = await startBenchRedis();
  const name = `specgate_bench_workers_${process.pid}`;
  const admin = new Client({ connectionString: shared });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(shared);
  url.pathname = `/${name}`;
  const clusters: Cluster[] = [];
  try {
    const env = { ...mainProcessEnv(redis.env), DATABASE_URL: url.toString() };
    for (const workers of counts) clusters.push(await startCluster(workers, env));
    const itemId = await seed(url.toString());
    const headers = await login(clusters[0]!.origin);
    for (const c of clusters) {
      const first = await get(c.origin, `/v1/items/${itemId}`, headers);
      const again = await get(c.origin, `/v1/items/${itemId}`, headers);
      if (first.status !== 200 || again.xCache !== 'HIT')
        throw new Error(`WORKERS=${c.workers}: the item answered ${first.status}, then X-Cache ${again.xCache}`);
    }
    const runs = new Map<number, Measured[]>(counts.map((n) => [n, []]));
    for (let r = 0; r < settings.rounds; r++) {
      for (const c of r % 2 === 0 ? clusters : [...clusters].reverse())
        runs.get(c.workers)!.push(await measure(c, `/v1/items/${itemId}`, headers));
    }
    report(counts, runs);
  } finally {
    await Promise.all(clusters.map(stopCluster));
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await redis.server.stop();
  }
}

/** `src/main.ts` with WORKERS=`workers` on a free port; resolves once every worker listens. */
async function startCluster(workers: number, env: Record<string, string>): Promise<Cluster> {
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'specgate-bench-workers-')), 'service.log');
  const out = fs.openSync(log, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env, PORT: '0', WORKERS: String(workers) },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const deadline = Date.now() + 120_000;
  // Every worker logs its URL (they share the port the first one got).
  let urls: string[] = [];
  while (urls.length < workers) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`WORKERS=${workers} did not start:\n${fs.readFileSync(log, 'utf8')}`);
    await sleep(200);
    urls = [...fs.readFileSync(log, 'utf8').matchAll(/"url":"([^"]+)".*"msg":"specgate listening"/g)].map((m) => m[1]!);
  }
  return { workers, child, origin: urls[0]!, log };
}

async function stopCluster(c: Cluster): Promise<void> {
  if (c.child.exitCode === null) {
    const exited = new Promise((resolve) => c.child.once('exit', resolve));
    c.child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(path.dirname(c.log), { recursive: true, force: true });
}

/** The bench user (items:read) and one item; resolves to the item's id. */
async function seed(url: string): Promise<string> {
  const db = await openDatabase({ url });
  try {
    const passwords = new PasswordHasher();
    await new UsersRepository(db).create({
      username: USERNAME,
      passwordHash: await passwords.hash(PASSWORD),
      scopes: ['items:read'],
    });
    const item = await new ItemsRepository(db).create({
      name: 'Espresso cup 0000',
      description: 'Porcelain, 90 ml, dishwasher safe; a thick wall keeps the coffee warm.',
      category: 'kitchen',
      priceCents: 1250,
      tags: ['porcelain', 'coffee'],
    });
    return item.id;
  } finally {
    await db.close();
  }
}

/** The primary and its workers (children), all threads, in µs. */
function clusterCpuUs(primary: number): number {
  const children = fs
    .readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8')
    .split(' ')
    .filter(Boolean)
    .map(Number);
  return [primary, ...children].reduce((sum, pid) => sum + cpuTimeUs(pid), 0);
}

type Autocannon = (
  opts: { url: string; connections: number; duration: number; headers: Record<string, string>; timeout: number },
  done: (err: Error | null, result: { errors: number; timeouts: number }) => void,
) => { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void };
const autocannon = require('autocannon') as Autocannon;

/** A warm-up run (when configured), then the measured one. */
async function measure(c: Cluster, p: string, headers: Record<string, string>): Promise<Measured> {
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    let problems = 0;
    const t0 = performance.now();
    const result = await new Promise<{ errors: number; timeouts: number }>((resolve, reject) => {
      const opts = {
        url: `${c.origin}${p}`,
        connections: settings.connections,
        duration: seconds,
        headers,
        timeout: 10,
      };
      autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))).on('response', (_c, status, _b, ms) => {
        latencies.push(ms);
        if (status !== 200) problems++;
      });
    });
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    const elapsedS = (performance.now() - t0) / 1e3;
    return {
      requests: latencies.length,
      rps: latencies.length / elapsedS,
      p50: at(0.5),
      p99: at(0.99),
      problems: problems + result.errors + result.timeouts,
    };
  };
  if (settings.warmup > 0) await run(settings.warmup);
  const cpu0 = clusterCpuUs(c.child.pid!);
  const measured = await run(settings.duration);
  const cpuUs = (clusterCpuUs(c.child.pid!) - cpu0) / measured.requests;
  return { rps: measured.rps, p50: measured.p50, p99: measured.p99, cpuUs, problems: measured.problems };
}

function report(counts: number[], runs: Map<number, Measured[]>): void {
  const base = runs.get(counts[0]!)!;
  const lines = [
    '',
    `bench:http workers  node ${process.version}, ${os.cpus().length} logical CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`,
    `cached GET /v1/items/{id} (HIT) against src/main.ts, NODE_ENV=production, log info to a file, PostgreSQL; nothing pinned`,
    `autocannon in the bench process, ${settings.connections} connections; ${settings.rounds} round(s) of ${settings.warmup} s warm-up + ${settings.duration} s measured`,
    '',
    '| WORKERS | req/s | p50 ms | p99 ms | ratio to WORKERS=' +
      counts[0] +
      ' | per round | CPU µs/req (all processes) | problems |',
    '| ------- | ----- | ------ | ------ | ------ | --------- | ------ | -------- |',
    ...counts.map((n) => {
      const rs = runs.get(n)!;
      const ratios = rs.map((r, i) => r.rps / base[i]!.rps);
      return `| ${n} | ${fmtInt(median(rs.map((r) => r.rps)))} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${median(rs.map((r) => r.p99)).toFixed(2)} | ${median(ratios).toFixed(2)}x | ${ratios.map((x) => x.toFixed(2)).join(' ')} | ${fmtInt(median(rs.map((r) => r.cpuUs)))} | ${rs.reduce((a, r) => a + r.problems, 0)} |`;
    }),
    '',
  ];
  process.stdout.write(lines.join('\n'));
  if ([...runs.values()].flat().some((r) => r.problems > 0)) process.exitCode = 1;
}
