/**
 * The lines above bench:http's table: what ran where (machine, load generator, rounds, servers,
 * pinning, database, start-up of the cached service).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import type { BenchDatabase } from './bench-postgres';
import { settings } from './http-common';
import type { Server } from './servers';

/** The load generator and how it runs, e.g. "wrk 4.1.0 (-t1, a process of its own)". */
function loadGeneratorLine(pinned: boolean): string {
  if (settings.loadgen === 'autocannon') {
    const version = (require('autocannon/package.json') as { version: string }).version;
    const why = process.env.BENCH_HTTP_LOADGEN === 'autocannon' ? 'BENCH_HTTP_LOADGEN=autocannon' : 'no wrk on PATH';
    return `load: autocannon ${version} in the bench process${pinned ? ' on the load CPU' : ''} (${why})`;
  }
  // `wrk -v` prints its version on the first line of its usage, and exits 1.
  const banner = spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout ?? '';
  const version = /^wrk (\S+)/.exec(banner)?.[1] ?? '(version unknown)';
  return `load: wrk ${version}, -t1 in a process of its own${pinned ? ' on the load CPU' : ''}, a Lua script per run`;
}

export function headingLines(
  floorBytes: number,
  pinning: { pin: boolean; why: string },
  database: BenchDatabase | undefined,
  cached: Server,
): string[] {
  const cpus = os.cpus();
  const { rounds, warmup, duration, connections, nodeEnv } = settings;
  const phases = Object.entries(cached.phases);
  // What the child's own clock does not see: fork/exec and node's start before its time origin.
  const exec = cached.startupMs - phases.reduce((a, [, ms]) => a + ms, 0);
  const s = (ms: number) => `${(ms / 1e3).toFixed(2)} s`;
  return [
    `bench:http  node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'} (${cpus.length} logical CPUs), load average ${os.loadavg()[0]!.toFixed(1)}`,
    `${loadGeneratorLine(pinning.pin)}; ${connections} connections; ${rounds} round${rounds === 1 ? '' : 's'} of ${warmup} s warm-up + ${duration} s measured per scenario`,
    `servers: one process each; service NODE_ENV=${nodeEnv}, validateResponses off, log silent; floor value ${floorBytes} bytes (the cached item's JSON)`,
    `pinning: ${pinning.why}`,
    `database of the services: ${database?.label ?? 'in-memory PGlite in each server (set BENCH_DATABASE_URL, DATABASE_URL or TEST_DATABASE_URL for PostgreSQL)'}`,
    `start-up of the cached service, spawn to listening: ${s(cached.startupMs)} (exec ${s(exec)}, ${phases.map(([k, ms]) => `${k} ${s(ms)}`).join(', ')}; modules = node + tsx + loading the code)`,
    "medians over the rounds; each round's ratios are to that round's floor",
  ];
}
