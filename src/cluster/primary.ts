/**
 * The node:cluster primary of WORKERS > 1. It opens no database or Redis: it forks the workers (each
 * runs the whole service, src/main.ts, and they share one listening port), replaces one that dies,
 * gathers /metrics for them (./cluster-metrics.ts), and on SIGTERM/SIGINT has every worker drain as
 * a single process does, exiting when the last one has exited: 0 when all stopped cleanly.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../core/config';
import type { Logger } from '../core/logger';
import { serveClusterMetrics } from './cluster-metrics';
import { requestShutdown } from './shutdown-request';

/** The first replacement waits this long; each further crash in a row doubles it, up to the maximum. */
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 10_000;
/** A worker that lived this long was not crash-looping: the back-off starts over with its replacement. */
const STABLE_MS = 30_000;
/**
 * Past a worker's own force timer (drain + shutdown timeout + 5 s to close its stores, see
 * stopOnSignals in src/main.ts), so a worker that is slow to stop exits by itself first.
 */
const FORCE_AFTER_WORKERS_MS = 5_000 + 2_000;

export function runPrimary(config: Config, logger: Logger): void {
  const started = new Map<Worker, number>();
  const listening = new Set<Worker>();
  const restarts = new Set<NodeJS.Timeout>();
  let crashesInARow = 0;
  let stopping = false;
  let signals = 0;
  let uncleanExits = 0;
  let force: NodeJS.Timeout | undefined;

  const fork = () => {
    const worker = cluster.fork();
    started.set(worker, Date.now());
    // A worker asked to stop before it listens would not hear it yet (its handler goes in with the
    // server's start); asked once it listens, it drains like the others.
    worker.once('listening', () => {
      listening.add(worker);
      if (stopping) requestShutdown(worker);
    });
  };

  const finish = () => {
    clearTimeout(force);
    logger.info({ uncleanExits }, 'all workers stopped');
    const code = uncleanExits === 0 ? 0 : 1;
    // The line above must reach the log before the process ends (process.exit does not wait for
    // it): main.ts gives the primary a synchronous stdout, and a flush covers any other destination.
    logger.flush(() => process.exit(code));
    setTimeout(() => process.exit(code), 1_000).unref();
  };

  cluster.on('exit', (worker, code, signal) => {
    const startedAt = started.get(worker) ?? Date.now();
    started.delete(worker);
    listening.delete(worker);
    const fields = { workerPid: worker.process.pid, code, signal };
    if (stopping) {
      if (code !== 0) uncleanExits++;
      logger.info(fields, 'worker stopped');
      if (started.size === 0) finish();
      return;
    }
    if (Date.now() - startedAt >= STABLE_MS) crashesInARow = 0;
    const restartInMs = Math.min(RESTART_FIRST_MS * 2 ** crashesInARow, RESTART_MAX_MS);
    crashesInARow++;
    logger.error({ ...fields, restartInMs }, 'worker died: starting a replacement');
    const timer = setTimeout(() => {
      restarts.delete(timer);
      fork();
    }, restartInMs);
    restarts.add(timer);
  });

  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      for (const worker of started.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    // A worker that died and awaits its replacement did not drain: the stop is not a clean one.
    uncleanExits += restarts.size;
    for (const timer of restarts) clearTimeout(timer);
    logger.info({ signal, workers: started.size }, 'shutting down');
    if (started.size === 0) return finish();
    for (const worker of listening) requestShutdown(worker);
    const { shutdownDrainMs, shutdownTimeoutMs } = config.server;
    force = setTimeout(
      () => {
        logger.error('workers still running past the shutdown timeout: killing them');
        for (const worker of started.keys()) worker.process.kill('SIGKILL');
        process.exit(1);
      },
      shutdownDrainMs + shutdownTimeoutMs + FORCE_AFTER_WORKERS_MS,
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  serveClusterMetrics();
  logger.info({ workers: config.workers }, 'starting workers');
  for (let i = 0; i < config.workers; i++) fork();
}
