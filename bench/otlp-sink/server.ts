/**
 * bench:http's OTLP/HTTP trace sink, in a process of its own (started by ./start.ts, pinned to the
 * load CPU): it stands in for a collector, so the traced services export for real over a socket
 * without a collector's cost landing on the server CPU. It accepts `POST <prefix>/v1/traces`
 * (OTLP/HTTP, https://opentelemetry.io/docs/specs/otlp/#otlphttp), each traced server exporting
 * under a prefix of its own (its OTEL_EXPORTER_OTLP_ENDPOINT), counts per prefix the exports, their
 * bytes and their spans (./spans.ts), and answers 200 with an empty ExportTraceServiceResponse (an
 * empty protobuf message is zero bytes; `{}` in JSON): full success, no partial_success.
 * IPC with the parent: ready → { port }; 'stats' → {@link SinkStats}. Exits when the parent goes away.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { countJsonSpans, countSpans, decodeExport } from './spans';

/** What the sink received under one prefix (by name: the prefix without its leading `/`). */
export interface SinkCounts {
  /** POST requests (exports) answered 200. */
  exports: number;
  /** Request body bytes as sent (compressed, if the exporter compressed). */
  bytes: number;
  spans: number;
  /** Exports that could not be read (answered 400). */
  rejected: number;
  /** From the first protobuf export, decoded in full: its resources' service.name and a span's name. */
  first?: { serviceNames: string[]; aSpanName?: string | undefined };
  /** The first rejected export's error. */
  error?: string;
}

export type SinkStats = Record<string, SinkCounts>;

const stats: SinkStats = {};
const TRACES = /^(.*)\/v1\/traces$/;

/** Reads one export: its span count; the first protobuf export of a prefix is decoded in full too. */
function read(counts: SinkCounts, req: http.IncomingMessage, raw: Buffer): number {
  const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
  if (req.headers['content-type']?.startsWith('application/json')) return countJsonSpans(body.toString('utf8'));
  const spans = countSpans(body);
  if (!counts.first) {
    const decoded = decodeExport(body);
    if (decoded.spans !== spans) throw new Error(`walked ${spans} spans, protobufjs decoded ${decoded.spans}`);
    counts.first = { serviceNames: decoded.serviceNames, aSpanName: decoded.aSpanName };
  }
  return spans;
}

const server = http.createServer((req, res) => {
  const prefix = TRACES.exec(req.url ?? '')?.[1];
  if (req.method !== 'POST' || prefix === undefined) {
    res.writeHead(404, { 'content-length': 0 }).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const name = decodeURIComponent(prefix.slice(1)); // endpoint http://host:port/<name>
    const counts = (stats[name] ??= { exports: 0, bytes: 0, spans: 0, rejected: 0 });
    const raw = Buffer.concat(chunks);
    const json = req.headers['content-type']?.startsWith('application/json') ?? false;
    try {
      const spans = read(counts, req, raw);
      counts.exports++;
      counts.bytes += raw.length;
      counts.spans += spans;
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    } catch (err) {
      counts.rejected++;
      counts.error ??= (err as Error).message;
      res.writeHead(400, { 'content-length': 0 }).end();
    }
  });
});
server.keepAliveTimeout = 65_000;

server.listen(0, '127.0.0.1', () => {
  process.on('message', (m) => {
    if (m === 'stats') process.send?.(stats);
  });
  process.on('disconnect', () => process.exit(0)).on('SIGTERM', () => process.exit(0));
  process.send?.({ port: (server.address() as AddressInfo).port });
});
