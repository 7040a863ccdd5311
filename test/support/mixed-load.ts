/**
 * A client load for outage tests: authenticated reads and writes sent continuously while a test
 * takes a dependency away and brings it back, each answer tagged with the phase it happened in.
 */
import { randomUUID } from 'node:crypto';
import type { client, TestResponse } from './contract';

/**
 * 'stopping' and 'recovering' are the moments of change, and 'straddling' a request that began in
 * one phase and ended in another: a test holds what answers then to its invariants only.
 */
export type LoadPhase = 'up' | 'stopping' | 'down' | 'recovering' | 'back' | 'straddling';
export type LoadKind = 'cached read' | 'uncached read' | 'write';

export interface LoadAnswer {
  kind: LoadKind;
  phase: LoadPhase;
  res: TestResponse;
  /** The name a write asked for. */
  name?: string;
}

export interface MixedLoadOptions {
  api: ReturnType<typeof client>;
  token: string;
  /** An item whose read is in the cache. */
  cachedId: string;
  /** Sends one write creating an item named `name`. */
  create(name: string): Promise<TestResponse>;
}

/** A running load; set `phase` as the test moves on, then `stop()` and read `answers`. */
export interface MixedLoad {
  readonly answers: LoadAnswer[];
  phase: Exclude<LoadPhase, 'straddling'>;
  stop(): Promise<void>;
}

/**
 * Three clients in a loop until stop(): reads of the cached item, reads of a fresh unknown id each
 * time (never cached: they need the database, and answer 404 while it is up) and writes.
 */
export function mixedLoad({ api, token, cachedId, create }: MixedLoadOptions): MixedLoad {
  const answers: LoadAnswer[] = [];
  let phase: MixedLoad['phase'] = 'up';
  let running = true;
  const send = async (kind: LoadKind, request: () => Promise<TestResponse>, name?: string) => {
    const startedIn = phase;
    const res = await request();
    answers.push({ kind, phase: startedIn === phase ? phase : 'straddling', res, name });
  };
  const loop = async (step: () => Promise<void>) => {
    while (running) await step();
  };
  const unknownId = () => `00000000-0000-4000-8000-${randomUUID().slice(-12)}`;
  const done = Promise.all([
    loop(() => send('cached read', () => api.get(`/v1/items/${cachedId}`, { token }))),
    loop(() => send('uncached read', () => api.get(`/v1/items/${unknownId()}`, { token }))),
    loop(() => {
      const name = `load ${randomUUID()}`;
      return send('write', () => create(name), name);
    }),
  ]);
  return {
    answers,
    get phase() {
      return phase;
    },
    set phase(next) {
      phase = next;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}
