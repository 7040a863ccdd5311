/**
 * pino JSON logger with redaction: credentials never reach a log line, whatever path they take
 * (headers, form bodies, error objects). ASVS 5.0 16.2.5 / 16.3.1.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/** Paths pino censors; wildcards cover nested request/response objects. */
export const REDACT_PATHS = [
  'password',
  'new_password',
  'current_password',
  'access_token',
  'refresh_token',
  'token',
  'secret',
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.secret',
  '*.authorization',
  'res.headers["set-cookie"]',
];

/**
 * Builds the process logger. `destination` is a seam for tests that capture log lines; `mixin`
 * adds fields to every line (the trace of the request being handled, when tracing is on).
 */
export function createLogger(
  level: LogLevel,
  destination?: DestinationStream,
  mixin?: () => Record<string, unknown>,
): Logger {
  return pino(
    {
      level,
      ...(mixin ? { mixin } : {}),
      base: { service: 'specgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/**
 * Standard output written synchronously: each line is in the pipe before the call returns, however
 * long a full pipe takes to drain. For the cluster primary, which logs a few lifecycle lines and
 * exits right after its last one ('all workers stopped'); with pino's asynchronous default, a pipe
 * that a slow reader (or its workers' output) kept full past the primary's exit deadline lost it.
 */
export function synchronousStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}
