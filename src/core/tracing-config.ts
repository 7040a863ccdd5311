/**
 * The tracing settings, read from the standard OpenTelemetry environment variables only
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). Tracing is
 * on when there is somewhere to send spans: an OTLP endpoint, or the console exporter. With neither,
 * no SDK module is ever loaded and a request pays nothing for tracing.
 *
 * The OTLP exporters read their own transport variables (OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS,
 * _TIMEOUT, _COMPRESSION, _CERTIFICATE and their _TRACES_ forms) as the specification defines them;
 * everything the SDK would otherwise default is read and checked here.
 */

/** What the config reader offers this module (src/core/config.ts's EnvReader). */
export interface TracingEnv {
  str(name: string): string | undefined;
  int(name: string, fallback: number, min: number, max: number): number;
  bool(name: string): boolean;
  problem(message: string): void;
}

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/** OTLP over HTTP in its two encodings; gRPC is not shipped (one exporter family, no native gRPC stack). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingConfig {
  /** OTEL_TRACES_EXPORTER: `otlp` (with an endpoint) or `console`. */
  readonly exporter: 'otlp' | 'console';
  /** OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL; `http/protobuf` by default. */
  readonly protocol: OtlpProtocol;
  /** OTEL_TRACES_SAMPLER and its ratio (OTEL_TRACES_SAMPLER_ARG, for the ratio samplers). */
  readonly sampler: { readonly name: SamplerName; readonly ratio: number };
  /** OTEL_SERVICE_NAME, else OTEL_RESOURCE_ATTRIBUTES' service.name, else `specgate` (the specification's order). */
  readonly serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES, decoded (W3C Baggage syntax: `key=value,key2=value2`, percent-encoded). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /**
   * The longest string an attribute keeps (OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT, else
   * OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT): a path or a User-Agent is the client's to make long, and
   * up to OTEL_BSP_MAX_QUEUE_SIZE spans wait in memory. The specification's default is no limit;
   * specgate's is 2048 characters.
   */
  readonly attributeValueLengthLimit: number;
  /** The batch span processor (OTEL_BSP_*). */
  readonly batch: {
    readonly scheduledDelayMillis: number;
    readonly exportTimeoutMillis: number;
    readonly maxQueueSize: number;
    readonly maxExportBatchSize: number;
  };
}

/** The tracing settings, or undefined when tracing is off; problems go to `r`. */
export function readTracing(r: TracingEnv): TracingConfig | undefined {
  if (r.bool('OTEL_SDK_DISABLED')) return undefined;
  const exporter = readExporter(r);
  const endpoint = r.str('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? r.str('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (exporter === 'none' || (exporter === 'otlp' && endpoint === undefined)) return undefined;
  if (endpoint !== undefined && !/^https?:\/\//i.test(endpoint))
    r.problem('OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL (OTLP/HTTP)');
  const maxQueueSize = r.int('OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1, 1_000_000);
  const resourceAttributes = readResourceAttributes(r);
  return {
    exporter,
    protocol: readProtocol(r),
    sampler: readSampler(r),
    serviceName: r.str('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? 'specgate',
    resourceAttributes,
    attributeValueLengthLimit: r.int(
      r.str('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT')
        ? 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT'
        : 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
      2048,
      1,
      1_000_000,
    ),
    batch: {
      scheduledDelayMillis: r.int('OTEL_BSP_SCHEDULE_DELAY', 5000, 0, 3_600_000),
      exportTimeoutMillis: r.int('OTEL_BSP_EXPORT_TIMEOUT', 30_000, 1, 3_600_000),
      maxQueueSize,
      // The specification: a batch larger than the queue is the queue.
      maxExportBatchSize: Math.min(r.int('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1, 1_000_000), maxQueueSize),
    },
  };
}

function readExporter(r: TracingEnv): 'otlp' | 'console' | 'none' {
  const raw = r.str('OTEL_TRACES_EXPORTER')?.toLowerCase() ?? 'otlp';
  // A list is allowed by the specification; one exporter is what specgate sends to.
  const names = raw.split(',').map((name) => name.trim());
  if (names.length > 1) r.problem('OTEL_TRACES_EXPORTER: name one exporter (otlp, console or none)');
  const [name] = names;
  if (name === 'otlp' || name === 'console' || name === 'none') return name;
  r.problem(`OTEL_TRACES_EXPORTER must be otlp, console or none (got "${raw}")`);
  return 'none';
}

function readProtocol(r: TracingEnv): OtlpProtocol {
  const name = r.str('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const raw = r.str(name) ?? 'http/protobuf';
  if (raw === 'http/protobuf' || raw === 'http/json') return raw;
  r.problem(`${name} must be http/protobuf or http/json (got "${raw}"; gRPC: send to a Collector over OTLP/HTTP)`);
  return 'http/protobuf';
}

function readSampler(r: TracingEnv): TracingConfig['sampler'] {
  const raw = r.str('OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on';
  const name = SAMPLERS.find((s) => s === raw);
  if (!name) r.problem(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')} (got "${raw}")`);
  let ratio = 1;
  const arg = r.str('OTEL_TRACES_SAMPLER_ARG');
  if (arg !== undefined && name?.endsWith('traceidratio')) {
    ratio = Number(arg);
    if (!/^\d*\.?\d+(e-?\d+)?$/i.test(arg) || !(ratio >= 0 && ratio <= 1))
      r.problem(`OTEL_TRACES_SAMPLER_ARG must be a probability from 0 to 1 (got "${arg}")`);
  }
  return { name: name ?? 'parentbased_always_on', ratio };
}

function readResourceAttributes(r: TracingEnv): Record<string, string> {
  const attributes: Record<string, string> = {};
  const raw = r.str('OTEL_RESOURCE_ATTRIBUTES');
  if (raw === undefined) return attributes;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    let value: string | undefined;
    try {
      value = eq > 0 ? decodeURIComponent(pair.slice(eq + 1).trim()) : undefined;
    } catch {
      value = undefined;
    }
    if (!key || value === undefined) {
      r.problem('OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas, values percent-encoded');
      return {};
    }
    attributes[key] = value;
  }
  return attributes;
}
