/**
 * The strength check of a signing secret (./secret-strength) in a worker thread. Reading a value
 * with zxcvbn first loads its dictionaries (about 0.2 s of CPU), then reads the value: on its own
 * thread that runs beside the rest of production start-up (modules, database, Redis) instead of
 * before it. The compiled service starts the thread before it loads its modules
 * ({@link prestartSecretThread}, ./early-start), so the dictionaries load meanwhile; the value
 * follows once the config is read. The thread is this same file: it posts the refusal (or null) and
 * ends.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadDictionaries } from './secret-dictionaries';
import { secretWeakness } from './secret-strength';

interface Job {
  /** The variable's name, for the message. */
  name: string;
  value: string;
}

/** Marks the threads this file starts, so that loading it in any other thread does nothing. */
const THREAD = 'specgate:secret-strength';

if (!isMainThread && parentPort && (workerData as Record<string, unknown> | undefined)?.[THREAD]) {
  const port = parentPort;
  // The dictionaries need no value: loaded while the value is on its way.
  loadDictionaries();
  port.once('message', ({ name, value }: Job) => {
    port.postMessage(secretWeakness(name, value) ?? null);
    port.close();
  });
}

interface Thread {
  worker: Worker;
  /** Why the value posted to it is too weak, or undefined; rejects if the thread fails first. */
  verdict: Promise<string | undefined>;
}

function startThread(): Thread {
  // Under tsx (development, tests) this is the .ts file: the thread inherits tsx's --import.
  const worker = new Worker(__filename, { workerData: { [THREAD]: true } });
  const verdict = new Promise<string | undefined>((resolve, reject) => {
    worker.once('message', (problem: string | null) => resolve(problem ?? undefined));
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the secret-strength thread ended (exit code ${code}) with no verdict`)),
    );
  });
  // Awaited once a value is posted; a thread released unused ends without one, which is no error.
  verdict.catch(() => undefined);
  return { worker, verdict };
}

let waiting: Thread | undefined;

/** Starts the thread before the value is known, to load the dictionaries meanwhile. */
export function prestartSecretThread(): void {
  waiting ??= startThread();
  // Idle, it never keeps the process alive.
  waiting.worker.unref();
}

/** Ends the prestarted thread when no value is going to be weighed (outside production). */
export function releaseSecretThread(): void {
  void waiting?.worker.terminate();
  waiting = undefined;
}

/**
 * {@link secretWeakness} of `value`, computed in a worker thread (the prestarted one, if any): why it
 * is too weak, or undefined. Rejects if the thread fails (it then gave no verdict, which is no pass).
 */
export function weighSecretInThread(name: string, value: string): Promise<string | undefined> {
  const thread = waiting ?? startThread();
  waiting = undefined;
  thread.worker.ref();
  thread.worker.postMessage({ name, value } satisfies Job);
  return thread.verdict;
}
