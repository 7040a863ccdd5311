/**
 * A real pino logger (the service's own settings, redaction included) whose lines go into an array
 * a test can read.
 */
import { Writable } from 'node:stream';
import type { LogLevel } from '../../src/core/config';
import { createLogger, type Logger } from '../../src/core/logger';

/** `mixin`: fields every line gets (the trace of the request, as main.ts adds when tracing is on). */
export function capturingLogger(level: LogLevel, lines: string[], mixin?: () => Record<string, unknown>): Logger {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return createLogger(level, sink as never, mixin);
}
