/**
 * A server process's garbage collection over one measured run (child.ts starts and stops it on the
 * parent's word): every collection V8 reports to `v8.GCProfiler` with the heap's spaces before and
 * after it, and the V8 heap in use sampled every 100 ms.
 *
 * - Minor GCs (`Scavenge`; `MinorMarkSweep` if V8 is ever run with it) and full ones
 *   (`MarkSweepCompact`): their main-thread pauses, `cost` in µs. Incremental marking steps are
 *   pauses too, but short and many; the GC % column (perf_hooks `gc` entries, child.ts) counts them.
 * - Bytes promoted: what a minor GC moved from the young generation to the old one, i.e. the growth
 *   of every space outside the young generation (old, code, trusted, large objects) across it. A
 *   minor GC only copies into those spaces, never frees from them, so the growth is the promotion.
 */
import { GCProfiler, type GCProfilerResult, getHeapStatistics, setFlagsFromString } from 'node:v8';

/** What {@link stopGcRun} reports: pauses in ms, sizes in bytes. */
export interface GcRun {
  minor: { count: number; p50: number; p99: number; max: number };
  full: { count: number; max: number };
  /** Bytes moved to the old generation by the minor GCs of the run. */
  promoted: number;
  /** V8 heap in use, sampled every 100 ms over the run. */
  heapUsed: { median: number; max: number };
  /** Resident set size when the run stopped. */
  rss: number;
  /** When the run started and stopped, ms on the process's performance clock (≈ `--trace-gc`'s). */
  window: [number, number];
}

const MINOR = new Set(['Scavenge', 'MinorMarkSweep']);
/** The young generation: what a minor GC empties rather than fills. */
const YOUNG = new Set(['new_space', 'new_large_object_space']);

type Collection = GCProfilerResult['statistics'][number];

/**
 * BENCH_TRACE_GC=trace-gc (or trace-gc-nvp): V8's own account of each collection on stdout during
 * the measured runs, to check these figures against (--trace-gc: pause, heap before → after;
 * --trace-gc-nvp: name=value pairs, `promoted=` among them; V8 prints one or the other). V8 reads
 * its trace flags at every collection, so they can be turned on and off.
 */
const TRACE = process.env.BENCH_TRACE_GC;
const trace = (on: boolean) => {
  if (TRACE === 'trace-gc' || TRACE === 'trace-gc-nvp') setFlagsFromString(`--${on ? '' : 'no-'}${TRACE}`);
};

let current: { profiler: GCProfiler; samples: number[]; timer: NodeJS.Timeout; from: number } | undefined;

/** Starts watching (a run already being watched is dropped: the parent's last word counts). */
export function startGcRun(): void {
  if (current) stopWatching(current);
  const samples = [getHeapStatistics().used_heap_size];
  const timer = setInterval(() => samples.push(getHeapStatistics().used_heap_size), 100);
  const profiler = new GCProfiler();
  profiler.start();
  trace(true);
  current = { profiler, samples, timer, from: performance.now() };
}

/** Stops watching and sums the run up; undefined if no run was started. */
export function stopGcRun(): GcRun | undefined {
  if (!current) return undefined;
  const run = current;
  current = undefined;
  const to = performance.now();
  const { statistics } = stopWatching(run);
  run.samples.push(getHeapStatistics().used_heap_size);
  const minor = statistics.filter((c) => MINOR.has(c.gcType));
  const full = statistics.filter((c) => c.gcType === 'MarkSweepCompact');
  const minorMs = minor.map((c) => c.cost / 1e3).sort((a, b) => a - b);
  const samples = [...run.samples].sort((a, b) => a - b);
  return {
    minor: { count: minor.length, p50: at(minorMs, 0.5), p99: at(minorMs, 0.99), max: minorMs.at(-1) ?? 0 },
    full: { count: full.length, max: Math.max(0, ...full.map((c) => c.cost / 1e3)) },
    promoted: minor.reduce((sum, c) => sum + promotedBy(c), 0),
    heapUsed: { median: at(samples, 0.5), max: samples.at(-1) ?? 0 },
    rss: process.memoryUsage.rss(),
    window: [run.from, to],
  };
}

function stopWatching(run: NonNullable<typeof current>): GCProfilerResult {
  trace(false);
  clearInterval(run.timer);
  return run.profiler.stop();
}

/** The growth of the old generation's spaces across one minor GC. */
function promotedBy(c: Collection): number {
  const before = new Map(c.beforeGC.heapSpaceStatistics.map((s) => [s.spaceName, s.spaceUsedSize]));
  let grown = 0;
  for (const s of c.afterGC.heapSpaceStatistics)
    if (!YOUNG.has(s.spaceName)) grown += s.spaceUsedSize - (before.get(s.spaceName) ?? 0);
  return grown;
}

/** The q-quantile of sorted values (nearest rank); 0 when there are none. */
const at = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
