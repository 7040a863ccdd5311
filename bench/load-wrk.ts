/**
 * wrk as bench:http's load generator: a C process of its own (`wrk -t1`, one event-loop thread),
 * so the load costs a fraction of what autocannon costs on the load CPU. One run is one wrk
 * process, pinned like the rest of the load (pinning.ts), driven by a Lua script written for it:
 *  - one request: wrk's static request (the path in the URL, the headers set in `init`);
 *  - a rotation (the miss scenario's paths, the sessions scenario's tokens): `request()` hands out
 *    the next of a table of requests formatted once, in `init`, with `wrk.format`;
 *  - `done()` prints one JSON line (requests, duration, socket errors, latency percentiles in µs),
 *    then waits for a line on stdin: wrk's CPU time is read from /proc while it still exists.
 * No `response()` callback (it makes wrk parse every response in Lua): the server counts the
 * statuses it writes (child.ts), and that count is what the checks use.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Load, requestOf, rotationOf, type Scenario } from './http-common';
import { pinnedCommand } from './pinning';
import { cpuTimeUs } from './servers';

/** What wrk's done() prints before its JSON. */
const MARK = 'BENCH_WRK_RESULT ';

/**
 * A Lua string literal: printable ASCII as is, every other byte (and quote, backslash) as \ddd,
 * always three digits (a shorter one would take the digit after it along: "\341").
 */
function lua(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8'))
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  return `${out}"`;
}

const luaTable = (h: Record<string, string>) =>
  `{ ${Object.entries(h)
    .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
    .join(', ')} }`;

/** The Lua script of a scenario: its requests, and the done() that reports. */
export function wrkScript(s: Scenario): string {
  const n = rotationOf(s);
  const requests = Array.from({ length: n }, (_, i) => requestOf(s, i));
  const lines = [
    '-- written by bench/load-wrk.ts for one run',
    n === 1
      ? `function init(args) for k, v in pairs(${luaTable(s.headers)}) do wrk.headers[k] = v end end`
      : [
          'local specs = {',
          ...requests.map((r) => `  { ${lua(r.path)}, ${luaTable(r.headers)} },`),
          '}',
          'local reqs, n = {}, 0',
          'function init(args)',
          '  for i, spec in ipairs(specs) do reqs[i] = wrk.format("GET", spec[1], spec[2]) end',
          '  specs = nil',
          'end',
          'function request()',
          '  n = n % #reqs + 1',
          '  return reqs[n]',
          'end',
        ].join('\n'),
    'function done(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('${MARK}{"requests":%d,"duration":%d,"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"p50":%.0f,"p99":%.0f,"max":%.0f}\\n',`,
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,',
    '    latency:percentile(50), latency:percentile(99), latency.max))',
    '  io.stdout:flush()',
    '  io.read("*l")',
    'end',
  ];
  return `${lines.join('\n')}\n`;
}

interface WrkSummary {
  requests: number;
  /** µs. */
  duration: number;
  errors: Record<string, number>;
  /** µs. */
  p50: number;
  p99: number;
  max: number;
}

/** One wrk run of `seconds` (whole seconds: wrk takes no fractions) with `connections`, pinned to `cpu`. */
export async function wrkLoad(
  s: Scenario,
  opts: { seconds: number; connections: number; cpu: number | undefined },
): Promise<Load> {
  if (!Number.isInteger(opts.seconds)) throw new Error(`wrk runs whole seconds, not ${opts.seconds}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'specgate-wrk-'));
  try {
    const script = path.join(dir, 'run.lua');
    writeFileSync(script, wrkScript(s));
    const url = `${s.server.origin}${requestOf(s, 0).path}`;
    const wrkArgs = ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--timeout', '10s', '-s', script, url];
    return await runWrk(...pinnedCommand(opts.cpu, 'wrk', wrkArgs));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spawns wrk, reads its CPU time when done() reports, then lets it exit. */
function runWrk(command: string, args: string[]): Promise<Load> {
  const t0 = performance.now();
  // taskset execs wrk in place: the pid is wrk's.
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise<Load>((resolve, reject) => {
    let out = '';
    let load: Load | undefined;
    child.on('error', reject);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const at = out.indexOf(MARK);
      const end = out.indexOf('\n', at);
      if (load || at < 0 || end < 0) return;
      const elapsedS = (performance.now() - t0) / 1e3;
      const cpuUs = cpuTimeUs(child.pid!);
      const w = JSON.parse(out.slice(at + MARK.length, end)) as WrkSummary;
      load = {
        requests: w.requests,
        elapsedS,
        rps: w.requests / (w.duration / 1e6),
        p50: w.p50 / 1e3,
        p99: w.p99 / 1e3,
        max: w.max / 1e3,
        loadgenPct: cpuUs / 1e4 / elapsedS,
        errors: Object.fromEntries(Object.entries(w.errors).filter(([, n]) => n > 0)),
      };
      child.stdin.end('\n');
    });
    child.on('exit', (code, signal) => {
      if (load) resolve(load);
      else reject(new Error(`wrk exited (${code ?? signal}) without its summary:\n${out}`));
    });
  });
}
