/**
 * `npm run bench:ab -- <git-rev>`: this tree's cached read (B) against the same read at another
 * revision (A), measured in one run. A is a git worktree of the revision (ab-tree.ts); each side's
 * server is its own tree's bench/server.ts, started as bench:http starts the cached scenario's
 * (servers.ts: package.json's start flags and allocator environment, service-env.ts's config, no
 * OTEL_* variables, pinned to the server CPU), on one private redis-server, on PGlite or on
 * PostgreSQL as bench:http chooses. Rounds alternate the order, A B, B A, A B, …, so a drift in the
 * machine's load favours neither side; each round's B ÷ A is taken within the round, and the
 * medians are reported. The measured run and its checks are bench:http's (http-load.ts).
 * Knobs: BENCH_AB_ROUNDS (default 8), and bench:http's BENCH_HTTP_DURATION, _WARMUP,
 * _CONNECTIONS, _PIN, _LOADGEN, _NODE_ENV, _RESULTS_DIR and database URLs. Report: ab-report.ts.
 */
import path from 'node:path';
import { Redis } from 'ioredis';
import { type AbResults, abLines, writeAbResults } from './ab-report';
import { checkoutTree, type Tree, thisTree } from './ab-tree';
import { type BenchDatabase, openBenchDatabase } from './bench-postgres';
import { type Run, type Scenario, settings } from './http-common';
import { measure } from './http-load';
import { cachedReadScenario, verifyScenarios } from './http-scenarios';
import { LOAD_CPU, pinningPlan, pinProcess, SERVER_CPU } from './pinning';
import { startBenchRedis, startServer, stopAllServers } from './servers';

const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 8);

async function main(): Promise<void> {
  const rev = process.argv[2];
  if (!rev || rev.startsWith('-')) throw new Error('usage: npm run bench:ab -- <git-rev>');
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error('BENCH_AB_ROUNDS must be a positive integer');
  process.once('SIGINT', () => process.exit(130)); // runs the exit hooks: servers, Redis, the worktree
  const pinning = pinningPlan();
  if (pinning.pin) pinProcess(process.pid, LOAD_CPU);
  const tree = checkoutTree(rev);
  const redis = await startBenchRedis();
  const client = new Redis({ host: redis.server.host, port: redis.server.port, password: redis.server.password });
  if (pinning.pin) pinProcess(Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]), LOAD_CPU);
  let database: BenchDatabase | undefined;
  try {
    database = await openBenchDatabase();
    const dbName = database ? 'PostgreSQL' : 'PGlite';
    const start = async (side: 'a' | 'b', label: string, script?: string): Promise<Scenario> => {
      const db: Record<string, string> = database
        ? { BENCH_PG_URL: database.url, BENCH_PG_SCHEMA: database.schemaFor(`ab_${side}`) }
        : {};
      const env = { ...redis.env, NODE_ENV: settings.nodeEnv, ...db };
      const server = await startServer('service', env, { cpu: pinning.pin ? SERVER_CPU : undefined, script });
      return cachedReadScenario('cached', label, server, dbName);
    };
    const b0 = thisTree();
    const a = await start('a', `A ${tree.sha.slice(0, 8)}`, path.join(tree.dir, 'bench', 'server.ts'));
    const b = await start('b', `B ${b0.sha.slice(0, 8)}${b0.dirty ? '+changes' : ''} (this tree)`);
    await verifyScenarios([a, b]);
    const runs = { a: [] as Run[], b: [] as Run[] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      for (const side of order) runs[side].push(await measure(side === 'a' ? a : b, client));
      const ratio = runs.b[r]!.rps / runs.a[r]!.rps;
      process.stderr.write(`round ${r + 1}/${rounds} (${order.join(' ').toUpperCase()}): B ÷ A ${ratio.toFixed(3)}\n`);
    }
    const results = resultsOf(tree, [a, b], runs, pinning.why, database?.label ?? 'in-memory PGlite in each server');
    const file = writeAbResults(settings.resultsDir, results);
    process.stdout.write(`\n${abLines(results).join('\n')}\n\n(results in ${file} and ab-latest.json)\n`);
    if (results.sides.some((s) => s.problems.length)) process.exitCode = 1;
  } finally {
    await stopAllServers();
    client.disconnect();
    await redis.server.stop();
    for (const p of (await database?.cleanup()) ?? []) process.stderr.write(`WARNING: ${p}\n`);
  }
}

function resultsOf(
  tree: Tree,
  [a, b]: Scenario[],
  runs: { a: Run[]; b: Run[] },
  pinning: string,
  database: string,
): AbResults {
  const here = thisTree();
  const side = (s: Scenario, rs: Run[]) => ({
    label: s.label,
    runs: rs,
    problems: [...new Set(rs.flatMap((r) => r.problems))],
    warnings: [...new Set(rs.flatMap((r) => r.warnings))],
  });
  return {
    date: new Date().toISOString(),
    a: { rev: process.argv[2]!, sha: tree.sha, subject: tree.subject, nodeModules: tree.nodeModules },
    b: { sha: here.sha, dirty: here.dirty },
    startScriptsDiffer: tree.startScript !== here.startScript,
    settings: { rounds, duration: settings.duration, warmup: settings.warmup, connections: settings.connections },
    loadgen: settings.loadgen,
    pinning,
    database,
    sides: [side(a!, runs.a), side(b!, runs.b)],
  };
}

main().catch((err) => {
  process.stderr.write(`bench:ab failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
