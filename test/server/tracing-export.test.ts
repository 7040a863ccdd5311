/**
 * The service as production runs it (`src/main.ts` in a process of its own, test/support/instance.ts)
 * sends its traces to a real OTLP/HTTP receiver (test/support/otlp-receiver.ts), configured by the
 * standard OTEL_* variables only, in both encodings: a request's SERVER span continues the caller's
 * traceparent with its Redis round trips under it and the resource the variables describe; with
 * WORKERS=2 each worker exports under a resource of its own; SIGTERM exports what is still queued
 * before the process exits; and with tracing off nothing is sent, whatever the endpoint says.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { httpRequest } from '../support/contract';
import type { Instance } from '../support/instance';
import { useInstanceFleet } from '../support/instance-fleet';
import { type OtlpProtocol, type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver';

const SERVICE_NAME = 'specgate-export-test';
const { version } = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
  version: string;
};
const fleet = useInstanceFleet('tracing-export', {
  SHUTDOWN_DRAIN_SECONDS: '0',
  // Every request here is a failed login from 127.0.0.1, each for a username of its own: the
  // address's limit is raised past what the file sends (its throttling is tested elsewhere).
  LOGIN_MAX_FAILURES_PER_IP: '100000',
  OTEL_SERVICE_NAME: SERVICE_NAME,
  // W3C Baggage syntax, the value percent-encoded.
  OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=export-test,team=platform%20ops',
});

/** The variables that send the service's spans to `receiver`, batched every `delayMs`. */
const exportingTo = (receiver: OtlpReceiver, protocol: OtlpProtocol, delayMs: number) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_BSP_SCHEDULE_DELAY: String(delayMs),
});

/** A caller's trace context (W3C Trace Context §3.2): its trace id and the caller's span id. */
function callerContext() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/**
 * A password login for a user nobody created, on a connection of its own: a 400 that still takes
 * the login's Redis round trips (its throttle), whoever serves it.
 */
function failedLogin(url: string, headers: Record<string, string>) {
  return httpRequest(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close', ...headers },
    body: `grant_type=password&username=nobody-${randomBytes(6).toString('hex')}&password=not-the-password-1`,
  });
}

/** The instance's JSON log lines. */
const logLines = (instance: Instance): Record<string, unknown>[] =>
  instance
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** Whether `span` descends from `ancestor`, by the parent ids of the spans received. */
function isUnder(span: ReceivedSpan, ancestor: ReceivedSpan, spans: readonly ReceivedSpan[]): boolean {
  for (let parent = span.parentSpanId; parent !== undefined; ) {
    if (parent === ancestor.spanId) return true;
    parent = spans.find((s) => s.traceId === span.traceId && s.spanId === parent)?.parentSpanId;
  }
  return false;
}

async function stop(instance: Instance): Promise<number | null> {
  instance.signal('SIGTERM');
  return (await instance.exited).code;
}

