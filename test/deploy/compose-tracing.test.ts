/**
 * docker-compose.yml's optional `tracing` profile, checked statically as the other Compose files
 * are (no Docker engine here): an OpenTelemetry Collector, configured by
 * deploy/tracing/otel-collector.yaml, between the api and Jaeger v2, both started only with the
 * profile and before the api. How the api finds the collector: compose-tracing-entrypoint.test.ts.
 */
import path from 'node:path';
import { COLLECTOR_CONFIG, collectorConfig, hostPort, typeOf } from './collector-config';
import { dependencyRequired, dependsOf, loadCompose, root, type Service } from './compose-support';

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

const config = collectorConfig();
const traces = config.service.pipelines.traces ?? { receivers: [], processors: [], exporters: [] };

describe('the tracing profile of docker-compose.yml', () => {
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
