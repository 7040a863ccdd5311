/**
 * What the traced services (traced10, tracedAll) exported to the OTLP sink over their whole life,
 * per response they wrote: proof that export really happened, and that the sampler kept the share
 * it was set to. Read after the measured rounds: each traced server is asked for its response
 * count, then stopped (SIGTERM: it flushes the spans its batch processor still holds), then the
 * sink is asked what it received. A traced server the sink got no span from is a PROBLEM (the run
 * fails, as a wrong answer does).
 */
import { fmtInt, type Key, type Scenario, sum } from './http-common';
import type { SinkCounts } from './otlp-sink/server';
import type { Sink } from './otlp-sink/start';
import { cpuTimeUs } from './servers';

/** One traced server's exports. */
export interface Exports extends SinkCounts {
  key: Key;
  /** Responses the server wrote in its life: logins, checks, warm-ups and measured runs. */
  responses: number;
  spansPerResponse: number;
  problems: string[];
  warnings: string[];
}

/** The traced servers' exports, and the CPU the sink used over the whole run, s. */
export interface TracedExports {
  servers: Exports[];
  sinkCpuS: number;
}

const TRACED: readonly Key[] = ['traced10', 'tracedAll'];

/** Stops the traced servers and reads what the sink received from each; undefined when none ran. */
export async function collectExports(
  scenarios: Scenario[],
  sink: Sink | undefined,
): Promise<TracedExports | undefined> {
  const traced = scenarios.filter((s) => TRACED.includes(s.key));
  if (!sink || traced.length === 0) return undefined;
  const responses = new Map<Key, number>();
  for (const s of traced) {
    responses.set(s.key, sum(Object.values((await s.server.stats()).status)));
    await s.server.stop();
  }
  const received = await sink.stats();
  const servers = traced.map(({ key }): Exports => {
    const counts = received[key] ?? { exports: 0, bytes: 0, spans: 0, rejected: 0 };
    const n = responses.get(key) ?? 0;
    const problems: string[] = [];
    const warnings: string[] = [];
    if (counts.spans === 0) problems.push('the OTLP sink received no span from this server: nothing was exported');
    if (counts.rejected)
      problems.push(`the OTLP sink could not read ${counts.rejected} of its exports (${counts.error ?? 'no error'})`);
    if (key === 'tracedAll' && counts.spans > 0 && counts.spans < n)
      warnings.push(
        `fewer spans than responses (${fmtInt(counts.spans)} < ${fmtInt(n)}) with every request sampled: spans were dropped (the batch processor's queue was full?)`,
      );
    return { key, ...counts, responses: n, spansPerResponse: counts.spans / Math.max(1, n), problems, warnings };
  });
  return { servers, sinkCpuS: cpuTimeUs(sink.pid) / 1e6 };
}

/** The lines printed under the checks. */
export function exportLines(traced: TracedExports | undefined): string[] {
  if (!traced) return [];
  const exports = traced.servers;
  const out = [
    "traced services' exports to the OTLP sink (every response of the server's life; pending spans flushed at its SIGTERM):",
  ];
  for (const e of exports) {
    const first = e.first
      ? `; service.name ${e.first.serviceNames.join(', ')}, a span: ${e.first.aSpanName ?? '-'}`
      : '';
    out.push(
      `  ${e.key}: ${fmtInt(e.responses)} responses; ${fmtInt(e.exports)} exports, ${(e.bytes / 1e6).toFixed(1)} MB, ${fmtInt(e.spans)} spans: ${e.spansPerResponse.toFixed(3)} spans per response${first}`,
    );
  }
  const [ten, all] = [exports.find((e) => e.key === 'traced10'), exports.find((e) => e.key === 'tracedAll')];
  if (ten && all?.spansPerResponse)
    out.push(
      `  sampled share: traced10's spans per response ÷ tracedAll's = ${(ten.spansPerResponse / all.spansPerResponse).toFixed(3)} (its sampler ratio: 0.1)`,
    );
  out.push(`  the sink's CPU over the whole run (on the load CPU when pinned): ${traced.sinkCpuS.toFixed(1)} s`);
  return out;
}
