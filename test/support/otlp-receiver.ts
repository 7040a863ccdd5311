/**
 * A real OTLP/HTTP trace receiver for tests (https://opentelemetry.io/docs/specs/otlp/#otlphttp):
 * an HTTP server on 127.0.0.1 and a free port, accepting `POST /v1/traces` in either encoding the
 * spec defines (binary protobuf, JSON), gzip-compressed or not, and answering as a collector does:
 * 200 with an empty ExportTraceServiceResponse in the request's encoding; 400 with a Status for a
 * body it cannot decode, 413 past the size limit, 415 for another media type or content coding.
 * What arrives is kept as one list of spans in one shape, whichever encoding carried it
 * (test/support/otlp-spans.ts), and `waitFor` resolves as soon as the spans a test waits for are
 * there: each arriving request wakes the waiters, nothing polls.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import {
  BadOtlpData,
  emptyProtobufResponse,
  type OtlpProtocol,
  type ReceivedSpan,
  spansFromJson,
  spansFromProtobuf,
} from './otlp-spans';

export type { Attributes, AttributeValue, OtlpProtocol, ReceivedSpan, SpanKindName } from './otlp-spans';

/** What the receiver made of one HTTP request. */
export interface ReceivedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** The status it answered with. */
  status: number;
  /** The spans the request carried (0 unless it was accepted). */
  spans: number;
  /** Why it was refused, for a status other than 200. */
  error: string | undefined;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: what OTEL_EXPORTER_OTLP_ENDPOINT takes (the exporter appends /v1/traces). */
  endpoint: string;
  /** `<endpoint>/v1/traces`: what an exporter's `url` option (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) takes. */
  tracesUrl: string;
  /** Every span accepted so far, in arrival order. */
  readonly spans: readonly ReceivedSpan[];
  /** Every request received so far, accepted or not. */
  readonly requests: readonly ReceivedRequest[];
  /**
   * Resolves with the spans matching `predicate` once at least `count` of them have arrived;
   * rejects after `timeoutMs` (a bound against hangs), naming what did arrive.
   */
  waitFor(predicate: (span: ReceivedSpan) => boolean, timeoutMs?: number, count?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

// The default limit the spec recommends, applied to the body as sent and after decompression.
const BODY_LIMIT_BYTES = 20 * 1024 * 1024;

const MEDIA_TYPES: Record<string, OtlpProtocol> = {
  'application/x-protobuf': 'http/protobuf',
  'application/json': 'http/json',
};

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A google.rpc.Status carrying only `message` (field 2), the body the spec gives every 4xx/5xx. */
function protobufStatus(message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const length: number[] = [];
  for (let n = text.length; ; n >>>= 7) {
    if (n < 0x80) {
      length.push(n);
      break;
    }
    length.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x12, ...length]), text]);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Past the limit the rest is read and dropped, so the client gets the 413 rather than a reset.
    if (size <= BODY_LIMIT_BYTES) chunks.push(chunk);
  }
  if (size > BODY_LIMIT_BYTES) throw new Refusal(413, `body over ${BODY_LIMIT_BYTES} bytes`);
  return Buffer.concat(chunks);
}

function decompress(body: Buffer, encoding: string | undefined): Promise<Buffer> {
  if (encoding === undefined || encoding === 'identity') return Promise.resolve(body);
  if (encoding !== 'gzip') return Promise.reject(new Refusal(415, `unsupported Content-Encoding ${encoding}`));
  return new Promise((resolve, reject) =>
    zlib.gunzip(body, { maxOutputLength: BODY_LIMIT_BYTES }, (err, out) => {
      if (!err) resolve(out);
      else if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        reject(new Refusal(413, `body over ${BODY_LIMIT_BYTES} bytes once decompressed`));
      } else reject(new Refusal(400, `not gzip: ${err.message}`));
    }),
  );
}

/** Starts a receiver on 127.0.0.1 and a free port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<{ check(): void; fail(err: Error): void }>();

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const contentType = req.headers['content-type'];
    const contentEncoding = req.headers['content-encoding']?.trim().toLowerCase();
    const record: ReceivedRequest = {
      method: req.method ?? '',
      path,
      contentType,
      contentEncoding,
      status: 0,
      spans: 0,
      error: undefined,
    };
    requests.push(record);
    const protocol = MEDIA_TYPES[(contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''];
    const reply = (status: number, body: Uint8Array | string, headers: http.OutgoingHttpHeaders = {}) => {
      record.status = status;
      // The response is in the request's encoding (binary protobuf when that is unknown).
      const type = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    try {
      if (path !== '/v1/traces') throw new Refusal(404, `no such path ${path}`);
      if (req.method !== 'POST') throw new Refusal(405, `method ${req.method}`);
      if (!protocol) throw new Refusal(415, `unsupported Content-Type ${contentType}`);
      const body = await decompress(await readBody(req), contentEncoding);
      const received = protocol === 'http/json' ? spansFromJson(body) : spansFromProtobuf(body);
      spans.push(...received);
      record.spans = received.length;
      // Full success: an ExportTraceServiceResponse with partial_success left unset.
      reply(200, protocol === 'http/json' ? '{}' : emptyProtobufResponse());
      for (const waiter of [...waiters]) waiter.check();
    } catch (err) {
      const status = err instanceof Refusal ? err.status : err instanceof BadOtlpData ? 400 : 500;
      const message = (err as Error).message;
      record.error = message;
      // Refused before its body was read: drain it, so the connection stays usable.
      if (!req.complete) req.resume();
      reply(status, protocol === 'http/json' ? JSON.stringify({ message }) : protobufStatus(message), {
        ...(status === 405 ? { allow: 'POST' } : {}),
      });
    }
  }

  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const summary = () =>
    [
      `${spans.length} span(s) arrived:`,
      ...spans.map((s) => `  ${s.kind} "${s.name}" trace ${s.traceId} span ${s.spanId} parent ${s.parentSpanId}`),
      ...requests
        .filter((r) => r.error !== undefined)
        .map((r) => `  refused ${r.method} ${r.path}: ${r.status} ${r.error}`),
    ].join('\n');

  return {
    endpoint,
    tracesUrl: `${endpoint}/v1/traces`,
    spans,
    requests,
    waitFor(predicate, timeoutMs = 15_000, count = 1) {
      return new Promise((resolve, reject) => {
        const waiter = {
          check() {
            const matching = spans.filter(predicate);
            if (matching.length < count) return;
            done();
            resolve(matching);
          },
          fail(err: Error) {
            done();
            reject(err);
          },
        };
        const timer = setTimeout(
          () => waiter.fail(new Error(`no ${count} matching span(s) within ${timeoutMs} ms; ${summary()}`)),
          timeoutMs,
        );
        const done = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        waiters.add(waiter);
        waiter.check();
      });
    },
    async close() {
      for (const waiter of [...waiters]) waiter.fail(new Error(`receiver closed; ${summary()}`));
      // Exporters keep their connections alive: close them too, or close() waits for their timeout.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
