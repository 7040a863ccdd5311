/**
 * The phases of one start-up, read from the `.cpuprofile` that `node --cpu-prof` writes for the
 * service's main thread. Every sample is charged to a phase by the frames on its stack: the
 * outermost frame of a named step (config, document, schemas, migrations, argon2 warm-up) claims
 * everything under it, modules it loads on the way included; module loading outside those steps is
 * `modules`; what is left is wiring (`other`). Samples where the thread had nothing to run are
 * `waiting` (the database, Redis and worker threads answering). Samples from the shutdown on are
 * not start-up, and are left out.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A named step: it claims every sample under its outermost frame. */
const STEPS: { phase: string; matches: (f: CallFrame) => boolean }[] = [
  { phase: 'config', matches: (f) => f.functionName === 'loadConfig' && f.url.endsWith('/core/config.js') },
  { phase: 'document', matches: (f) => f.functionName === 'loadDocument' },
  { phase: 'schemas (Ajv)', matches: (f) => ['SchemaCompiler', 'compileOperations'].includes(f.functionName) },
  { phase: 'migrations', matches: (f) => f.functionName === 'migrate' && f.url.endsWith('/store/migrate.js') },
  { phase: 'argon2 warm-up', matches: (f) => f.functionName === 'warmUp' },
];

const MODULE_LOADING = new Set(['wrapModuleLoad', 'require', 'compileForInternalLoader']);
/** Where the service's shutdown begins (src/main.ts): nothing from here on is start-up. */
const SHUTDOWN = new Set(['onSignal', 'shutdown']);
const ROOT_PHASES: Record<string, string> = {
  '(garbage collector)': 'garbage collection',
  '(idle)': 'waiting',
  '(program)': 'node itself',
};

/** The phases named in {@link STEPS}, in the order they print, then the catch-alls. */
export const PHASES = [
  'modules',
  ...STEPS.map((s) => s.phase),
  'other',
  'garbage collection',
  'node itself',
  'waiting',
] as const;

/** Milliseconds of the profile's start-up charged to each phase (absent: none). */
export function startupPhases(file: string): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

  const memo = new Map<number, { phase: string; claimed: boolean; shutdown: boolean }>();
  const classify = (id: number): { phase: string; claimed: boolean; shutdown: boolean } => {
    const known = memo.get(id);
    if (known) return known;
    const frame = byId.get(id)!.callFrame;
    const parentId = parentOf.get(id);
    const parent = parentId === undefined ? { phase: 'other', claimed: false, shutdown: false } : classify(parentId);
    const shutdown = parent.shutdown || (SHUTDOWN.has(frame.functionName) && frame.url.endsWith('/src/main.js'));
    const step = STEPS.find((s) => s.matches(frame));
    let result = { ...parent, shutdown };
    if (!parent.claimed) {
      if (step) result = { phase: step.phase, claimed: true, shutdown };
      else if (ROOT_PHASES[frame.functionName])
        result = { phase: ROOT_PHASES[frame.functionName]!, claimed: true, shutdown };
      else if (MODULE_LOADING.has(frame.functionName) && frame.url.startsWith('node:internal/'))
        result = { phase: 'modules', claimed: false, shutdown };
    }
    memo.set(id, result);
    return result;
  };

  const phases = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const { phase, shutdown } = classify(profile.samples[i]!);
    if (shutdown) break;
    // A sample stands for the time until the next one.
    phases.set(phase, (phases.get(phase) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  }
  return phases;
}

/** All samples of a profile where the thread ran something (a worker thread's busy time), ms. */
export function busyMs(file: string): number {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let ms = 0;
  for (let i = 0; i < profile.samples.length; i++)
    if (!idle.has(profile.samples[i]!)) ms += (profile.timeDeltas[i + 1] ?? 0) / 1000;
  return ms;
}
