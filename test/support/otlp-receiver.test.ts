/**
 * The OTLP receiver (test/support/otlp-receiver.ts) judges the service's traces, so it is proved
 * first: the official OpenTelemetry exporters, JSON and protobuf, plain and gzip, export a known
 * span tree made by the SDK's TracerProvider, and the receiver's spans equal what the SDK handed
 * them (ids, parents, trace state, kinds, every attribute type, status, scope, resource). Then its
 * answers as the OTLP/HTTP spec has a collector give them, to bodies no exporter here would send.
 */
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { context, type SpanContext, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { type OtlpProtocol, type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp-receiver';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());

type Compression = NonNullable<ConstructorParameters<typeof JsonExporter>[0]>['compression'];
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

const KIND_NAMES = { [SpanKind.INTERNAL]: 'INTERNAL', [SpanKind.SERVER]: 'SERVER', [SpanKind.CLIENT]: 'CLIENT' };
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'] as const;

/** What the receiver should make of a span the SDK handed to its exporters. */
function expected(span: ReadableSpan, protocol: OtlpProtocol): ReceivedSpan {
  const { traceId, spanId, traceState } = span.spanContext();
  return {
    traceId,
    spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    traceState: traceState?.serialize() || undefined,
    name: span.name,
    kind: (KIND_NAMES as Record<number, ReceivedSpan['kind']>)[span.kind] ?? 'UNSPECIFIED',
    attributes: span.attributes as ReceivedSpan['attributes'],
    status: { code: STATUS_NAMES[span.status.code], message: span.status.message },
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version },
    resource: span.resource.attributes as ReceivedSpan['resource'],
    protocol,
  };
}

/** A request continuing a remote trace: a SERVER span, a Redis CLIENT child, a failing INTERNAL one. */
function makeSpanTree(provider: TracerProvider, remote: SpanContext): void {
  const tracer = provider.getTracer('specgate-test', '1.2.3');
  const parent = trace.setSpanContext(context.active(), remote);
  const server = tracer.startSpan(
    'GET /items/{itemId}',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'url.path': '/items/ünïcødé ✓',
        'http.response.status_code': 200,
        'server.port': 65535,
        'a.negative': -42,
        'a.max_safe': 2 ** 53 - 1,
        'a.double': 0.1,
        'a.true': true,
        'a.false': false,
        'an.empty_string': '',
        strings: ['a', 'b'],
        ints: [1, 2, 3],
        doubles: [1.5, -2.25],
        bools: [true, false],
        mixed: [1, 'two', false, null],
        bytes: new Uint8Array([0, 1, 254, 255]),
        map: { k: 'v', nested: { deep: [1, 'x'] } },
        empty: null,
      },
    },
    parent,
  );
  const inRequest = trace.setSpan(parent, server);
  const redis = tracer.startSpan('HMGET MGET', { kind: SpanKind.CLIENT }, inRequest);
  redis.setAttributes({ 'db.system.name': 'redis', 'server.address': '127.0.0.1' });
  redis.setStatus({ code: SpanStatusCode.OK });
  redis.end();
  const verify = tracer.startSpan('argon2 verify', {}, inRequest);
  verify.setStatus({ code: SpanStatusCode.ERROR, message: 'mismatch' });
  verify.end();
  server.end();
}

describe.each([
  ['http/json', 'none', JsonExporter],
  ['http/json', 'gzip', JsonExporter],
  ['http/protobuf', 'none', ProtobufExporter],
  ['http/protobuf', 'gzip', ProtobufExporter],
] as const)('the official %s exporter, compression %s', (protocol, compression, Exporter) => {
  it('delivers the span tree the SDK made, decoded exactly', async () => {
    const remote: SpanContext = {
      traceId: hex(16),
      spanId: hex(8),
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: new TraceState('vendor=value,other=1'),
    };
    const sent = new InMemorySpanExporter();
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'receiver-test', 'service.instance.id': hex(8), workers: 2 }),
      spanProcessors: [
        new SimpleSpanProcessor({ exporter: sent }),
        new BatchSpanProcessor({
          exporter: new Exporter({ url: receiver.tracesUrl, compression: compression as Compression }),
        }),
      ],
    });
    makeSpanTree(provider, remote);
    await provider.forceFlush();

    const received = await receiver.waitFor((s) => s.traceId === remote.traceId, 10_000, 3);
    const bySpanId = (a: { spanId: string }, b: { spanId: string }) => a.spanId.localeCompare(b.spanId);
    const want = sent
      .getFinishedSpans()
      .map((s) => expected(s, protocol))
      .sort(bySpanId);
    // After reading what was sent: shutting down empties the in-memory exporter.
    await provider.shutdown();
    expect(want).toHaveLength(3);
    expect(received.sort(bySpanId)).toEqual(want);

    // The tree: the SERVER span continues the remote parent; the other two are its children.
    const server = received.find((s) => s.kind === 'SERVER');
    expect(server?.parentSpanId).toBe(remote.spanId);
    expect(received.filter((s) => s.parentSpanId === server?.spanId).map((s) => s.kind)).toEqual(
      expect.arrayContaining(['CLIENT', 'INTERNAL']),
    );
    // One batch, one request: the last one received.
    const last = receiver.requests[receiver.requests.length - 1];
    expect([last?.status, last?.spans, last?.contentType, last?.contentEncoding]).toEqual([
      200,
      3,
      protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
      compression === 'gzip' ? 'gzip' : undefined,
    ]);
  });
});

