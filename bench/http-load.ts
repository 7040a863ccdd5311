/**
 * bench:http's client side: one measured run of a scenario (wrk, or autocannon without it, with the
 * server's CPU, GC and response counts around it), and the single requests that check a
 * scenario's answers before and after its runs.
 */
import type { Redis } from 'ioredis';
import { type Load, type Run, requestOf, rotationOf, type Scenario, settings, sleep, sum } from './http-common';
import { autocannonLoad } from './load-autocannon';
import { wrkLoad } from './load-wrk';
import { LOAD_CPU, pinningPlan } from './pinning';
import { cpuTimeUs, PASSWORD, USERNAME } from './servers';

/** The CPU wrk is pinned to (autocannon runs in this process, pinned by http.ts). */
const wrkCpu = pinningPlan().pin ? LOAD_CPU : undefined;

/** One run of the load generator the settings name. */
function load(s: Scenario, seconds: number): Promise<Load> {
  const { connections } = settings;
  return settings.loadgen === 'wrk'
    ? wrkLoad(s, { seconds, connections, cpu: wrkCpu })
    : autocannonLoad(s, { seconds, connections });
}

/** The counts in `after` that grew since `before`, by how much. */
function growth(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v > (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

/**
 * A warm-up run, then the measured run (the server watching its GC meanwhile); then checks that
 * every answer the server wrote had the scenario's status, that it still answers as it should, and
 * looks for X-Cache values other than the expected one and for fill locks left in Redis.
 */
export async function measure(s: Scenario, client: Redis): Promise<Run> {
  await s.refresh?.();
  if (settings.warmup > 0) await load(s, settings.warmup);
  const before = await s.server.stats();
  await s.server.startRun();
  const cpu0 = cpuTimeUs(s.server.pid);
  const run = await load(s, settings.duration);
  const cpu1 = cpuTimeUs(s.server.pid);
  const gcMs = (await s.server.stats()).gcMs - before.gcMs;
  const gc = await s.server.stopRun();
  // The load generator stops with requests in flight: wait until the server has answered them (its
  // count stops moving), then for the fire-and-forget unlocks, before looking for fill locks.
  let after = await s.server.stats();
  for (let i = 0, seen = -1; i < 30 && sum(Object.values(after.status)) !== seen; i++) {
    seen = sum(Object.values(after.status));
    await sleep(100);
    after = await s.server.stats();
  }
  await sleep(200);
  const xCache = growth(before.xCache, after.xCache);
  const status = growth(before.status, after.status);
  const answered = sum(Object.values(status));
  const problems = await verify(s, 8, 'after');
  const unexpected = answered - (status[s.status] ?? 0);
  const written = Object.entries(status).map(([code, n]) => `${n} × ${code}`);
  if (unexpected)
    problems.push(`${unexpected} answers other than ${s.status} (the server wrote ${written.join(', ')})`);
  const errors = Object.entries(run.errors).map(([k, n]) => `${n} ${k}`);
  if (errors.length) problems.push(`socket errors/timeouts: ${errors.join(', ')}`);
  const warnings: string[] = [];
  if (s.xCache && (xCache[s.xCache] ?? 0) < 0.99 * answered)
    warnings.push(`X-Cache during the run: ${mix(xCache)}, expected ${s.xCache}`);
  const locks = (await client.keys('cache:*:lock')).length;
  if (locks) warnings.push(`${locks} fill lock(s) left in Redis after every request was answered`);
  const { requests, rps, p50, p99, max, loadgenPct } = run;
  return {
    requests,
    rps,
    p50,
    p99,
    max,
    cpuUs: (cpu1 - cpu0) / requests,
    gcPct: (100 * gcMs) / (run.elapsedS * 1e3),
    gc: { ...gc, promotedPerRequest: gc.promoted / Math.max(1, answered) },
    loadgenPct,
    xCache,
    problems,
    warnings,
  };
}

/** Sends `n` requests over the scenario's paths, one at a time; returns what did not match. */
export async function verify(s: Scenario, n: number, when: string): Promise<string[]> {
  const problems = new Set<string>();
  const spread = rotationOf(s);
  for (let i = 0; i < n; i++) {
    const { path: p, headers } = requestOf(s, Math.floor((i * spread) / n));
    let res = await get(s.server.origin, p, headers);
    // BYPASS: the cache answered later than CACHE_TIMEOUT_MS (a GC pause on a busy machine is
    // enough), which says nothing of what it answers: ask again, a few times.
    for (let retry = 0; retry < 3 && res.xCache === 'BYPASS'; retry++) res = await get(s.server.origin, p, headers);
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
