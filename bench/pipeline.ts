/**
 * `npm run bench:pipeline`: what specgate's pipeline costs per request (routing, security, request
 * validation, writing the answer; every handler answers at once), timed by tinybench, no network.
 * Requests go through pipeline.handle(req, res) with an in-memory IncomingMessage and a response
 * that captures what is written (in-memory-pipeline.ts: the one place that knows the pipeline's API).
 * Documents: openapi/openapi.yaml (bearer auth stubbed), and generated documents of 8 and 500
 * operations of the same shape (make-spec.ts): the same requests at both sizes show whether the
 * per-request cost grows with the number of operations. BENCH_PIPELINE_TIME_MS (default 1000) is
 * each task's time budget. Absolute figures move with the machine's load: compare within one run.
 */
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import { loadDocument, type OpenApiDocument } from '../src/pipeline/compile/document';
import type { HandlerResult, OperationRequest } from '../src/pipeline/context';
import { CapturedResponse, inMemoryPipeline, makeRequest, operationIds, type Req } from './in-memory-pipeline';
import { makeSpec, sampleRecord, VALID_BODY } from './make-spec';

const answer = (req: OperationRequest): HandlerResult => ({
  status: req.operationId.startsWith('create') ? 201 : 200,
  body: sampleRecord('r-1'),
});

interface Doc {
  name: string;
  document: OpenApiDocument;
  /** request label → requests (iteration i sends the i-th, round-robin: first / middle / last operation). */
  cases: Record<string, Req[]>;
  /** A request only validation rejects (400): proof that validation runs. */
  invalid: Req;
}

function realDoc(): Doc {
  const item = {
    method: 'POST',
    url: '/v1/items',
    body: JSON.stringify({ name: 'Espresso cup', category: 'kitchen', price_cents: 1250 }),
    status: 201,
  };
  const form = 'grant_type=password&username=alice&password=correct+horse+battery+staple&scope=items%3Aread';
  return {
    name: 'openapi.yaml',
    document: loadDocument(path.resolve(__dirname, '../openapi/openapi.yaml')),
    cases: {
      'POST /token (form body)': [
        { method: 'POST', url: '/token', body: form, contentType: 'application/x-www-form-urlencoded', status: 200 },
      ],
      'POST /v1/items (JSON body)': [item],
      'GET /v1/items/{itemId} (path param)': [
        { method: 'GET', url: '/v1/items/3f1c7a4e-2b8d-4c1e-9a57-6d0e8b2f4a91', status: 200 },
      ],
      'GET /v1/items?limit&category (query)': [
        { method: 'GET', url: '/v1/items?limit=20&category=kitchen', status: 200 },
      ],
    },
    invalid: { ...item, body: JSON.stringify({ name: 'Espresso cup' }), status: 400 },
  };
}

function generatedDoc(resources: number): Doc {
  const picks = [...new Set([0, Math.floor(resources / 2), resources - 1])];
  const body = JSON.stringify(VALID_BODY);
  return {
    name: 'generated',
    document: makeSpec(resources),
    cases: {
      'POST /v1/resN (JSON body)': picks.map((n) => ({ method: 'POST', url: `/v1/res${n}`, body, status: 201 })),
      'GET /v1/resN/{id} (path param)': picks.map((n) => ({ method: 'GET', url: `/v1/res${n}/item-42`, status: 200 })),
      'GET /v1/resN?limit&cursor (query)': picks.map((n) => ({
        method: 'GET',
        url: `/v1/res${n}?limit=20&cursor=abc`,
        status: 200,
      })),
    },
    invalid: { method: 'POST', url: `/v1/res${resources - 1}`, body: JSON.stringify({ name: 'widget' }), status: 400 },
  };
}

const opsOf = (d: Doc) => operationIds(d.document).length;
const taskLabel = (d: Doc, request: string) => `${d.name} ${opsOf(d)} ops: ${request}`;

type Run = (r: Req) => Promise<number>;

