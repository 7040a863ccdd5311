/**
 * An OTLP ExportTraceServiceRequest, as either OTLP/HTTP encoding carries it, flattened into one
 * shape the tests assert on: a list of spans, each with its resource's attributes and the protocol
 * it came in by. Binary bodies are decoded with the protobufjs types generated from the OTLP protos
 * (the OpenTelemetry transformer's own, `otlp-transformer-protobuf`); JSON bodies follow the OTLP
 * JSON mapping (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): trace and span
 * ids as hex, enums as integers, 64-bit integers as decimal strings or numbers, bytes as base64.
 * Both arrive at the same walk over the message, which differs only in how ids and bytes are read.
 */
import generated from 'otlp-transformer-protobuf/build/src/generated/root.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
export type StatusCodeName = 'UNSET' | 'OK' | 'ERROR';

/** An OTLP AnyValue as a plain value: kvlist as an object, bytes as a Uint8Array, empty as null. */
export type AttributeValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface ReceivedSpan {
  /** Lowercase hex, 32 digits. */
  traceId: string;
  /** Lowercase hex, 16 digits. */
  spanId: string;
  /** Lowercase hex, or undefined for a root span. */
  parentSpanId: string | undefined;
  traceState: string | undefined;
  name: string;
  kind: SpanKindName;
  attributes: Attributes;
  status: { code: StatusCodeName; message: string | undefined };
  /** The instrumentation scope that made it. */
  scope: { name: string; version: string | undefined };
  /** The attributes of the resource the span was sent under. */
  resource: Attributes;
  protocol: OtlpProtocol;
}

/** A body that is not a well-formed request: the receiver answers 400 (OTLP "Bad Data"). */
export class BadOtlpData extends Error {}

// The message as protobufjs's toObject and JSON.parse both give it (camelCase keys, fields
// absent when unset), before ids, bytes and 64-bit integers are read.
interface KeyValueMessage {
  key?: string;
  value?: AnyValueMessage;
}
interface AnyValueMessage {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  arrayValue?: { values?: AnyValueMessage[] };
  kvlistValue?: { values?: KeyValueMessage[] };
  bytesValue?: Uint8Array | string;
}
interface SpanMessage {
  traceId?: Uint8Array | string;
  spanId?: Uint8Array | string;
  parentSpanId?: Uint8Array | string;
  traceState?: string;
  name?: string;
  kind?: number;
  attributes?: KeyValueMessage[];
  status?: { code?: number; message?: string };
}
interface RequestMessage {
  resourceSpans?: {
    resource?: { attributes?: KeyValueMessage[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: SpanMessage[] }[];
  }[];
}

interface MessageType<T> {
  decode(body: Uint8Array): unknown;
  toObject(message: unknown, options: { longs: StringConstructor; enums: NumberConstructor }): T;
  encode(message: object): { finish(): Uint8Array };
}
const traceService = (
  generated as unknown as {
    opentelemetry: {
      proto: {
        collector: {
          trace: {
            v1: {
              ExportTraceServiceRequest: MessageType<RequestMessage>;
              ExportTraceServiceResponse: MessageType<object>;
            };
          };
        };
      };
    };
  }
).opentelemetry.proto.collector.trace.v1;

/** An empty ExportTraceServiceResponse (full success), binary-encoded. */
export const emptyProtobufResponse = (): Uint8Array => traceService.ExportTraceServiceResponse.encode({}).finish();

const KINDS: SpanKindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_CODES: StatusCodeName[] = ['UNSET', 'OK', 'ERROR'];

/** How one encoding carries ids and bytes; everything else is read the same way. */
interface Codec {
  protocol: OtlpProtocol;
  id(value: Uint8Array | string | undefined, bytes: 8 | 16, field: string): string | undefined;
  bytes(value: Uint8Array | string): Uint8Array;
}

const protobufCodec: Codec = {
  protocol: 'http/protobuf',
  id(value, bytes, field) {
    if (value === undefined || value.length === 0) return undefined;
    if (typeof value === 'string' || value.length !== bytes) throw new BadOtlpData(`${field}: not ${bytes} bytes`);
    return Buffer.from(value).toString('hex');
  },
  bytes: (value) => new Uint8Array(typeof value === 'string' ? Buffer.from(value, 'base64') : value),
};

const jsonCodec: Codec = {
  protocol: 'http/json',
  id(value, bytes, field) {
    if (value === undefined || value === '') return undefined;
    // Hex, case-insensitive, not the base64 of the standard protobuf JSON mapping (OTLP spec).
    if (typeof value !== 'string' || !new RegExp(`^[0-9a-f]{${bytes * 2}}$`, 'i').test(value)) {
      throw new BadOtlpData(`${field}: not ${bytes * 2} hex digits: ${JSON.stringify(value)}`);
    }
    return value.toLowerCase();
  },
  bytes(value) {
    if (typeof value !== 'string') throw new BadOtlpData('bytesValue: not a base64 string');
    return new Uint8Array(Buffer.from(value, 'base64'));
  },
};

function enumIndex(value: unknown, names: readonly string[], field: string): number {
  // OTLP JSON: "Values of enum fields MUST be encoded as integer values".
  const n = value ?? 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= names.length) {
    throw new BadOtlpData(`${field}: not one of the enum's integers: ${JSON.stringify(value)}`);
  }
  return n;
}

