/**
 * docker-compose.yml's optional `tracing` profile, checked statically as the other Compose files
 * are (no Docker engine here): an OpenTelemetry Collector, configured by
 * deploy/tracing/otel-collector.yaml, between the api and Jaeger v2; both started only with the
 * profile; and the api exporting to the collector exactly when COMPOSE_PROFILES names the profile,
 * judged by the service's own config reader on the environment Compose would give the container.
 */
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/core/config';
import {
  dependencyRequired,
  dependsOf,
  envOf,
  interpolate,
  loadCompose,
  readText,
  root,
  type Service,
} from './compose-support';

const COLLECTOR_CONFIG = 'deploy/tracing/otel-collector.yaml';
const services = loadCompose('docker-compose.yml').services ?? {};
const api = services.api ?? {};
const collector = services['otel-collector'] ?? {};
const jaeger = services.jaeger ?? {};

/** The ports a service publishes, long syntax aside: host address ('' for every interface), host port, container port. */
function published(service: Service): { address: string; host: number; container: number }[] {
  return (service.ports ?? []).map((spec) => {
    const parts = String(spec).split(':');
    const container = Number(parts.pop());
    const host = Number(parts.pop() ?? container);
    return { address: parts.join(':'), host, container };
  });
}

/** `host:port` (or a URL's) as its two parts. */
function hostPort(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint.includes('://') ? endpoint : `tcp://${endpoint}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** The component type of a collector component id (`type[/name]`). */
const typeOf = (id: string) => id.split('/')[0];

interface CollectorConfig {
  receivers: Record<string, { protocols?: { http?: { endpoint?: string }; grpc?: unknown } }>;
  processors: Record<string, unknown>;
  exporters: Record<string, { endpoint?: string; tls?: { insecure?: boolean } }>;
  extensions?: Record<string, unknown>;
  service: {
    extensions?: string[];
    pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
  };
}
const config = parse(readText(COLLECTOR_CONFIG)) as CollectorConfig;
const traces = config.service.pipelines.traces ?? { receivers: [], processors: [], exporters: [] };

/**
 * The OTEL_* variables the api container gets: .env through `env_file`, overridden by the file's
 * `environment`, which Compose interpolates from the shell and .env.
 */
function apiTracingEnv(shell: Record<string, string>, dotEnv: Record<string, string> = {}): Record<string, string> {
  const isOtel = ([name]: [string, string]) => name.startsWith('OTEL_');
  const environment = Object.entries(envOf(api))
    .filter(isOtel)
    .map(([name, value]) => [name, interpolate(value, { ...dotEnv, ...shell })]);
  return { ...Object.fromEntries(Object.entries(dotEnv).filter(isOtel)), ...Object.fromEntries(environment) };
}

describe('the tracing profile of docker-compose.yml', () => {
  // The api's endpoint is on whenever COMPOSE_PROFILES names a profile (Compose interpolation
  // cannot test for one name): right only while `tracing` is this file's one profile.
  it('holds the collector and Jaeger and nothing else, so a plain `docker compose up` starts what it did', () => {
    const profiled = Object.entries(services).filter(([, s]) => s.profiles !== undefined);
    expect(Object.fromEntries(profiled.map(([name, s]) => [name, s.profiles]))).toEqual({
      'otel-collector': ['tracing'],
      jaeger: ['tracing'],
    });
  });

  it('pins the collector (contrib) and Jaeger v2 to a release', () => {
    expect(collector.image).toMatch(/^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/);
    expect(jaeger.image).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
  });

  it("publishes Jaeger's UI and the collector's OTLP/HTTP port on the host's loopback only", () => {
    expect(published(jaeger)).toEqual([{ address: '127.0.0.1', host: 16686, container: 16686 }]);
    expect(published(collector)).toEqual([{ address: '127.0.0.1', host: 4318, container: 4318 }]);
  });

  it('lets the api start without the profile, and with it only after the collector and Jaeger', () => {
    // Compose refuses a dependency on a service whose profile is off, unless it is not required.
    for (const [name, service] of Object.entries(services)) {
      for (const dep of Object.keys(dependsOf(service))) {
        const optional = (services[dep]?.profiles ?? []).some((p) => !(service.profiles ?? []).includes(p));
        expect({ service: name, dep, required: dependencyRequired(service, dep) }).toEqual({
          service: name,
          dep,
          required: !optional,
        });
      }
    }
    expect(dependsOf(api)).toMatchObject({ 'otel-collector': 'service_started', jaeger: 'service_healthy' });
    expect(dependsOf(collector)).toEqual({ jaeger: 'service_healthy' });
  });
});

describe(COLLECTOR_CONFIG, () => {
  it('is the configuration the collector runs with', () => {
    const mounts = (collector.volumes ?? []).map((v) => v.split(':'));
    const mount = mounts.find(([source]) => path.resolve(root, source ?? '') === path.join(root, COLLECTOR_CONFIG));
    expect(mount?.[2]).toBe('ro');
    expect(collector.command).toEqual([`--config=${mount?.[1]}`]);
  });

  it('pipes traces from an OTLP/HTTP receiver on 4318, reachable from the other containers, through a batch processor', () => {
    const [receiver, ...more] = traces.receivers;
    expect(more).toEqual([]);
    expect(typeOf(receiver ?? '')).toBe('otlp');
    const http = config.receivers[receiver ?? '']?.protocols?.http?.endpoint ?? '';
    // The collector binds localhost by default: the api, in another container, needs every interface.
    expect(hostPort(http)).toEqual({ host: '0.0.0.0', port: 4318 });
    expect(published(collector).map((p) => p.container)).toContain(hostPort(http).port);
    // Batching goes last among the processors (the batch processor's README), and each is defined.
    expect(traces.processors.map(typeOf).at(-1)).toBe('batch');
    for (const id of traces.processors) expect(Object.keys(config.processors)).toContain(id);
  });

  it("exports to Jaeger's OTLP gRPC port over the Compose network", () => {
    const [exporter, ...more] = traces.exporters;
    expect(more).toEqual([]);
    // `otlp_grpc` is the OTLP gRPC exporter's type (formerly `otlp`, deprecated).
    expect(typeOf(exporter ?? '')).toBe('otlp_grpc');
    const settings = config.exporters[exporter ?? ''];
    const target = hostPort(settings?.endpoint ?? '');
    expect(services[target.host]?.image).toBe(jaeger.image);
    // Jaeger v2 receives OTLP on 4317 (gRPC) and 4318 (HTTP); the TLS-less channel stays inside the network.
    expect(target.port).toBe(4317);
    expect(settings?.tls?.insecure).toBe(true);
    expect(published(jaeger).map((p) => p.container)).not.toContain(4317);
  });

  it('defines every component its pipelines and extensions name', () => {
    for (const pipeline of Object.values(config.service.pipelines)) {
      for (const id of pipeline.receivers) expect(Object.keys(config.receivers)).toContain(id);
      for (const id of pipeline.processors) expect(Object.keys(config.processors)).toContain(id);
      for (const id of pipeline.exporters) expect(Object.keys(config.exporters)).toContain(id);
    }
    for (const id of config.service.extensions ?? []) expect(Object.keys(config.extensions ?? {})).toContain(id);
  });
});

describe("the api's tracing, as the service's config reads the environment Compose gives it", () => {
  const collectorUrl = `http://otel-collector:${hostPort(config.receivers.otlp?.protocols?.http?.endpoint ?? '').port}`;

  it("with COMPOSE_PROFILES=tracing (in the shell or .env): on, exporting to the collector's receiver", () => {
    for (const env of [
      apiTracingEnv({ COMPOSE_PROFILES: 'tracing' }),
      apiTracingEnv({}, { COMPOSE_PROFILES: 'tracing' }),
    ]) {
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(collectorUrl);
      expect(loadConfig(env).tracing).toMatchObject({ exporter: 'otlp' });
    }
  });

  it('without it: no endpoint, so tracing is off and no SDK is loaded', () => {
    const unset: Record<string, string> = {};
    for (const shell of [unset, { COMPOSE_PROFILES: '' }])
      expect(loadConfig(apiTracingEnv(shell)).tracing).toBeUndefined();
  });

  it('is not turned on or redirected by endpoints in a .env written for `npm run dev`', () => {
    const devDotEnv = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://localhost:4318/v1/traces',
    };
    expect(loadConfig(apiTracingEnv({}, devDotEnv)).tracing).toBeUndefined();
    const traced = apiTracingEnv({ COMPOSE_PROFILES: 'tracing' }, devDotEnv);
    expect([traced.OTEL_EXPORTER_OTLP_ENDPOINT, traced.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT]).toEqual([collectorUrl, '']);
  });
});
