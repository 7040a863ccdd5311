/**
 * CPU pinning for bench:http, as the performance targets were first measured: each server on CPU 0,
 * redis-server, the bench process and the load generator (wrk, or autocannon in the bench process)
 * on CPU 1, so a server never shares its core with the load that drives it. Needs `taskset` (util-linux) on PATH and at least 2 CPUs; BENCH_HTTP_PIN=0 turns it off.
 * PostgreSQL (a system service, not started by the bench) is not pinned.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The CPU every server runs on. */
export const SERVER_CPU = 0;
/** The CPU of redis-server, of the bench process and of the load generator (wrk or autocannon). */
export const LOAD_CPU = 1;

/** The path of `command` on PATH, or undefined. */
export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Whether this run pins, and if not, why not. */
export function pinningPlan(): { pin: boolean; why: string } {
  if (process.env.BENCH_HTTP_PIN === '0') return { pin: false, why: 'off (BENCH_HTTP_PIN=0)' };
  if (os.availableParallelism() < 2) return { pin: false, why: 'off (fewer than 2 CPUs)' };
  if (!onPath('taskset')) return { pin: false, why: 'off (no taskset on PATH)' };
  return {
    pin: true,
    why: `servers on CPU ${SERVER_CPU}; redis-server, this process and the load generator on CPU ${LOAD_CPU}; PostgreSQL not pinned`,
  };
}

/** `command args…` run through `taskset -c <cpu>` when `cpu` is given: pinned from its first instruction. */
export function pinnedCommand(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  return cpu === undefined ? [command, args] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/** Pins a running process and all its threads (`taskset -a`: libuv and V8 threads too) to `cpu`. */
export function pinProcess(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}
