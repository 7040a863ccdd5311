/**
 * Starts the OpenTelemetry SDK as the tracing config says: the AsyncLocalStorage context manager
 * (so a request's span is the active one in everything it awaits), the sampler, a batch span
 * processor and the OTLP/HTTP exporter of the configured encoding (or the console's). Loaded only
 * when tracing is on: with it off, main.ts never requires this module or the SDK.
 */
import { randomUUID } from 'node:crypto';
import { context, DiagLogLevel, diag, propagation, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from '../../core/logger';
import type { TracingConfig } from '../../core/tracing-config';

/** Which process of a cluster this is (node:cluster's worker id); the resource says it. */
export const ATTR_WORKER_ID = 'specgate.worker.id';
/** `process.pid`: an incubating attribute of the conventions, kept here as they advise. */
const ATTR_PROCESS_PID = 'process.pid';

export interface Tracing {
  tracer: Tracer;
  /** Exports what is still queued, then stops (SIGTERM's drain calls it last). */
  shutdown(): Promise<void>;
}

export function startTracing(config: TracingConfig, opts: { logger: Logger; workerId?: number }): Tracing {
  // Export failures and dropped spans are the SDK's diagnostics: warnings in the service's log.
  const log = opts.logger.child({ component: 'tracing' });
  diag.setLogger(
    {
      error: (message) => log.warn(message),
      warn: (message) => log.warn(message),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const { version } = require('specgate/package.json') as { version: string };
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_VERSION]: version,
      [ATTR_SERVICE_INSTANCE_ID]: randomUUID(),
      ...config.resourceAttributes,
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_PROCESS_PID]: process.pid,
      ...(opts.workerId === undefined ? {} : { [ATTR_WORKER_ID]: String(opts.workerId) }),
    }),
  );
  const provider = new TracerProvider({
    resource,
    sampler: sampler(config.sampler),
    spanLimits: { attributeValueLengthLimit: config.attributeValueLengthLimit },
    spanProcessors: [new BatchSpanProcessor({ exporter: exporter(config), ...config.batch })],
  });
  trace.setGlobalTracerProvider(provider);
  log.info({ exporter: config.exporter, protocol: config.protocol, sampler: config.sampler.name }, 'tracing on');
  return { tracer: provider.getTracer('specgate', version), shutdown: () => provider.shutdown() };
}

function sampler({ name, ratio }: TracingConfig['sampler']): Sampler {
  const root = name.endsWith('always_off')
    ? new AlwaysOffSampler()
    : name.endsWith('traceidratio')
      ? new TraceIdRatioBasedSampler(ratio)
      : new AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/** The exporter reads its endpoint, headers, timeout and compression from OTEL_EXPORTER_OTLP_*. */
function exporter(config: TracingConfig): SpanExporter {
  if (config.exporter === 'console') return new ConsoleSpanExporter();
  const module =
    config.protocol === 'http/json'
      ? (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http'))
      : (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto'));
  return new module.OTLPTraceExporter();
}
