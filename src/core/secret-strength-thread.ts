/**
 * The strength check of a signing secret (./secret-strength) in a worker thread. Reading a value
 * with zxcvbn first loads and ranks its dictionaries, about half a second of CPU: on its own thread
 * that runs beside the rest of production start-up (modules, database, the document's validators)
 * instead of before it. The thread is this same file, started with the value to weigh; it posts
 * the refusal (or null) and ends.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { secretWeakness } from './secret-strength';

interface Job {
  /** The variable's name, for the message. */
  name: string;
  value: string;
}

/** Marks the threads this file starts, so that loading it in any other thread does nothing. */
const JOB = 'specgate:secret-strength';

if (!isMainThread && parentPort) {
  const data = workerData as { [JOB]?: Job } | undefined;
  const job = data?.[JOB];
  if (job) parentPort.postMessage(secretWeakness(job.name, job.value) ?? null);
}

/**
 * {@link secretWeakness} of `value`, computed in a new worker thread: why it is too weak, or
 * undefined. Rejects if the thread fails (it then gave no verdict, which is no pass).
 */
export function weighSecretInThread(name: string, value: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    // Under tsx (development, tests) this is the .ts file: the thread inherits tsx's --import.
    const worker = new Worker(__filename, { workerData: { [JOB]: { name, value } satisfies Job } });
    worker.once('message', (problem: string | null) => resolve(problem ?? undefined));
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the secret-strength thread ended (exit code ${code}) with no verdict`)),
    );
  });
}
