/**
 * Work worth seeing on its own in a request's trace (an argon2 verification, a cache fill): the
 * modules that do it take an InSpan and know nothing of tracing; src/observability/tracing/
 * internal-span.ts makes one from a tracer. Absent, the work just runs.
 */
export type InSpan = <T>(name: string, work: () => Promise<T>) => Promise<T>;