describe.each(['http/json', 'http/protobuf'] as const)('exporting over OTLP %s', (protocol) => {
  const mediaType = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());

  it('keeps no attribute longer than its limit: a client-made User-Agent is cut at 2048 characters', async () => {
    const service = await fleet.launch(`limit-${protocol}`, exportingTo(receiver, protocol, 50));
    const caller = callerContext();
    const agent = `long-agent/${'x'.repeat(6000)}`;
    const res = await failedLogin(service.url, { traceparent: caller.traceparent, 'user-agent': agent });
    expect(res.status).toBe(400);
    const [server] = await receiver.waitFor((s) => s.traceId === caller.traceId && s.kind === 'SERVER');
    expect(server?.attributes['user_agent.original']).toBe(agent.slice(0, 2048));
    expect(await stop(service)).toBe(0);
  });

  it("continues the caller's trace: its SERVER span under the caller's, Redis round trips under it, the resource from OTEL_*", async () => {
    const service = await fleet.launch(`one-${protocol}`, exportingTo(receiver, protocol, 50));
    const caller = callerContext();
    const res = await failedLogin(service.url, {
      traceparent: caller.traceparent,
      tracestate: 'caller=opaque',
      'user-agent': 'tracing-export-test/1.0',
      'x-request-id': `export-${caller.spanId}`,
    });
    expect([res.status, res.body.error]).toEqual([400, 'invalid_grant']);

    const [server] = await receiver.waitFor((s) => s.traceId === caller.traceId && s.kind === 'SERVER');
    const redis = await receiver.waitFor(
      (s) => s.kind === 'CLIENT' && s.attributes['db.system.name'] === 'redis' && isUnder(s, server!, receiver.spans),
    );
    expect(server).toMatchObject({
      parentSpanId: caller.spanId,
      traceState: 'caller=opaque',
      name: 'POST /token',
      protocol,
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/token',
        'url.path': '/token',
        'url.scheme': 'http',
        'http.response.status_code': 400,
        'specgate.operation_id': 'issueToken',
        'specgate.request_id': `export-${caller.spanId}`,
        'client.address': '127.0.0.1',
        'server.address': '127.0.0.1',
        'server.port': Number(new URL(service.url).port),
        'user_agent.original': 'tracing-export-test/1.0',
        // Each stage's time, in the order they ran.
        'specgate.stages': expect.stringMatching(/^route \d+\.\d{3} ms, .*, write \d+\.\d{3} ms$/),
      },
    });
    // HTTP/1.1 and a peer that is the client say nothing the span does not already say.
    expect(server?.attributes).not.toHaveProperty('network.protocol.version');
    expect(server?.attributes).not.toHaveProperty('network.peer.address');
    // A 4xx is the client's error, not the server's (HTTP semantic conventions, "Status").
    expect(server?.status.code).toBe('UNSET');
    expect(server?.attributes).not.toHaveProperty('error.type');
    expect(redis.length).toBeGreaterThanOrEqual(1);
    expect(redis.every((s) => s.traceId === caller.traceId)).toBe(true);

    expect(server?.resource).toMatchObject({
      'service.name': SERVICE_NAME,
      'service.version': version,
      'deployment.environment.name': 'export-test',
      team: 'platform ops',
      'process.pid': service.child.pid,
    });
    expect(server?.resource['service.instance.id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    // One process, no cluster: no worker id.
    expect(server?.resource).not.toHaveProperty('specgate.worker.id');
    // Every export came in the configured encoding, and none was refused (a later batch may still
    // be in flight: its status is not known yet, its media type is).
    expect(receiver.requests.map((r) => r.contentType)).toEqual(receiver.requests.map(() => mediaType));
    expect(receiver.requests.filter((r) => r.error !== undefined)).toEqual([]);
    const lines = logLines(service);
    expect(lines.find((l) => l.msg === 'tracing on')).toMatchObject({ exporter: 'otlp', protocol });
    // The request's log line names its trace and SERVER span.
    expect(lines.find((l) => l.msg === 'request' && l.path === '/token')).toMatchObject({
      trace_id: caller.traceId,
      span_id: server?.spanId,
    });
    expect(await stop(service)).toBe(0);
  });

  it('exports on SIGTERM what is still queued, before the process exits', async () => {
    // An hour between scheduled exports: only the shutdown's flush can deliver these spans.
    const service = await fleet.launch(`flush-${protocol}`, exportingTo(receiver, protocol, 3_600_000));
    const caller = callerContext();
    expect((await failedLogin(service.url, { traceparent: caller.traceparent })).status).toBe(400);
    const ofTheRequest = () => receiver.spans.filter((s) => s.traceId === caller.traceId);
    expect(ofTheRequest()).toEqual([]);

    expect(await stop(service)).toBe(0);
    // The receiver keeps the spans before it answers, and the service exits after the answer: they
    // are here the moment the exit is seen.
    const flushed = ofTheRequest();
    const server = flushed.find((s) => s.kind === 'SERVER');
    expect(server?.parentSpanId).toBe(caller.spanId);
    expect(flushed.some((s) => s.kind === 'CLIENT' && server && isUnder(s, server, flushed))).toBe(true);
    expect(service.output()).not.toContain('tracing flush failed');
  });

  if (process.env.TEST_DATABASE_URL)
    it('WORKERS=2: each worker exports its own spans under a resource of its own, the primary none', async () => {
      const service = await fleet.launch(`workers-${protocol}`, {
        ...exportingTo(receiver, protocol, 50),
        WORKERS: '2',
      });
      // Each request on a connection of its own, so the primary hands each to a worker anew, until
      // both workers have served one (node:cluster numbers its first two workers 1 and 2).
      const servedBy = new Map<string, ReceivedSpan>();
      for (let i = 0; i < 40 && servedBy.size < 2; i++) {
        const caller = callerContext();
        expect((await failedLogin(service.url, { traceparent: caller.traceparent })).status).toBe(400);
        const [server] = await receiver.waitFor((s) => s.traceId === caller.traceId && s.kind === 'SERVER');
        servedBy.set(String(server?.resource['specgate.worker.id']), server!);
      }
      expect([...servedBy.keys()].sort()).toEqual(['1', '2']);
      const [one, two] = [servedBy.get('1')!, servedBy.get('2')!];
      expect(one.resource['service.instance.id']).not.toEqual(two.resource['service.instance.id']);
      expect(one.resource['process.pid']).not.toEqual(two.resource['process.pid']);
      for (const worker of [one, two]) expect(worker.resource['service.name']).toBe(SERVICE_NAME);

      // The primary serves nothing and exports nothing: every span came from a worker.
      const workers = new Set([one.resource['process.pid'], two.resource['process.pid']]);
      const primary = service.child.pid;
      expect(workers.has(primary ?? -1)).toBe(false);
      const fromThisService = receiver.spans.filter((s) => s.resource['specgate.worker.id'] !== undefined);
      expect(fromThisService.every((s) => workers.has(s.resource['process.pid'] ?? -1))).toBe(true);
      // Two processes started tracing, not three: the primary never loads the SDK.
      expect(logLines(service).filter((l) => l.msg === 'tracing on')).toHaveLength(2);
      expect(await stop(service)).toBe(0);
    }, 120_000);
});

describe('with tracing off', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());

  it.each([
    ['no endpoint is set', () => ({})],
    ['OTEL_TRACES_EXPORTER=none', () => ({ ...exportingTo(receiver, 'http/json', 50), OTEL_TRACES_EXPORTER: 'none' })],
    ['OTEL_SDK_DISABLED=true', () => ({ ...exportingTo(receiver, 'http/json', 50), OTEL_SDK_DISABLED: 'true' })],
  ])('sends nothing, through to its exit, when %s', async (name, env) => {
    const service = await fleet.launch(`off-${name.replace(/\W+/g, '-')}`, env());
    const caller = callerContext();
    expect((await failedLogin(service.url, { traceparent: caller.traceparent })).status).toBe(400);
    // A traced process would export at the latest on SIGTERM, before it exits.
    expect(await stop(service)).toBe(0);
    expect(receiver.requests).toEqual([]);
    const lines = logLines(service);
    expect(lines.filter((l) => l.msg === 'tracing on' || l.component === 'tracing')).toEqual([]);
    // Nor do its log lines carry a trace: the request's line has none.
    const request = lines.find((l) => l.msg === 'request' && l.path === '/token');
    expect(request).toBeDefined();
    expect(request).not.toHaveProperty('trace_id');
  });
});
