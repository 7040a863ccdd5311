/**
 * bench:http's client side: one measured run of a scenario (autocannon's API in this process, with
 * the server's CPU, GC time and X-Cache counts around it), and the single requests that check a
 * scenario's answers before and after its runs.
 */
import type { Redis } from 'ioredis';
import { type Run, type Scenario, settings, sleep, sum } from './http-common';
import { cpuTimeUs, PASSWORD, USERNAME } from './servers';

/**
 * A warm-up run, then the measured run; then checks the scenario still answers as it should, and
 * looks for X-Cache values other than the expected one and for fill locks left in Redis.
 */
export async function measure(s: Scenario, client: Redis): Promise<Run> {
  await s.refresh?.();
  if (settings.warmup > 0) await load(s, settings.warmup);
  const before = await s.server.stats();
  const cpu0 = cpuTimeUs(s.server.pid);
  const run = await load(s, settings.duration);
  const cpu1 = cpuTimeUs(s.server.pid);
  const gcMs = (await s.server.stats()).gcMs - before.gcMs;
  // autocannon stops with requests in flight: wait until the server has answered them (its count
  // stops moving), then for the fire-and-forget unlocks, before looking for fill locks.
  let after = await s.server.stats();
  for (let i = 0, seen = -1; i < 30 && sum(Object.values(after.xCache)) !== seen; i++) {
    seen = sum(Object.values(after.xCache));
    await sleep(100);
    after = await s.server.stats();
  }
  await sleep(200);
  const xCache: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.xCache))
    if (v > (before.xCache[k] ?? 0)) xCache[k] = v - (before.xCache[k] ?? 0);
  const problems = await verify(s, 8, 'after');
  if (run.unexpected) problems.push(`${run.unexpected} answers other than ${s.status}`);
  if (run.errors) problems.push(`${run.errors} socket errors/timeouts`);
  const warnings: string[] = [];
  const answered = sum(Object.values(xCache));
  if (s.xCache && (xCache[s.xCache] ?? 0) < 0.99 * answered)
    warnings.push(`X-Cache during the run: ${mix(xCache)}, expected ${s.xCache}`);
  const locks = (await client.keys('cache:*:lock')).length;
  if (locks) warnings.push(`${locks} fill lock(s) left in Redis after every request was answered`);
  const { requests, rps, p50, p99, loadgenPct } = run;
  const [cpuUs, gcPct] = [(cpu1 - cpu0) / requests, (100 * gcMs) / (run.elapsedS * 1e3)];
  return { requests, rps, p50, p99, cpuUs, gcPct, loadgenPct, xCache, problems, warnings };
}

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

/** One autocannon run (its API, in this process) against the scenario's server. */
async function load(s: Scenario, seconds: number) {
  const latencies: number[] = []; // autocannon's own histogram has 1 ms resolution
  let unexpected = 0; // autocannon counts a 304 as non-2xx: count against the scenario's status instead
  let i = 0;
  const rotate = (req: { path: string }) => {
    req.path = s.paths[i++ % s.paths.length]!;
    return req;
  };
  const requests = s.paths.length > 1 ? [{ method: 'GET', setupRequest: rotate }] : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await new Promise<Parameters<Parameters<Autocannon>[1]>[1]>((resolve, reject) => {
    const opts = {
      url: `${s.server.origin}${s.paths[0]}`,
      connections: settings.connections,
      duration: seconds,
      headers: s.headers,
      requests,
      timeout: 10,
    };
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))).on('response', (_c, status, _bytes, ms) => {
      latencies.push(ms);
      if (status !== s.status) unexpected++;
    });
  });
  const elapsedS = (performance.now() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    rps: latencies.length / elapsedS,
    p50: at(0.5),
    p99: at(0.99),
    loadgenPct: (cpu.user + cpu.system) / 1e4 / elapsedS,
    elapsedS,
    unexpected,
    errors: result.errors + result.timeouts,
  };
}

/** Sends `n` requests over the scenario's paths, one at a time; returns what did not match. */
export async function verify(s: Scenario, n: number, when: string): Promise<string[]> {
  const problems = new Set<string>();
  for (let i = 0; i < n; i++) {
    const p = s.paths[Math.floor((i * s.paths.length) / n)]!;
    const res = await get(s.server.origin, p, s.headers);
    if (res.status !== s.status) problems.add(`${when}: GET ${p} answered ${res.status}, expected ${s.status}`);
    if (s.xCache && res.xCache !== s.xCache)
      problems.add(`${when}: X-Cache ${res.xCache ?? '(none)'}, expected ${s.xCache}`);
    const bad = res.status === s.status ? s.check(res.body, p) : undefined;
    if (bad) problems.add(`${when}: ${bad}`);
  }
  return [...problems];
}

/** One GET: its status, X-Cache, ETag and body. */
export async function get(origin: string, p: string, headers: Record<string, string>) {
  const res = await fetch(`${origin}${p}`, { headers });
  const header = (name: string) => res.headers.get(name) ?? undefined;
  return { status: res.status, xCache: header('x-cache'), etag: header('etag'), body: await res.text() };
}

/** A password-grant login as the bench user (items:read); resolves to the Authorization header. */
export async function login(origin: string): Promise<Record<string, string>> {
  const res = await fetch(`${origin}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: USERNAME, password: PASSWORD, scope: 'items:read' }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
  return { authorization: `Bearer ${body.access_token}` };
}

/** e.g. "HIT 100%" or "MISS 92.3% BYPASS 7.7%"; "-" when the server sends no X-Cache. */
export const mix = (counts: Record<string, number>) => {
  const total = sum(Object.values(counts));
  const parts = Object.entries(counts)
    .filter(([k]) => k !== '-')
    .sort((a, b) => b[1] - a[1]);
  return parts.map(([k, v]) => `${k} ${((100 * v) / total).toFixed(v === total ? 0 : 1)}%`).join(' ') || '-';
};