describe('answers as the OTLP/HTTP spec has a collector answer', () => {
  const post = (body: string | Uint8Array, headers: Record<string, string>, path = '/v1/traces') =>
    fetch(`${receiver.endpoint}${path}`, { method: 'POST', body, headers });
  const decodeStatusMessage = (body: Buffer) => {
    // google.rpc.Status: field 2 (message), length-delimited; a short message has a one-byte length.
    expect(body[0]).toBe(0x12);
    return body.subarray(2, 2 + (body[1] ?? 0)).toString('utf8');
  };

  it('accepts an empty request in either encoding with 200 and an empty response in the same encoding', async () => {
    const binary = await post(new Uint8Array(), { 'content-type': 'application/x-protobuf' });
    expect([binary.status, binary.headers.get('content-type')]).toEqual([200, 'application/x-protobuf']);
    // An ExportTraceServiceResponse with partial_success unset encodes as zero bytes.
    expect((await binary.arrayBuffer()).byteLength).toBe(0);
    const json = await post('{}', { 'content-type': 'application/json; charset=utf-8' });
    expect([json.status, json.headers.get('content-type'), await json.json()]).toEqual([200, 'application/json', {}]);
  });

  it('reads the OTLP JSON mapping: hex ids in either case, 64-bit integers as strings, bytes as base64', async () => {
    const traceId = hex(16);
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'handmade' } }] },
          scopeSpans: [
            {
              scope: { name: 'hand' },
              spans: [
                {
                  traceId: traceId.toUpperCase(),
                  spanId: 'ABCDEF0123456789',
                  name: 'by hand',
                  kind: 3,
                  status: { code: 2, message: 'boom' },
                  unknownField: 'ignored, as the spec requires',
                  attributes: [
                    { key: 'big', value: { intValue: '9223372036854775807' } },
                    { key: 'small', value: { intValue: '-7' } },
                    { key: 'nan', value: { doubleValue: 'NaN' } },
                    { key: 'bytes', value: { bytesValue: Buffer.from([1, 2, 3]).toString('base64') } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await post(JSON.stringify(body), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const [span] = await receiver.waitFor((s) => s.traceId === traceId, 5_000);
    expect(span).toEqual({
      traceId,
      spanId: 'abcdef0123456789',
      parentSpanId: undefined,
      traceState: undefined,
      name: 'by hand',
      kind: 'CLIENT',
      attributes: { big: 9223372036854775807n, small: -7, nan: Number.NaN, bytes: new Uint8Array([1, 2, 3]) },
      status: { code: 'ERROR', message: 'boom' },
      scope: { name: 'hand', version: undefined },
      resource: { 'service.name': 'handmade' },
      protocol: 'http/json',
    });
  });

  it.each([
    ['an enum written as its name', { kind: 'SPAN_KIND_SERVER' }, /kind/],
    ['a base64 span id, as plain protobuf JSON would write it', { spanId: 'q83vASNFZ4k=' }, /spanId/],
    ['a span without a trace id', { traceId: undefined }, /traceId/],
  ])('refuses JSON with %s: 400 and a Status naming the field', async (_, change, field) => {
    const span = { traceId: hex(16), spanId: hex(8), name: 'x', kind: 1, ...change };
    const res = await post(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }), {
      'content-type': 'application/json',
    });
    expect([res.status, res.headers.get('content-type')]).toEqual([400, 'application/json']);
    expect(((await res.json()) as { message: string }).message).toMatch(field);
  });

  it('refuses a body that is not protobuf with 400 and a protobuf Status', async () => {
    const res = await post(new Uint8Array([0x0a, 0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' });
    expect([res.status, res.headers.get('content-type')]).toEqual([400, 'application/x-protobuf']);
    expect(decodeStatusMessage(Buffer.from(await res.arrayBuffer()))).toMatch(/not a protobuf/);
  });

  it('refuses a body larger than 20 MiB once decompressed with 413', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(21 * 1024 * 1024));
    const res = await post(bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
  });

  it('refuses other media types and content codings with 415, other paths with 404, other methods with 405', async () => {
    expect((await post('x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('{}', { 'content-type': 'application/json', 'content-encoding': 'br' })).status).toBe(415);
    expect((await post('{}', { 'content-type': 'application/json' }, '/v1/metrics')).status).toBe(404);
    const get = await fetch(`${receiver.endpoint}/v1/traces`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('resolves a wait with spans already there, and rejects one whose spans never come, naming what did', async () => {
    const span = { traceId: hex(16), spanId: hex(8), name: 'already here', kind: 1 };
    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
    expect((await post(body, { 'content-type': 'application/json' })).status).toBe(200);
    const [arrived] = await receiver.waitFor((s) => s.spanId === span.spanId, 5_000);
    expect(arrived?.name).toBe('already here');
    // Already received: the wait resolves at once, whatever its (here tiny) bound.
    await expect(receiver.waitFor((s) => s.spanId === span.spanId, 1)).resolves.toEqual([arrived]);
    await expect(receiver.waitFor((s) => s.name === 'never sent', 50)).rejects.toThrow(
      /span\(s\) arrived:[\s\S]*INTERNAL "already here"/,
    );
  });
});
