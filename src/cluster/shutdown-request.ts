/**
 * The primary's request that a worker drain and exit, sent over the cluster IPC channel rather than
 * as a signal: a worker counts signals (the second one forces exit 1), and on Ctrl-C the terminal
 * already sends SIGINT to the whole process group, so a forwarded signal would be a second one.
 */
import type { Worker } from 'node:cluster';

const SHUTDOWN = 'specgate:shutdown';

/** In the primary: asks `worker` to drain as on SIGTERM. */
export function requestShutdown(worker: Worker): void {
  if (worker.isConnected()) worker.send({ type: SHUTDOWN });
  // Without its channel it cannot hear the request; a signal starts the same drain.
  else worker.process.kill('SIGTERM');
}

/** In a worker: runs `shutdown` when the primary asks (idempotent on the caller's side). */
export function onShutdownRequest(shutdown: (reason: 'primary') => void): void {
  process.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type === SHUTDOWN) shutdown('primary');
  });
}