/** Adds a task to `bench` that sends `requests` round-robin through `run`, failing on an unexpected status. */
function addTask(bench: Bench, label: string, requests: Req[], run: Run): void {
  let i = 0;
  bench.add(label, async () => {
    const r = requests[i++ % requests.length]!;
    const status = await run(r);
    if (status !== r.status) throw new Error(`${label}: ${r.method} ${r.url} answered ${status}, expected ${r.status}`);
  });
}

/** Builds each document's pipeline, timing it, and fails unless it rejects the document's invalid request. */
async function buildPipelines(docs: Doc[]): Promise<Map<Doc, Run>> {
  const runs = new Map<Doc, Run>();
  for (const d of docs) {
    const t = performance.now();
    const run = await inMemoryPipeline(d.document, answer);
    const status = await run(d.invalid);
    if (status !== 400)
      throw new Error(`${d.name}: an invalid ${d.invalid.method} ${d.invalid.url} answered ${status}, not 400`);
    process.stderr.write(
      `${d.name} (${opsOf(d)} ops): createPipeline ${(performance.now() - t).toFixed(0)} ms; invalid request rejected (400)\n`,
    );
    runs.set(d, run);
  }
  return runs;
}

/** Adds the tasks: the real document's requests, then each generated request at both sizes, then the baseline. */
function addTasks(bench: Bench, [real, small, big]: [Doc, Doc, Doc], runs: Map<Doc, Run>): void {
  for (const [request, reqs] of Object.entries(real.cases))
    addTask(bench, taskLabel(real, request), reqs, runs.get(real)!);
  // The same request at 8 and at 500 operations, one right after the other.
  for (const request of Object.keys(small.cases))
    for (const d of [small, big]) addTask(bench, taskLabel(d, request), d.cases[request]!, runs.get(d)!);
  // What building the in-memory request and draining its body costs, without the pipeline.
  addTask(bench, 'in-memory request + response alone', small.cases['POST /v1/resN (JSON body)']!, async (r) => {
    for await (const _ of makeRequest(r)) new CapturedResponse().end();
    return r.status;
  });
}

/** Prints how each request's median latency grows from the small generated document to the big one, and the verdict. */
function reportGrowth(bench: Bench, small: Doc, big: Doc): void {
  const p50 = (name: string) => {
    const result = bench.getTask(name)?.result;
    if (result?.state !== 'completed') throw new Error(`${name}: ${result?.state}`);
    return result.latency.p50 * 1e3; // µs
  };
  const growth = Object.keys(small.cases).map((request) => {
    const [at8, at500] = [p50(taskLabel(small, request)), p50(taskLabel(big, request))];
    console.log(
      `${request}: ${at8.toFixed(1)} µs at ${opsOf(small)} ops, ${at500.toFixed(1)} µs at ${opsOf(big)} ops: ${(at500 / at8).toFixed(2)}x`,
    );
    return at500 / at8;
  });
  const worst = Math.max(...growth);
  console.log(
    worst <= 1.5
      ? `Flat: per-request cost does not grow with the number of operations (worst ${worst.toFixed(2)}x from 8 to 500; noise here is up to ~1.5x, a router linear in the operations would be tens of times slower).`
      : `GROWS: worst ${worst.toFixed(2)}x from 8 to 500 operations in this run (beyond this machine's ~1.5x noise): run again on a quieter machine, then look at routing.`,
  );
}

async function main(): Promise<void> {
  const time = Number(process.env.BENCH_PIPELINE_TIME_MS ?? 1000);
  const bench = new Bench({ time, warmupTime: 250, throws: true });
  const docs: [Doc, Doc, Doc] = [realDoc(), generatedDoc(2), generatedDoc(125)];
  const runs = await buildPipelines(docs);
  addTasks(bench, docs, runs);

  const cpus = os.cpus();
  console.log(
    `bench:pipeline  node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, load average ${os.loadavg()[0]!.toFixed(1)}; tinybench, ${time} ms a task`,
  );
  await bench.run();
  console.table(bench.table());
  reportGrowth(bench, docs[1], docs[2]);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
