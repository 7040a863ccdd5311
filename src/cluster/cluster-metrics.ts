/**
 * /metrics for the whole cluster. Whichever worker receives the scrape asks the primary over the
 * cluster IPC channel; the primary gathers every worker's registry and sums them with prom-client's
 * AggregatorRegistry.aggregate (counters and histograms summed, gauges as prom-client aggregates
 * each), then answers the asking worker. Prometheus thus sees one target, whichever worker the
 * primary hands the scrape to.
 *
 * The gathering is ours rather than prom-client's clusterMetrics(), which asks every connected
 * worker: one still loading its code, or one dying, never answers, and every scrape then fails
 * after 5 s. Here a worker is asked once it has said it can answer, and one that exits
 * mid-gathering is left out (its counts went with it).
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** A worker's messages to the primary, and the primary's to a worker. */
type ToPrimary =
  | { type: 'specgate:metrics-ready' }
  | { type: 'specgate:metrics-request'; id: number }
  | { type: 'specgate:metrics-share'; gathering: number; metrics: object[] };
type ToWorker =
  | { type: 'specgate:metrics-gather'; gathering: number }
  | { type: 'specgate:metrics-answer'; id: number; text?: string; error?: string };

/** A gathering that takes longer than this fails the scrape (as prom-client's own does). */
const GATHER_TIMEOUT_MS = 5_000;
/** The worker's wait for the primary: past the gathering's, so the primary's reason is the one reported. */
const ANSWER_TIMEOUT_MS = GATHER_TIMEOUT_MS + 1_000;

/** In the primary: answers the workers' metrics requests with the aggregate over all workers. */
export function serveClusterMetrics(): void {
  const answering = new Set<Worker>();
  const gatherings = new Map<number, { waiting: Set<Worker>; shared: object[][]; settle(): void }>();
  let nextGathering = 0;

  const gather = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextGathering++;
      const timer = setTimeout(() => {
        gatherings.delete(id);
        reject(new Error('a worker did not share its metrics in time'));
      }, GATHER_TIMEOUT_MS);
      const gathering = {
        waiting: new Set(answering),
        shared: [] as object[][],
        settle() {
          if (gathering.waiting.size > 0) return;
          clearTimeout(timer);
          gatherings.delete(id);
          AggregatorRegistry.aggregate(gathering.shared).metrics().then(resolve, reject);
        },
      };
      gatherings.set(id, gathering);
      for (const worker of gathering.waiting) send(worker, { type: 'specgate:metrics-gather', gathering: id });
      gathering.settle();
    });

  // Other messages (the shutdown request's, anyone's) pass by: `type` tells ours apart.
  cluster.on('message', (worker: Worker, message: ToPrimary | null) => {
    if (message?.type === 'specgate:metrics-ready') answering.add(worker);
    else if (message?.type === 'specgate:metrics-share') {
      const gathering = gatherings.get(message.gathering);
      if (gathering?.waiting.delete(worker)) {
        gathering.shared.push(message.metrics);
        gathering.settle();
      }
    } else if (message?.type === 'specgate:metrics-request') {
      const { id } = message;
      gather().then(
        (text) => send(worker, { type: 'specgate:metrics-answer', id, text }),
        (err: Error) => send(worker, { type: 'specgate:metrics-answer', id, error: err.message }),
      );
    }
  });
  cluster.on('exit', (worker: Worker) => {
    answering.delete(worker);
    for (const gathering of gatherings.values()) if (gathering.waiting.delete(worker)) gathering.settle();
  });
}

function send(worker: Worker, message: ToWorker): void {
  if (worker.isConnected()) worker.send(message);
}

/**
 * In a worker: shares `own` with the primary's gatherings and returns the function that fetches the
 * cluster's aggregate (rejected when the primary does not answer in time).
 */
export function workerMetricsSource(own: Registry): () => Promise<string> {
  const waiting = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();
  let nextRequest = 0;
  // Without its channel (the primary gone) the worker is exiting anyway: nothing to send to.
  const toPrimary = (message: ToPrimary) => process.connected && process.send?.(message);
  process.on('message', (message: ToWorker | null) => {
    if (message?.type === 'specgate:metrics-gather') {
      const { gathering } = message;
      void own.getMetricsAsJSON().then((metrics) => toPrimary({ type: 'specgate:metrics-share', gathering, metrics }));
    } else if (message?.type === 'specgate:metrics-answer') {
      const request = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.text !== undefined) request?.resolve(message.text);
      else request?.reject(new Error(`cluster metrics: ${message.error ?? 'no answer'}`));
    }
  });
  toPrimary({ type: 'specgate:metrics-ready' });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextRequest++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('cluster metrics: the primary did not answer'));
      }, ANSWER_TIMEOUT_MS);
      waiting.set(id, {
        resolve(text) {
          clearTimeout(timer);
          resolve(text);
        },
        reject(err) {
          clearTimeout(timer);
          reject(err);
        },
      });
      toPrimary({ type: 'specgate:metrics-request', id });
    });
}
