/**
 * `npm run soak -- --minutes 10`: the service under a mixed load (soak-load.ts) for a long time, to
 * find what only time shows: memory that grows, latency that creeps up, requests that start failing.
 *
 * 1. One service process (server.ts, as bench:http starts it; PostgreSQL when BENCH_DATABASE_URL,
 *    DATABASE_URL or TEST_DATABASE_URL is set, else PGlite) on a private redis-server.
 * 2. The maximum: the mix run closed-loop by 32 concurrent clients for --probe-seconds (20).
 * 3. The soak: the mix at --load (0.7) of that maximum, open-loop (requests start on schedule
 *    whether or not earlier ones have answered), for --minutes; the first minute is the warm-up.
 * Per minute: requests, failures, p50/p99 (from each request's scheduled start), the server's RSS
 * and V8 heap. The verdicts: after the warm-up RSS grows under 10 % and stays under 160 MiB, no request fails,
 * and the last minute's p99 is within 1.5x the first measured minute's. Written under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openBenchDatabase } from './bench-postgres';
import { fmtInt, median, sleep } from './http-common';
import { PASSWORD, startBenchRedis, startServer, USERNAME } from './servers';
import { type Outcome, SoakLoad } from './soak-load';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    load: { type: 'string', default: '0.7' },
    'probe-seconds': { type: 'string', default: '20' },
    sessions: { type: 'string', default: '24' },
  },
});
const minutes = Number(args.minutes);
const load = Number(args.load);

interface Minute {
  minute: number;
  requests: number;
  failures: number;
  p50: number;
  p99: number;
  rssMiB: number;
  heapMiB: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

async function probe(mix: SoakLoad, seconds: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const client = async () => {
    while (performance.now() < until) {
      await mix.run(performance.now());
      done++;
    }
  };
  await Promise.all(Array.from({ length: 32 }, client));
  return done / seconds;
}

/** Starts `rate` actions a second on schedule, handing each outcome to `record`, until `ms` have passed. */
async function drive(mix: SoakLoad, rate: number, ms: number, record: (o: Outcome) => void): Promise<void> {
  const start = performance.now();
  let started = 0;
  const inFlight = new Set<Promise<void>>();
  while (performance.now() - start < ms) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; started < due; started++) {
      const scheduledAt = start + (started / rate) * 1000;
      const p: Promise<void> = mix.run(scheduledAt).then(record);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await sleep(5);
  }
  await Promise.all(inFlight);
}

async function main(): Promise<void> {
  const redis = await startBenchRedis();
  const database = await openBenchDatabase();
  const server = await startServer('service', {
    ...redis.env,
    NODE_ENV: 'production',
    BENCH_USER_SCOPES: 'items:read items:write',
    BENCH_CONFIG: JSON.stringify({ MAX_SESSIONS_PER_USER: '1000' }),
    ...(database ? { BENCH_PG_URL: database.url, BENCH_PG_SCHEMA: database.schemaFor('soak') } : {}),
  });
  const mix = new SoakLoad(server.origin, server.itemIds, { username: USERNAME, password: PASSWORD });
  try {
    await mix.init(Number(args.sessions));
    const max = await probe(mix, Number(args['probe-seconds']));
    const rate = Math.max(1, Math.round(max * load));
    console.log(`database: ${database?.label ?? 'PGlite (in memory)'}`);
    console.log(`maximum of the mix: ${fmtInt(max)} actions/s; soaking at ${fmtInt(rate)}/s for ${minutes} min`);
    const rows: Minute[] = [];
    const failures = new Map<string, number>();
    for (let m = 1; m <= minutes; m++) {
      const latencies: number[] = [];
      let failed = 0;
      await drive(mix, rate, 60_000, (o) => {
        latencies.push(o.ms);
        if (o.failure) {
          failed++;
          failures.set(o.failure, (failures.get(o.failure) ?? 0) + 1);
        }
      });
      latencies.sort((a, b) => a - b);
      const stats = await server.stats();
      const row = {
        minute: m,
        requests: latencies.length,
        failures: failed,
        p50: Math.round(quantile(latencies, 0.5) * 10) / 10,
        p99: Math.round(quantile(latencies, 0.99) * 10) / 10,
        rssMiB: mib(stats.rss),
        heapMiB: mib(stats.heapUsed),
      };
      rows.push(row);
      console.log(
        `minute ${m}${m === 1 ? ' (warm-up)' : ''}: ${fmtInt(row.requests)} requests, ${row.failures} failed, ` +
          `p50 ${row.p50} ms, p99 ${row.p99} ms, RSS ${row.rssMiB} MiB, heap ${row.heapMiB} MiB`,
      );
    }
    report(rows, { max, rate, failures, database: database?.label ?? 'PGlite (in memory)' });
  } finally {
    mix.close();
    await server.stop();
    await redis.server.stop();
    await database?.cleanup();
  }
}

function report(rows: Minute[], run: { max: number; rate: number; failures: Map<string, number>; database: string }) {
  const measured = rows.slice(1);
  const lines: string[] = [];
  if (measured.length === 0) lines.push('verdicts: need at least 2 minutes (the first is the warm-up)');
  else {
    const first = measured[0]!;
    const last = measured[measured.length - 1]!;
    const growth = (rows[rows.length - 1]!.rssMiB - rows[0]!.rssMiB) / rows[0]!.rssMiB;
    const heapGrowth = (last.heapMiB - rows[0]!.heapMiB) / rows[0]!.heapMiB;
    const rssMax = Math.max(...measured.map((r) => r.rssMiB));
    const heapMax = Math.max(...measured.map((r) => r.heapMiB));
    const failed = measured.reduce((n, r) => n + r.failures, 0);
    const tail = last.p99 / first.p99;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    lines.push(
      `RSS growth after the warm-up: ${(growth * 100).toFixed(1)} % (${rows[0]!.rssMiB} -> ${last.rssMiB} MiB)  < 10 %  ${verdict(growth < 0.1)}`,
      `RSS after the warm-up: ${rssMax} MiB at most  < 160 MiB  ${verdict(rssMax < 160)}`,
      `V8 heap used growth after the warm-up: ${(heapGrowth * 100).toFixed(1)} % (${rows[0]!.heapMiB} -> ${last.heapMiB} MiB; ${heapMax} MiB at most)`,
      `failed requests after the warm-up: ${failed}  = 0  ${verdict(failed === 0)}`,
      `last minute's p99 / first measured minute's: ${tail.toFixed(2)}x (${last.p99} / ${first.p99} ms)  <= 1.5x  ${verdict(tail <= 1.5)}`,
      `median p99 over the measured minutes: ${median(measured.map((r) => r.p99))} ms`,
    );
  }
  for (const [what, n] of run.failures) lines.push(`failure x${n}: ${what}`);
  console.log(lines.join('\n'));
  const dir = process.env.BENCH_HTTP_RESULTS_DIR ?? path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ ...run, failures: Object.fromEntries(run.failures), rows, lines }, null, 2));
  console.log(`results in ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
