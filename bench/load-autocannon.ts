/**
 * autocannon as bench:http's load generator, when wrk is not on PATH (or BENCH_HTTP_LOADGEN says
 * so): its API in the bench process, which is pinned to the load CPU (pinning.ts). It shares that
 * core with redis-server and costs far more CPU per request than wrk, so it saturates sooner: the
 * loadgen CPU % column says when it did.
 */
import { type Load, requestOf, rotationOf, type Scenario } from './http-common';

type Autocannon = (
  opts: {
    url: string;
    connections: number;
    duration: number;
    headers: Record<string, string>;
    requests?: unknown[];
    timeout: number;
  },
  done: (err: Error | null, result: { errors: number; timeouts: number }) => void,
) => { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void };
const autocannon = require('autocannon') as Autocannon;

/** One autocannon run of `seconds` with `connections` against the scenario's server. */
export async function autocannonLoad(s: Scenario, opts: { seconds: number; connections: number }): Promise<Load> {
  const latencies: number[] = []; // autocannon's own histogram has 1 ms resolution
  let i = 0;
  const rotate = (req: { path: string; headers: Record<string, string> }) => {
    const next = requestOf(s, i++);
    req.path = next.path;
    req.headers = next.headers;
    return req;
  };
  const requests = rotationOf(s) > 1 ? [{ method: 'GET', setupRequest: rotate }] : undefined;
  const first = requestOf(s, 0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await new Promise<Parameters<Parameters<Autocannon>[1]>[1]>((resolve, reject) => {
    const run = autocannon(
      {
        url: `${s.server.origin}${first.path}`,
        connections: opts.connections,
        duration: opts.seconds,
        headers: first.headers,
        requests,
        timeout: 10,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    run.on('response', (_c, _status, _bytes, ms) => latencies.push(ms));
  });
  const elapsedS = (performance.now() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const errors = Object.fromEntries(
    Object.entries({ socket: result.errors - result.timeouts, timeout: result.timeouts }).filter(([, n]) => n > 0),
  );
  return {
    requests: latencies.length,
    elapsedS,
    rps: latencies.length / elapsedS,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1) ?? NaN,
    loadgenPct: (cpu.user + cpu.system) / 1e4 / elapsedS,
    errors,
  };
}
