/**
 * Prometheus metrics (prom-client), one registry per app so several apps in one process (tests,
 * benches) never collide: cache outcomes per operation, request latency, and requests that ended
 * unanswered (client aborts, request timeouts), which the latency histogram leaves out.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { CacheMetrics, CacheOutcome } from '../cache/http-cache';
import type { UnansweredOutcome } from '../pipeline/context';

export class Metrics implements CacheMetrics {
  readonly registry = new Registry();
  private readonly cache = new Counter({
    name: 'specgate_cache_requests_total',
    help: 'Cached reads by operation and outcome (HIT, MISS, BYPASS).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'specgate_http_request_duration_seconds',
    help: 'Time from request to response, by operation, method and status.',
    labelNames: ['operation', 'method', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  private readonly unansweredCounters: Record<UnansweredOutcome, Counter<'operation'>> = {
    client_aborted: new Counter({
      name: 'specgate_client_aborts_total',
      help: 'Requests whose client closed the connection before the request body arrived, by operation.',
      labelNames: ['operation'] as const,
      registers: [this.registry],
    }),
    // Separate from client aborts: here the server ended the request (408, RFC 9110 §15.5.9).
    request_timeout: new Counter({
      name: 'specgate_request_timeouts_total',
      help: 'Requests cut by the server because the body did not arrive within REQUEST_TIMEOUT_SECONDS (answered 408), by operation.',
      labelNames: ['operation'] as const,
      registers: [this.registry],
    }),
  };

  /** What {@link render} serves when not this registry alone (the cluster's aggregate). */
  private readonly source: (() => Promise<string>) | undefined;

  /**
   * `aggregate`: given this process's registry, returns what /metrics serves instead of it; a
   * cluster worker answers with the sum over all workers (src/cluster/cluster-metrics.ts).
   */
  constructor(opts: { processMetrics?: boolean; aggregate?: (own: Registry) => () => Promise<string> } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.source = opts.aggregate?.(this.registry);
  }

  /** The cache counter's children by operation and outcome (see {@link childOf}). */
  private readonly outcomeChildren = new Map<string, { inc(): void }>();

  outcome(operationId: string, outcome: CacheOutcome): void {
    childOf(this.outcomeChildren, `${operationId} ${outcome}`, () =>
      this.cache.labels({ operation: operationId, outcome }),
    ).inc();
  }

  /** The latency histogram's children by label set (see {@link childOf}). */
  private readonly latencyChildren = new Map<string, { observe(value: number): void }>();

  /** Records a response; `operationId` is "none" when no operation matched (404/405). */
  observe(operationId: string | undefined, method: string, status: number, seconds: number): void {
    const operation = operationId ?? 'none';
    childOf(this.latencyChildren, `${operation} ${method} ${status}`, () =>
      this.latency.labels({ operation, method, status: String(status) }),
    ).observe(seconds);
  }

  /** Records a request that ended before its body arrived; `operationId` is "none" when unmatched. */
  unanswered(operationId: string | undefined, outcome: UnansweredOutcome): void {
    this.unansweredCounters[outcome].inc({ operation: operationId ?? 'none' });
  }

  render(): Promise<string> {
    return this.source ? this.source() : this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * A metric's child for one label set, kept so that a response does not hash its labels again.
 * Bounded by the document (operations × methods × statuses × outcomes; clients choose only the
 * method): past 4,096 label sets a child is made and not kept.
 */
function childOf<T>(children: Map<string, T>, key: string, make: () => T): T {
  let child = children.get(key);
  if (!child) {
    child = make();
    if (children.size < 4096) children.set(key, child);
  }
  return child;
}
