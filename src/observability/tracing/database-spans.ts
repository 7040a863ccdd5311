/**
 * One CLIENT span per PostgreSQL (or PGlite) query of a request (database client semantic
 * conventions, https://opentelemetry.io/docs/specs/semconv/database/postgresql/): `db.query.text` is
 * the statement as written, with `$1` placeholders; the values never reach the span. The span is
 * named by its summary (`SELECT users`); a transaction is an INTERNAL span over its queries. A
 * query outside any request (a migration) records nothing.
 */
import { type Attributes, context, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import type { Database } from '../../store/database';
import { endFailed } from './error-type';
import { internalSpans } from './internal-span';

type Query = Database['query'];

/** `db` with every query a request makes recorded as a span; `url`: DATABASE_URL, if a server. */
export function traceDatabase(db: Database, tracer: Tracer, url: string | undefined): Database {
  const base = connectionAttributes(url);
  const inSpan = internalSpans(tracer);
  const traced =
    (query: Query): Query =>
    <T>(sql: string, params?: unknown[]) => {
      const parent = context.active();
      if (!trace.getSpan(parent)?.isRecording()) return query<T>(sql, params);
      const { operation, summary } = summarise(sql);
      const attributes: Attributes = {
        ...base,
        [ATTR_DB_QUERY_TEXT]: sql,
        [ATTR_DB_QUERY_SUMMARY]: summary,
        [ATTR_DB_OPERATION_NAME]: operation,
      };
      const span = tracer.startSpan(summary, { kind: SpanKind.CLIENT, attributes }, parent);
      return query<T>(sql, params).then(
        (rows) => {
          span.end();
          return rows;
        },
        (err: unknown) => {
          // A SQLSTATE (PostgreSQL appendix A) is the database's own status code.
          const code = (err as { code?: unknown } | null)?.code;
          endFailed(span, err, typeof code === 'string' ? { [ATTR_DB_RESPONSE_STATUS_CODE]: code } : {});
          throw err;
        },
      );
    };
  const query = traced(db.query.bind(db));
  return {
    kind: db.kind,
    query,
    // The transaction as one span over its queries: BEGIN and COMMIT are the gaps at its ends.
    transaction: (fn) => inSpan('transaction', () => db.transaction((tx) => fn({ query: traced(tx.query.bind(tx)) }))),
    ping: () => db.ping(),
    close: () => db.close(),
  };
}

function connectionAttributes(url: string | undefined): Attributes {
  const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL };
  if (!url) return attributes;
  try {
    const parsed = new URL(url);
    attributes[ATTR_SERVER_ADDRESS] = parsed.hostname;
    attributes[ATTR_SERVER_PORT] = Number(parsed.port || 5432);
    const name = decodeURIComponent(parsed.pathname.slice(1));
    if (name) attributes[ATTR_DB_NAMESPACE] = name;
  } catch {
    // The config checked it; nothing more to say about a URL that does not parse.
  }
  return attributes;
}

/** Statement summaries by statement: the service runs a fixed set of them. */
const summaries = new Map<string, { operation: string; summary: string }>();
const MAX_SUMMARIES = 1024;

/** The statement's first keyword and the table it names first: low-cardinality, as the conventions ask. */
function summarise(sql: string): { operation: string; summary: string } {
  const known = summaries.get(sql);
  if (known) return known;
  const operation = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
  const table = /\b(?:from|into|update|join)\s+("?[\w.]+"?)/i.exec(sql)?.[1]?.replaceAll('"', '');
  const result = { operation, summary: table ? `${operation} ${table}` : operation };
  if (summaries.size < MAX_SUMMARIES) summaries.set(sql, result);
  return result;
}
