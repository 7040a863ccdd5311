/**
 * The parent side of the OTLP trace sink (./server.ts): starts it, pinned to `cpu` from its first
 * instruction (the load CPU: it is part of the load, not of the server measured), and asks it what
 * it received.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { pinnedCommand } from '../pinning';
import type { SinkStats } from './server';

export interface Sink {
  pid: number;
  /** The OTEL_EXPORTER_OTLP_ENDPOINT under which a server's exports are counted as `name`'s. */
  endpointFor(name: string): string;
  /** What it received so far, by name. */
  stats(): Promise<SinkStats>;
  stop(): Promise<void>;
}

export async function startSink(cpu: number | undefined): Promise<Sink> {
  const args = ['-r', require.resolve('tsx/cjs'), path.join(__dirname, 'server.ts')];
  const [command, commandArgs] = pinnedCommand(cpu, process.execPath, args);
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  const exited = once(child, 'exit');
  const [ready] = (await Promise.race([
    once(child, 'message'),
    exited.then(([code, signal]) => {
      throw new Error(`the OTLP sink exited before it was ready (${code ?? signal})`);
    }),
  ])) as [{ port: number }];
  const origin = `http://127.0.0.1:${ready.port}`;
  // One question at a time: each 'stats' is answered by one message, in order.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    pid: child.pid ?? 0,
    endpointFor: (name) => `${origin}/${encodeURIComponent(name)}`,
    stats: () => {
      const asked = queue.then(() => {
        const reply = once(child, 'message');
        child.send('stats');
        return reply.then(([s]) => s as SinkStats);
      });
      queue = asked.catch(() => undefined);
      return asked;
    },
    stop: async () => {
      process.off('exit', kill);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