function integer(value: string | number): number | bigint {
  const big = BigInt(value);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function anyValue(value: AnyValueMessage | undefined, codec: Codec): AttributeValue {
  if (value === undefined || value === null) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return integer(value.intValue);
  // proto3 JSON writes NaN and the infinities as strings.
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.bytesValue !== undefined) return codec.bytes(value.bytesValue);
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map((v) => anyValue(v, codec));
  if (value.kvlistValue !== undefined) return attributes(value.kvlistValue.values, codec);
  return null;
}

function attributes(list: KeyValueMessage[] | undefined, codec: Codec): Attributes {
  const out: Attributes = {};
  for (const kv of list ?? []) out[kv.key ?? ''] = anyValue(kv.value, codec);
  return out;
}

function present(id: string | undefined, field: string): string {
  if (id === undefined) throw new BadOtlpData(`${field}: missing`);
  return id;
}

function flatten(request: RequestMessage, codec: Codec): ReceivedSpan[] {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new BadOtlpData('not an ExportTraceServiceRequest object');
  }
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const resource = attributes(rs.resource?.attributes, codec);
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map(
        (span): ReceivedSpan => ({
          traceId: present(codec.id(span.traceId, 16, 'traceId'), 'traceId'),
          spanId: present(codec.id(span.spanId, 8, 'spanId'), 'spanId'),
          parentSpanId: codec.id(span.parentSpanId, 8, 'parentSpanId'),
          traceState: span.traceState || undefined,
          name: span.name ?? '',
          kind: KINDS[enumIndex(span.kind, KINDS, 'kind')]!,
          attributes: attributes(span.attributes, codec),
          status: {
            code: STATUS_CODES[enumIndex(span.status?.code, STATUS_CODES, 'status.code')]!,
            message: span.status?.message || undefined,
          },
          scope: { name: ss.scope?.name ?? '', version: ss.scope?.version || undefined },
          resource,
          protocol: codec.protocol,
        }),
      ),
    );
  });
}

/** The spans of a binary-encoded ExportTraceServiceRequest. */
export function spansFromProtobuf(body: Uint8Array): ReceivedSpan[] {
  let request: RequestMessage;
  try {
    const { ExportTraceServiceRequest } = traceService;
    request = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), {
      longs: String,
      enums: Number,
    });
  } catch (err) {
    throw new BadOtlpData(`not a protobuf ExportTraceServiceRequest: ${(err as Error).message}`);
  }
  return flatten(request, protobufCodec);
}

/** The spans of a JSON-encoded ExportTraceServiceRequest. */
export function spansFromJson(body: Uint8Array): ReceivedSpan[] {
  let request: RequestMessage;
  try {
    request = JSON.parse(Buffer.from(body).toString('utf8')) as RequestMessage;
  } catch (err) {
    throw new BadOtlpData(`not JSON: ${(err as Error).message}`);
  }
  return flatten(request, jsonCodec);
}
