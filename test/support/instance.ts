/**
 * specgate as a real process, the way production runs it (`src/main.ts` under node, through tsx
 * so nothing is compiled first): for tests of signals, draining and exit codes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const START_TIMEOUT_MS = 60_000;

export interface Instance {
  url: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when it exits: its code and the milliseconds since {@link Instance.signal} (or start). */
  exited: Promise<{ code: number | null; afterSignalMs: number }>;
  /** Sends a signal and notes the time for `exited`. */
  signal(signal: NodeJS.Signals): void;
}

/** Starts `node --import tsx src/main.ts` with exactly `env` (plus PATH) and waits until it listens. */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c));
  child.stderr!.on('data', (c: Buffer) => (output += c));
  let signalledAt = Date.now();
  // 'close', not 'exit': by then the last of the output has been read, which a test reads next.
  const exited = new Promise<{ code: number | null; afterSignalMs: number }>((resolve) =>
    child.once('close', (code) => resolve({ code, afterSignalMs: Date.now() - signalledAt })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`specgate did not start:\n${output}`)), START_TIMEOUT_MS);
    const onData = () => {
      const m = /"url":"(https?:\/\/[^"]+)".*"msg":"specgate listening"/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`specgate exited at start:\n${output}`)));
  });
  return {
    url,
    child,
    output: () => output,
    exited,
    signal(signal) {
      signalledAt = Date.now();
      child.kill(signal);
    },
  };
}
