/**
 * The load generator of scripts/bench-http.ts: wrk when it is on PATH (`wrk -t1 -cN -dSs --latency`,
 * with a Lua script for the headers and rotating paths), else autocannon (a devDependency) driven
 * through its API in the bench's own process, which serves nothing (every server is a child).
 *
 * Both report requests/s over the measured run and p50/p99 latency of every response. For
 * autocannon the latencies are taken from its `response` events (float ms, exact percentiles): its
 * own histogram rounds to whole milliseconds, too coarse for a 1–3 ms median.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuTimeMs } from './children';

export interface LoadSpec {
  /** e.g. http://127.0.0.1:1234 */
  origin: string;
  /** One path, or several that successive requests rotate through. */
  paths: string[];
  headers: Record<string, string>;
  connections: number;
  durationSec: number;
}

export interface LoadResult {
  requests: number;
  /** Measured wall time of the run. */
  durationSec: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses outside 2xx. */
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** CPU time the load generator used during the run (ms), when known. */
  cpuMs: number | undefined;
}

export interface LoadGenerator {
  name: string;
  run(spec: LoadSpec): Promise<LoadResult>;
}

/** `BENCH_HTTP_LOADGEN`: auto (wrk if on PATH), wrk or autocannon. */
export function pickLoadGenerator(choice = 'auto'): LoadGenerator {
  const wrk = wrkVersion();
  if (choice === 'wrk' && !wrk) throw new Error('BENCH_HTTP_LOADGEN=wrk but wrk is not on PATH');
  if (choice !== 'autocannon' && wrk) return wrkGenerator(wrk);
  return autocannonGenerator();
}

// ---------------------------------------------------------------------------------------------
// wrk

function wrkVersion(): string | undefined {
  try {
    // `wrk -v` prints its banner and exits 1.
    execFileSync('wrk', ['-v'], { stdio: 'pipe' });
  } catch (err) {
    const e = err as { code?: string; stdout?: Buffer; stderr?: Buffer };
    if (e.code === 'ENOENT') return undefined;
    const banner = `${e.stdout ?? ''}${e.stderr ?? ''}`.split('\n')[0]?.trim();
    return banner || 'wrk';
  }
  return 'wrk';
}

const luaString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function wrkGenerator(banner: string): LoadGenerator {
  return {
    name: `${banner.replace(/\s*\[.*$/, '')} (-t1)`,
    async run(spec) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'specgate-wrk-'));
      try {
        const lua: string[] = [];
        for (const [k, v] of Object.entries(spec.headers)) lua.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
        if (spec.paths.length > 1) {
          lua.push('local paths = {', ...spec.paths.map((p) => `  ${luaString(p)},`), '}');
          lua.push('local n = #paths', 'local i = 0');
          lua.push('request = function()', '  i = i + 1', '  return wrk.format(nil, paths[(i % n) + 1])', 'end');
        }
        const script = path.join(dir, 'bench.lua');
        writeFileSync(script, `${lua.join('\n')}\n`);
        const args = ['-t1', `-c${spec.connections}`, `-d${spec.durationSec}s`, '--latency', '--timeout', '10s', '-s', script, `${spec.origin}${spec.paths[0]}`];
        const started = process.hrtime.bigint();
        const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        // wrk's CPU time: sampled from /proc while it runs (the last sample before it exits).
        let cpuMs: number | undefined;
        const poll = setInterval(() => (cpuMs = cpuTimeMs(child.pid!) ?? cpuMs), 200);
        const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
        clearInterval(poll);
        const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
        if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`);
        return { ...parseWrk(out, elapsed), cpuMs };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 };

function parseWrk(out: string, elapsed: number): Omit<LoadResult, 'cpuMs'> {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`wrk output has no ${p}% latency:\n${out}`);
    return Number(m[1]) * UNIT_MS[m[2]!]!;
  };
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)/m.exec(out);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  if (!total || !rps) throw new Error(`cannot parse wrk output:\n${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sock ? sock.slice(1).reduce((s, v) => s + Number(v), 0) : 0;
  const durationSec = (Number(total[2]) * UNIT_MS[total[3]!]!) / 1e3 || elapsed;
  return { requests: Number(total[1]), durationSec, rps: Number(rps[1]), p50Ms: pct('50'), p99Ms: pct('99'), non2xx, errors };
}

// ---------------------------------------------------------------------------------------------
// autocannon

interface AutocannonRequest {
  method?: string;
  path?: string;
  setupRequest?: (req: { path: string }) => { path: string };
}
interface AutocannonInstance {
  on(event: 'response', fn: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
}
interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (
  opts: { url: string; connections: number; duration: number; headers: Record<string, string>; requests?: AutocannonRequest[]; timeout: number; pipelining: number },
  done: (err: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

function autocannonGenerator(): LoadGenerator {
  const autocannon = require('autocannon') as Autocannon;
  const version = (require('autocannon/package.json') as { version: string }).version;
  return {
    name: `autocannon ${version} (API, in the bench process, 1 thread)`,
    async run(spec) {
      let latencies = new Float64Array(1 << 17);
      let n = 0;
      let non2xx = 0;
      let i = 0;
      const paths = spec.paths;
      const requests: AutocannonRequest[] | undefined =
        paths.length > 1
          ? [{ method: 'GET', setupRequest: (req) => ((req.path = paths[i++ % paths.length]!), req) }]
          : undefined;
      const cpuBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      const result = await new Promise<AutocannonResult>((resolve, reject) => {
        const instance = autocannon(
          { url: `${spec.origin}${paths[0]}`, connections: spec.connections, duration: spec.durationSec, headers: spec.headers, requests, timeout: 10, pipelining: 1 },
          (err, res) => (err ? reject(err) : resolve(res)),
        );
        instance.on('response', (_client, statusCode, _bytes, responseTime) => {
          if (statusCode < 200 || statusCode > 299) non2xx++;
          if (n === latencies.length) {
            const grown = new Float64Array(latencies.length * 2);
            grown.set(latencies);
            latencies = grown;
          }
          latencies[n++] = responseTime;
        });
      });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpuBefore);
      const sorted = latencies.subarray(0, n).sort();
      const at = (q: number) => (n === 0 ? NaN : sorted[Math.min(n - 1, Math.floor(q * n))]!);
      return {
        requests: n,
        durationSec: elapsed,
        rps: n / elapsed,
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        non2xx,
        errors: result.errors + result.timeouts,
        cpuMs: (cpu.user + cpu.system) / 1e3,
      };
    },
  };
}
