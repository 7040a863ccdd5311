/**
 * bench:http's server processes: which scenario runs on which kind of server (servers.ts), with
 * what environment, pinned to the server CPU, profiled when BENCH_HTTP_PROFILE names it, and its
 * GC traced to a file when BENCH_HTTP_TRACE_GC does.
 */
import path from 'node:path';
import type { BenchDatabase } from './bench-postgres';
import { type Key, settings } from './http-common';
import { FLOOR_KEY } from './http-scenarios';
import type { Sink } from './otlp-sink/start';
import { SERVER_CPU } from './pinning';
import { type Mode, type Server, startServer } from './servers';

export interface StartSettings {
  redisEnv: Record<string, string>;
  /** Where the CPU profile and the GC trace go (when asked for). */
  profileDir: string | undefined;
  database?: BenchDatabase | undefined;
  pin: boolean;
  /** The es256 service's JWT_SIGNING_KEYS_FILE. */
  keyFile: string;
  /** The traced services' OTLP sink (otlp-sink/), when this run measures one. */
  sink?: Sink | undefined;
}

/**
 * The OpenTelemetry environment of a traced scenario (the variables of the specification,
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/): OTLP/HTTP
 * protobuf to the sink, under the scenario's name; traced10 samples 10 % of the traces it starts
 * (and follows a sampled parent), tracedAll every request. The batch processor keeps its defaults.
 */
export function tracedEnv(key: 'traced10' | 'tracedAll', sink: Sink): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpointFor(key),
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    ...(key === 'traced10'
      ? { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }
      : { OTEL_TRACES_SAMPLER: 'parentbased_always_on' }),
  };
}

/** The file BENCH_HTTP_TRACE_GC's server writes its GC trace to. */
export const traceFile = (dir: string) => path.join(dir, `${settings.traceGc?.flag}-${settings.traceGc?.key}.log`);

/**
 * How many servers start at once after the cached one. They all start on the one server CPU, and
 * tsx compiling for many processes at once there can starve one of them past its 3 s Redis
 * connect timeout.
 */
const AT_ONCE = 3;

/**
 * Starts a server for each scenario this run measures: the cached service first and alone, so its
 * start-up time is not shared with the others', then the rest, {@link AT_ONCE} at a time. On a
 * failure the caller stops every server started (servers.ts stopAllServers).
 */
export async function startServers(
  opts: StartSettings,
): Promise<{ byKey: Partial<Record<Key, Server>>; profiledPid: number }> {
  let profiledPid = 0;
  const db = (key: Key): Record<string, string> =>
    opts.database ? { BENCH_PG_URL: opts.database.url, BENCH_PG_SCHEMA: opts.database.schemaFor(key) } : {};
  const service = (key: Key, extra: Record<string, string> = {}): [Key, Mode, Record<string, string>] => [
    key,
    'service',
    { NODE_ENV: settings.nodeEnv, ...db(key), ...extra },
  ];
  const start = async ([key, mode, env]: [Key, Mode, Record<string, string>]) => {
    const cpuProfDir = settings.profile === key ? opts.profileDir : undefined;
    const traced = settings.traceGc?.key === key && opts.profileDir ? traceFile(opts.profileDir) : undefined;
    const server = await startServer(
      mode,
      { ...opts.redisEnv, ...env, ...(traced ? { BENCH_TRACE_GC: settings.traceGc!.flag } : {}) },
      { cpuProfDir, cpu: opts.pin ? SERVER_CPU : undefined, stdoutFile: traced },
    );
    if (cpuProfDir) profiledPid = server.pid;
    return [key, server] as const;
  };
  const byKey: Partial<Record<Key, Server>> = {};
  const [, cached] = await start(service('cached'));
  byKey.cached = cached;
  const traced = (key: 'traced10' | 'tracedAll') => (opts.sink ? [service(key, tracedEnv(key, opts.sink))] : []);
  const rest: [Key, Mode, Record<string, string>][] = [
    ['floor', 'floor', { BENCH_FLOOR_KEY: FLOOR_KEY }],
    ...traced('traced10'),
    ...traced('tracedAll'),
    service('es256', { BENCH_CONFIG: JSON.stringify({ JWT_SIGNING_KEYS_FILE: opts.keyFile }) }),
    service('304'),
    service('miss', { BENCH_NO_STORE: '1', BENCH_ITEMS: String(settings.missItems) }),
    service('list'),
    service('sessions', { BENCH_SESSIONS: String(settings.sessions) }),
    ['peer', 'peer', {}],
    ['ideal', 'ideal', {}],
  ];
  const queue = rest.filter(([key]) => settings.only.has(key));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        const [key, server] = await start(next);
        byKey[key] = server;
      } catch (err) {
        queue.length = 0; // start no more: the run is over
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, worker));
  return { byKey, profiledPid };
}
