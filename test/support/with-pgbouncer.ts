/**
 * Runs a command with TEST_DATABASE_URL pointing through a real pgbouncer in transaction pooling
 * mode (test/support/pgbouncer.ts), so the store tests that use TEST_DATABASE_URL run through it:
 *
 *   npx tsx test/support/with-pgbouncer.ts npm run -s test:jest -- test/store --maxWorkers=1
 *
 * Exits with the command's status; pgbouncer is stopped whatever happens.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startPgBouncer } from './pgbouncer';

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (command === undefined) throw new Error('usage: with-pgbouncer.ts <command> [args...]');
  const bouncer = await startPgBouncer();
  try {
    const child = spawn(command, args, {
      stdio: 'inherit',
      env: { ...process.env, TEST_DATABASE_URL: bouncer.url() },
    });
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    return code ?? (signal ? 1 : 0);
  } finally {
    await bouncer.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`with-pgbouncer: ${err.message}`);
    process.exit(1);
  },
);
