/**
 * Counting the spans of an OTLP/HTTP trace export (the body of POST /v1/traces). The protobuf
 * body's spans are counted by walking its wire format, without decoding a span: the sink runs on
 * the load CPU beside wrk and redis-server, and protobufjs's full decode costs about 6 µs a span
 * there. The first export of each server is also decoded in full (`decodeExport`), so a walk that
 * miscounts, or a body that is not an ExportTraceServiceRequest, is caught.
 */
// protobufjs's generated module: its .d.ts types it as a bare Root, so the shape used is declared here.
const generated = require('otlp-transformer-protobuf/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: Decoder } } } } };
};

interface Decoder {
  decode(buf: Uint8Array): DecodedExport;
}

/** The fields of a decoded ExportTraceServiceRequest the sink looks at. */
interface DecodedExport {
  resourceSpans: {
    resource?: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: { name: string }[] }[];
  }[];
}

/**
 * Calls `each(fieldNumber, start, end)` for every length-delimited field of the message in
 * `buf[start, end)` and skips the others (protobuf encoding: tag = field << 3 | wire type; 0
 * varint, 1 fixed 64 bits, 2 length-delimited, 5 fixed 32 bits; groups, 3 and 4, are not used by
 * OTLP).
 */
function eachField(
  buf: Uint8Array,
  start: number,
  end: number,
  each: (field: number, from: number, to: number) => void,
): void {
  let at = start;
  const varint = (): number => {
    let value = 0;
    for (let shift = 1; ; shift *= 128) {
      if (at >= end) throw new Error('truncated varint');
      const b = buf[at++] as number;
      value += (b & 0x7f) * shift;
      if (b < 0x80) return value;
    }
  };
  while (at < end) {
    const tag = varint();
    const wire = tag % 8;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      if (at + length > end) throw new Error('length-delimited field past the end');
      each(Math.floor(tag / 8), at, at + length);
      at += length;
    } else throw new Error(`wire type ${wire} in an OTLP message`);
  }
  if (at !== end) throw new Error('field past the end');
}

/**
 * Spans in a protobuf ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1): field 1
 * resource_spans → field 2 scope_spans → field 2 spans.
 */
export function countSpans(buf: Uint8Array): number {
  let spans = 0;
  eachField(buf, 0, buf.length, (f, a, b) => {
    if (f !== 1) return;
    eachField(buf, a, b, (f2, a2, b2) => {
      if (f2 !== 2) return;
      eachField(buf, a2, b2, (f3) => {
        if (f3 === 2) spans++;
      });
    });
  });
  return spans;
}

/** Spans in an http/json export (the same message in OTLP's JSON mapping). */
export function countJsonSpans(body: string): number {
  const req = JSON.parse(body) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
  let spans = 0;
  for (const rs of req.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
  return spans;
}

/** A protobuf export decoded in full: its span count, its resources' service.name, and a span name. */
export function decodeExport(buf: Uint8Array): { spans: number; serviceNames: string[]; aSpanName?: string } {
  const req = generated.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest.decode(buf);
  const all = req.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  const serviceNames = req.resourceSpans.map(
    (rs) => rs.resource?.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '(none)',
  );
  return { spans: all.length, serviceNames: [...new Set(serviceNames)], aSpanName: all[0]?.name };
}
