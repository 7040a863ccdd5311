/**
 * Summarises a V8 .cpuprofile (as written by child-protocol.ts, with TypeScript positions added):
 * self time by function and by module (src file, npm package, node internals, GC), and inclusive
 * time of the functions in src/, each as a share of the busy (non-idle) samples.
 *
 * Also usable alone: `npx tsx scripts/bench/cpuprofile-summary.ts <file.cpuprofile> [top] [requests]`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; originalUrl?: string; originalLine?: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const ROOT = path.resolve(__dirname, '..', '..');

function shortPath(url: string): string {
  let p = url.replace(/^file:\/\//, '');
  if (p.startsWith(`${ROOT}/`)) p = p.slice(ROOT.length + 1);
  return p;
}

/** `src/cache/http-cache.ts:HttpCache.read:97` style name of a frame. */
function frameName(f: ProfileNode['callFrame']): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name; // (program), (garbage collector), (idle), native
  const file = shortPath(f.originalUrl ?? f.url);
  const line = f.originalLine ?? f.lineNumber + 1;
  return `${file}:${name}:${line}`;
}

/** The module a frame belongs to: a src/scripts file, an npm package, node internals or V8. */
function moduleOf(f: ProfileNode['callFrame']): string {
  if (!f.url) return f.functionName.startsWith('(') ? f.functionName : '(native / V8 builtins)';
  const p = shortPath(f.originalUrl ?? f.url);
  const nm = p.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = p.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (p.startsWith('node:')) return 'node: internals';
  return p;
}

/**
 * `requests`: how many requests the server answered while profiled; shares are then also shown as
 * main-thread µs per request.
 */
export function summariseProfile(file: string, top = 25, requests?: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Weight of sample k: the time until the next sample (the last one gets the median interval).
  const deltas = profile.timeDeltas;
  const weights = profile.samples.map((_, k) => (k + 1 < deltas.length ? deltas[k + 1]! : 0));
  const sortedDeltas = [...deltas].sort((a, b) => a - b);
  if (weights.length) weights[weights.length - 1] = sortedDeltas[Math.floor(sortedDeltas.length / 2)] ?? 0;

  const self = new Map<string, number>();
  const modules = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const moduleInclusive = new Map<string, number>();
  // For frames without a script (C++ bindings, builtins): which JS function called them.
  const nativeCallers = new Map<string, Map<string, number>>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, k) => {
    const w = Math.max(0, weights[k]!);
    const node = byId.get(id)!;
    total += w;
    if (node.callFrame.functionName === '(idle)') {
      idle += w;
      return;
    }
    const key = frameName(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + w);
    if (!node.callFrame.url && !key.startsWith('(')) {
      let up = parent.get(id);
      while (up !== undefined && !byId.get(up)!.callFrame.url && byId.get(up)!.callFrame.functionName !== '(root)') up = parent.get(up);
      const caller = up === undefined ? '(root)' : frameName(byId.get(up)!.callFrame);
      const m = nativeCallers.get(key) ?? new Map<string, number>();
      m.set(caller, (m.get(caller) ?? 0) + w);
      nativeCallers.set(key, m);
    }
    const mod = moduleOf(node.callFrame);
    modules.set(mod, (modules.get(mod) ?? 0) + w);
    const seen = new Set<string>();
    const seenModules = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (f.functionName === '(root)') continue;
      const m = moduleOf(f);
      if ((m.startsWith('npm:') || m.startsWith('src/')) && !seenModules.has(m)) {
        seenModules.add(m);
        moduleInclusive.set(m, (moduleInclusive.get(m) ?? 0) + w);
      }
      const name = frameName(f);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + w);
    }
  });
  const busy = total - idle;
  const perRequest = (v: number) => (requests ? `  ${(v / requests).toFixed(1).padStart(6)} µs/req` : '');
  const pct = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)}%${perRequest(v)}`;
  const rows = (m: Map<string, number>, n: number, filter: (k: string) => boolean = () => true) =>
    [...m.entries()]
      .filter(([k]) => filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${pct(v)}  ${k}`);

  const topNative = [...self.entries()]
    .filter(([k]) => nativeCallers.has(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .flatMap(([k, v]) => [`  ${pct(v)}  ${k}, called from:`, ...rows(nativeCallers.get(k)!, 4).map((r) => `      ${r}`)]);

  return [
    `CPU profile ${path.basename(file)} (main thread): ${(total / 1e6).toFixed(2)} s sampled, busy ${((100 * busy) / total).toFixed(1)}% (idle ${((100 * idle) / total).toFixed(1)}%); shares below are of busy time`,
    ...(requests ? [`${requests} requests answered while profiled: ${(busy / requests).toFixed(1)} µs of main-thread time per request`] : []),
    '',
    `inclusive time by package / src file (everything that ran with it on the stack, natives included;`,
    `an await cuts the stack, so work resumed after one counts under the function that resumed):`,
    ...rows(moduleInclusive, 15),
    '',
    `self time by module:`,
    ...rows(modules, 20),
    '',
    `self time by function (top ${top}; file:function:line, TypeScript lines for src/):`,
    ...rows(self, top),
    '',
    `JS callers of the top native frames (C++ bindings and builtins have no script of their own):`,
    ...topNative,
    '',
    `inclusive time of functions in src/ (top 20):`,
    ...rows(inclusive, 20, (k) => k.startsWith('src/')),
  ].join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx scripts/bench/cpuprofile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summariseProfile(file, top ? Number(top) : 25, process.argv[4] ? Number(process.argv[4]) : undefined)}\n`);
}
