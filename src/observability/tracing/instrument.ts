/**
 * What tracing adds to the app's parts, in one place: the request span around the stages, spans
 * for the database's queries and Redis's round trips, and the INTERNAL spans' helper. createApp
 * requires this module only when it is given a tracer, so an untraced service never loads the
 * OpenTelemetry API.
 */
import type { Tracer } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import type { InSpan } from '../../core/in-span';
import type { RequestTracing } from '../../pipeline/pipeline';
import type { Database } from '../../store/database';
import { traceDatabase } from './database-spans';
import { internalSpans } from './internal-span';
import { traceRedis } from './redis-spans';
import { requestTracing } from './request-span';

export interface Instrumented {
  db: Database;
  inSpan: InSpan;
  requests: RequestTracing;
}

export function instrument(
  tracer: Tracer,
  parts: { db: Database; databaseUrl: string | undefined; redis: readonly Redis[]; trustProxy: number },
): Instrumented {
  for (const client of parts.redis) traceRedis(client, tracer);
  return {
    db: traceDatabase(parts.db, tracer, parts.databaseUrl),
    inSpan: internalSpans(tracer),
    requests: requestTracing(tracer, parts.trustProxy),
  };
}
