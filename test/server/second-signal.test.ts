/**
 * A second SIGTERM or SIGINT while the instance drains is an operator (or an orchestrator) saying
 * "now": the process exits at once with code 1 and logs a warning, instead of finishing a drain
 * that could last SHUTDOWN_DRAIN_SECONDS + SHUTDOWN_TIMEOUT_SECONDS. Real processes, as main.ts
 * runs. (A single SIGTERM under load drains and exits 0: test/server/drain.test.ts.) The handlers
 * are in place before the service says it listens, so even a SIGTERM sent on that very line drains.
 */

import type { Instance } from '../support/instance';
import { useInstanceFleet } from '../support/instance-fleet';

/** Long enough that an exit inside it can only come from the second signal. */
const DRAIN_SECONDS = 30;
/** "Promptly" on a loaded two-core machine: far below the drain, far above a process exit. */
const PROMPT_MS = 10_000;

const fleet = useInstanceFleet('second-signal', { SHUTDOWN_DRAIN_SECONDS: String(DRAIN_SECONDS) });

const logLines = (i: Instance) =>
  i
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

it.each(['SIGTERM', 'SIGINT'] as const)(
  'a %s during the drain after a SIGTERM exits at once with code 1 and a warning',
  async (second) => {
    const instance = await fleet.launch(`second-${second}`);
    expect((await fetch(`${instance.url}/readyz`)).status).toBe(200);
    instance.signal('SIGTERM');
    // The first signal is being handled: the drain has begun (and /readyz says so).
    await until(() => logLines(instance).some((l) => l.msg === 'draining'));
    expect((await fetch(`${instance.url}/readyz`)).status).toBe(503);

    instance.signal(second);
    const { code, afterSignalMs } = await instance.exited;

    expect(code).toBe(1);
    expect(afterSignalMs).toBeLessThan(PROMPT_MS);
    expect(logLines(instance)).toContainEqual(
      expect.objectContaining({ level: 'warn', signal: second, msg: 'second signal: exiting now' }),
    );
    // It did not finish the drain: no clean stop was logged.
    expect(instance.output()).not.toContain('"msg":"specgate stopped"');
  },
  90_000,
);

it('drains and exits 0 on a SIGTERM sent the moment the service says it listens', async () => {
  // Before the handlers went in ahead of "specgate listening", 1 in 3 to 1 in 8 such signals met
  // node's default action (killed by the signal, no drain) on this two-core machine under load; on
  // an idle machine the gap is too short to hit. So this guards the order by chance, three tries
  // at a time; the order itself is fixed in main.ts.
  for (const n of [1, 2, 3]) {
    const instance = await fleet.launch(`at-once-${n}`, { SHUTDOWN_DRAIN_SECONDS: '0' });
    instance.signal('SIGTERM');
    const { code } = await instance.exited;
    expect({ code, signal: instance.child.signalCode }).toEqual({ code: 0, signal: null });
    expect(instance.output()).toContain('"msg":"specgate stopped"');
  }
}, 90_000);
