/**
 * A real pino logger (the service's own settings, redaction included) whose lines go into an array
 * a test can read.
 */
import { Writable } from 'node:stream';
import type { LogLevel } from '../../src/core/config';
import { createLogger, type Logger } from '../../src/core/logger';

export function capturingLogger(level: LogLevel, lines: string[]): Logger {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return createLogger(level, sink as never);
}
