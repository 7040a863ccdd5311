/**
 * `npm run mock`: every operation of openapi/openapi.yaml served from its examples, with the
 * service's request validation and security checks (src/mock/). No Redis, no database.
 *
 *   PORT        default 4010 (Prism's); 0 picks a free port
 *   HOST        default 127.0.0.1
 *   LOG_LEVEL   default info
 *
 * Reads only these three: the service's config (src/core/config.ts) wants Redis, a JWT secret and
 * more that the mock has no use for. Stops on SIGINT / SIGTERM.
 */
import { LOG_LEVELS, type LogLevel } from '../src/core/config';
import { createLogger } from '../src/core/logger';
import { type RunningMock, startMockServer } from '../src/mock/mock-server';

/** The mock's settings from the environment; exits 2 naming every bad value. */
function settings(env: NodeJS.ProcessEnv): { port: number; host: string; logLevel: LogLevel } {
  const problems: string[] = [];
  const port = Number(env.PORT || 4010);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`PORT must be an integer from 0 to 65535, got ${env.PORT}`);
  const logLevel = (env.LOG_LEVEL || 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${env.LOG_LEVEL}`);
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exit(2);
  }
  return { port, host: env.HOST || '127.0.0.1', logLevel };
}

const { port, host, logLevel } = settings(process.env);
const logger = createLogger(logLevel);
const running: Promise<RunningMock> = startMockServer({ port, host, logger });

// Installed before the server listens, so a signal sent on the "listening" line stops it cleanly.
let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) process.exit(1);
  stopping = true;
  logger.info({ signal }, 'specgate mock stopping');
  running
    .then((mock) => mock.close())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

running.then(
  (mock) => logger.info({ url: mock.url }, `specgate mock listening on ${mock.url}`),
  (err: unknown) => {
    logger.fatal({ err: (err as Error).message }, 'specgate mock failed to start');
    process.exit(1);
  },
);
