/**
 * The OpenTelemetry Collector configuration of docker-compose.yml's `tracing` profile, as data, for
 * the static tests of the profile and of the api's way to it.
 */
import { parse } from 'yaml';
import { readText } from './compose-support';

export const COLLECTOR_CONFIG = 'deploy/tracing/otel-collector.yaml';

export interface CollectorConfig {
  receivers: Record<string, { protocols?: { http?: { endpoint?: string }; grpc?: unknown } }>;
  processors: Record<string, unknown>;
  exporters: Record<string, { endpoint?: string; tls?: { insecure?: boolean } }>;
  extensions?: Record<string, unknown>;
  service: {
    extensions?: string[];
    pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
  };
}

export const collectorConfig = (): CollectorConfig => parse(readText(COLLECTOR_CONFIG)) as CollectorConfig;

/** The component type of a collector component id (`type[/name]`). */
export const typeOf = (id: string): string => id.split('/')[0] ?? '';

/** `host:port` (or a URL's) as its two parts. */
export function hostPort(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint.includes('://') ? endpoint : `tcp://${endpoint}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** The port the traces pipeline's OTLP receiver takes OTLP/HTTP on, or NaN without one. */
export function otlpHttpPort(config: CollectorConfig): number {
  const receiver = (config.service.pipelines.traces?.receivers ?? []).find((id) => typeOf(id) === 'otlp');
  const endpoint = config.receivers[receiver ?? '']?.protocols?.http?.endpoint;
  return endpoint === undefined ? Number.NaN : hostPort(endpoint).port;
}
