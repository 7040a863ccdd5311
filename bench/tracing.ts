/**
 * `npm run bench:tracing`: what tracing adds to a request in the pipeline itself, without the
 * network, Redis or a load generator (whose noise on a shared machine hides a few microseconds): the
 * same cached-read request through the in-memory pipeline (in-memory-pipeline.ts) untraced, then
 * traced with every trace left out by the sampler, one in ten kept, and every one kept. Kept spans
 * go through the SDK's batch processor to an exporter that encodes them as the OTLP/HTTP protobuf
 * exporter does and drops the bytes, so the export's CPU counts. Rounds alternate the variants;
 * each variant's figure is the median of its rounds, and its ratio to the untraced one in the same
 * round. BENCH_TRACING_ROUNDS (default 5) and BENCH_TRACING_TIME_MS (default 1000) per task.
 */
import os from 'node:os';
import path from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { Bench } from 'tinybench';
import { requestTracing } from '../src/observability/tracing/request-span';
import { loadDocument } from '../src/pipeline/compile/document';
import type { RequestTracing } from '../src/pipeline/pipeline';
import { inMemoryPipeline, type Req } from './in-memory-pipeline';
import { sampleRecord } from './make-spec';

/** Encodes what it is given as the OTLP/HTTP protobuf exporter does, and counts the bytes. */
class EncodingExporter implements SpanExporter {
  spans = 0;
  bytes = 0;
  export(spans: ReadableSpan[], done: (result: { code: ExportResultCode }) => void): void {
    this.spans += spans.length;
    this.bytes += ProtobufTraceSerializer.serializeRequest(spans)?.byteLength ?? 0;
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

const VARIANTS: Record<string, Sampler | undefined> = {
  untraced: undefined,
  'traced, none sampled': new AlwaysOffSampler(),
  'traced, 10 % sampled': new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }),
  'traced, all sampled': new AlwaysOnSampler(),
};

const READ: Req = { method: 'GET', url: '/v1/items/3f1c7a4e-2b8d-4c1e-9a57-6d0e8b2f4a91', status: 200 };

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_TRACING_ROUNDS ?? 5);
  const time = Number(process.env.BENCH_TRACING_TIME_MS ?? 1000);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const document = loadDocument(path.resolve(__dirname, '../openapi/openapi.yaml'));
  const body = JSON.stringify(sampleRecord('r-1'));
  const exporters = new Map<string, EncodingExporter>();
  const providers: TracerProvider[] = [];
  const runs = new Map<string, (r: Req) => Promise<number>>();
  for (const [name, sampler] of Object.entries(VARIANTS)) {
    let tracing: RequestTracing | undefined;
    if (sampler) {
      const exporter = new EncodingExporter();
      const provider = new TracerProvider({ sampler, spanProcessors: [new BatchSpanProcessor({ exporter })] });
      exporters.set(name, exporter);
      providers.push(provider);
      tracing = requestTracing(provider.getTracer('bench'), 0);
    }
    runs.set(name, await inMemoryPipeline(document, () => ({ status: 200, body }), tracing));
  }

  console.log(
    `bench:tracing  node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${os.loadavg()[0]?.toFixed(1)}; ${rounds} rounds of ${time} ms a variant`,
  );
  const perRound = new Map<string, number[]>([...runs.keys()].map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time, warmupTime: 200, throws: true });
    // Alternate the order, so no variant always runs first (or right after a GC-heavy one).
    const names = round % 2 === 0 ? [...runs.keys()] : [...runs.keys()].reverse();
    for (const name of names) {
      const run = runs.get(name);
      if (!run) continue;
      bench.add(name, async () => {
        const status = await run(READ);
        if (status !== READ.status) throw new Error(`${name}: answered ${status}`);
      });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result?.state !== 'completed') throw new Error(`${task.name}: ${result?.state}`);
      perRound.get(task.name)?.push(result.latency.mean * 1e3);
    }
  }
  for (const provider of providers) await provider.shutdown();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const untraced = perRound.get('untraced') ?? [];
  const rows = [...perRound].map(([name, us]) => {
    const ratios = us.map((u, i) => u / (untraced[i] ?? Number.NaN));
    const exporter = exporters.get(name);
    return {
      variant: name,
      'µs/request (median)': median(us).toFixed(2),
      '÷ untraced (median of rounds)': median(ratios).toFixed(3),
      rounds: ratios.map((r) => r.toFixed(2)).join(' '),
      'spans exported': exporter ? exporter.spans : '-',
      'bytes/span': exporter?.spans ? Math.round(exporter.bytes / exporter.spans) : '-',
    };
  });
  console.table(rows);
  console.log(
    'The pipeline alone (no network, Redis or handler work): in the service a request costs several times more, so these ratios are upper bounds of the service-level ones (bench:http).',
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
