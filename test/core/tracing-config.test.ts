/**
 * Tracing's configuration: the standard OTEL_* variables only, checked with the rest of the config.
 * Without somewhere to send spans, tracing is off (no SDK is loaded: see main.ts's `observed`).
 */
import { loadConfig } from '../../src/core/config';
import { problemsOf } from '../support/config-problems';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };

describe('tracing is off', () => {
  it.each([
    ['by default', {}],
    ['with the otlp exporter but no endpoint', { OTEL_TRACES_EXPORTER: 'otlp' }],
    ['with the none exporter, endpoint or not', { ...ENDPOINT, OTEL_TRACES_EXPORTER: 'none' }],
    ['when the SDK is disabled', { ...ENDPOINT, OTEL_SDK_DISABLED: 'true' }],
  ])('%s', (_name, env) => {
    expect(loadConfig(env).tracing).toBeUndefined();
  });
});

describe('tracing is on', () => {
  it('with an endpoint: OTLP over HTTP in protobuf, every trace its caller samples', () => {
    expect(loadConfig(ENDPOINT).tracing).toEqual({
      exporter: 'otlp',
      protocol: 'http/protobuf',
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      serviceName: 'specgate',
      resourceAttributes: {},
      attributeValueLengthLimit: 2048,
      batch: { scheduledDelayMillis: 5000, exportTimeoutMillis: 30000, maxQueueSize: 2048, maxExportBatchSize: 512 },
    });
  });

  it('with the traces endpoint alone, or with the console exporter', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).tracing?.exporter).toBe(
      'otlp',
    );
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'console' }).tracing?.exporter).toBe('console');
  });

  it('reads the protocol, the traces one first', () => {
    expect(loadConfig({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing?.protocol).toBe('http/json');
    const both = {
      ...ENDPOINT,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    };
    expect(loadConfig(both).tracing?.protocol).toBe('http/protobuf');
  });

  it('reads the sampler and its ratio', () => {
    const env = { ...ENDPOINT, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
    expect(loadConfig(env).tracing?.sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 0.1 });
  });

  it('names the service as the specification orders: OTEL_SERVICE_NAME, then the resource attributes', () => {
    const attributes = {
      ...ENDPOINT,
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,deployment.environment.name=eu%2C1',
    };
    expect(loadConfig(attributes).tracing).toMatchObject({
      serviceName: 'from-attrs',
      resourceAttributes: { 'service.name': 'from-attrs', 'deployment.environment.name': 'eu,1' },
    });
    expect(loadConfig({ ...attributes, OTEL_SERVICE_NAME: 'api' }).tracing?.serviceName).toBe('api');
  });

  it('bounds attribute values, the span-specific variable first', () => {
    expect(
      loadConfig({ ...ENDPOINT, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '300' }).tracing?.attributeValueLengthLimit,
    ).toBe(300);
    const both = {
      ...ENDPOINT,
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '300',
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '400',
    };
    expect(loadConfig(both).tracing?.attributeValueLengthLimit).toBe(400);
  });

  it('reads the batch processor, a batch no larger than the queue', () => {
    const env = { ...ENDPOINT, OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BSP_MAX_QUEUE_SIZE: '100' };
    expect(loadConfig(env).tracing?.batch).toEqual({
      scheduledDelayMillis: 200,
      exportTimeoutMillis: 30000,
      maxQueueSize: 100,
      maxExportBatchSize: 100,
    });
  });
});

describe('refuses what it cannot honour, with the rest of the config', () => {
  it.each([
    [
      'gRPC',
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      /OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf or http\/json/,
    ],
    ['an unknown sampler', { OTEL_TRACES_SAMPLER: 'sometimes' }, /OTEL_TRACES_SAMPLER must be one of/],
    ['a ratio above 1', { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '10' }, /probability/],
    [
      'a ratio that is no number',
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' },
      /probability/,
    ],
    ['two exporters', { OTEL_TRACES_EXPORTER: 'otlp,console' }, /name one exporter/],
    ['an unknown exporter', { OTEL_TRACES_EXPORTER: 'zipkin' }, /OTEL_TRACES_EXPORTER must be otlp, console or none/],
    ['a gRPC-style endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }, /http:\/\/ or https:\/\//],
    ['a resource attribute without a value', { OTEL_RESOURCE_ATTRIBUTES: 'team' }, /key=value/],
    ['a negative delay', { OTEL_BSP_SCHEDULE_DELAY: '-1' }, /OTEL_BSP_SCHEDULE_DELAY must be an integer/],
  ])('%s', (_name, env, problem) => {
    const problems = problemsOf({ ...ENDPOINT, ...env, PORT: 'eighty' });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(problem), expect.stringMatching(/PORT/)]));
  });
});
