/**
 * /metrics for the whole cluster. Whichever worker receives the scrape asks the primary over the
 * cluster IPC channel; the primary gathers every worker's registry with prom-client's
 * AggregatorRegistry (counters and histograms summed, gauges as prom-client aggregates each) and
 * answers the asking worker. Prometheus thus sees one target, however the primary spreads the
 * scrapes over the workers.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'specgate:metrics-request';
const ANSWER = 'specgate:metrics-answer';
/** Above prom-client's own 5 s per gathering, so its timeout is the one reported. */
const ANSWER_TIMEOUT_MS = 6_000;

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}
interface MetricsAnswer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

const isRequest = (m: unknown): m is MetricsRequest => (m as MetricsRequest | null)?.type === REQUEST;
const isAnswer = (m: unknown): m is MetricsAnswer => (m as MetricsAnswer | null)?.type === ANSWER;

/** In the primary: answers the workers' metrics requests with the aggregate of all workers. */
export function serveClusterMetrics(): void {
  // Constructed in the primary, it listens for the workers' registries (prom-client's own protocol).
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isRequest(message)) return;
    const answer = (fields: Pick<MetricsAnswer, 'text' | 'error'>) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id: message.id, ...fields } satisfies MetricsAnswer);
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      (err: Error) => answer({ error: err.message }),
    );
  });
}

/**
 * In a worker: offers `own` to the primary's aggregation and returns the function that fetches the
 * aggregate (it rejects when the primary does not answer in time, e.g. a worker died mid-gathering).
 */
export function workerMetricsSource(own: Registry): () => Promise<string> {
  // Constructed in a worker, it answers the primary's requests with the registries set here.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([own]);
  const pending = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();
  let next = 0;
  process.on('message', (message: unknown) => {
    if (!isAnswer(message)) return;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.text !== undefined) waiting.resolve(message.text);
    else waiting.reject(new Error(`cluster metrics: ${message.error ?? 'no answer'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('cluster metrics: the primary did not answer'));
      }, ANSWER_TIMEOUT_MS);
      pending.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
    });
}
