/**
 * {@link problemsOf} (./config-problems) answered by a node process of its own, as the service runs
 * loadConfig, outside jest's sandbox.
 *
 * Jest runs a test file's modules in a vm context whose global object is a Proxy behind V8's
 * interceptors: every read of a global (`Math`, `parseInt`, `Object`) goes through them, about 20
 * times as slow as in a plain process. zxcvbn's scoring reads such globals in its innermost loops,
 * so weighing a JWT_SECRET costs about 2.7 times its CPU in the sandbox; a file that weighs
 * thousands of secrets has them weighed here. This same file is the child: it answers each
 * message with the problems of the env it carries.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { problemsOf } from './config-problems';

interface Request {
  id: number;
  env: Record<string, string>;
}

type Reply = { id: number; problems: string[] } | { id: number; error: string };

if (require.main === module) {
  // Once jest is gone, the channel closes and nothing keeps this process running.
  process.on('message', ({ id, env }: Request) => {
    let reply: Reply;
    try {
      reply = { id, problems: problemsOf(env) };
    } catch (err) {
      reply = { id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    process.send?.(reply);
  });
}

export interface ConfigProblemsProcess {
  /** What {@link problemsOf} gives for `env`, computed in the child. */
  problemsOf(env: Record<string, string>): Promise<string[]>;
}

/** Registers the child's `beforeAll`/`afterAll`; call it at the top level of a test file. */
export function useConfigProblemsProcess(): ConfigProblemsProcess {
  let child: ChildProcess | undefined;
  const pending = new Map<number, { resolve(problems: string[]): void; reject(err: Error): void }>();
  let nextId = 0;

  beforeAll(() => {
    const started = fork(__filename, [], {
      cwd: path.resolve(__dirname, '../..'),
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    started.on('message', (reply: Reply) => {
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if ('error' in reply) waiting?.reject(new Error(reply.error));
      else waiting?.resolve(reply.problems);
    });
    started.once('exit', (code, signal) => {
      for (const waiting of pending.values()) waiting.reject(new Error(`the child ended (${signal ?? code})`));
      pending.clear();
    });
    child = started;
  });
  afterAll(async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.disconnect();
    await exited;
  });

  return {
    problemsOf(env) {
      return new Promise((resolve, reject) => {
        if (!child?.connected) return reject(new Error('the child is not running'));
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ id, env } satisfies Request);
      });
    },
  };
}
