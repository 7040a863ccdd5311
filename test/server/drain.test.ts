/**
 * A graceful drain that loses nothing, with real processes: two instances share Redis (and
 * PostgreSQL when TEST_DATABASE_URL is set); a client spreads keep-alive requests over both and
 * follows /readyz and `Connection: close`, as a load balancer does. SIGTERM to one mid-load loses
 * no request, and the process logs `specgate stopped` and exits 0. A request still in flight when
 * the drain period ends completes; one that outlasts SHUTDOWN_TIMEOUT_SECONDS is cut and the
 * process still exits 0.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { openDatabase } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { UsersRepository } from '../../src/store/users.repository';
import { fastPasswords } from '../support/app';
import { client, received } from '../support/contract';
import type { Instance } from '../support/instance';
import { useInstanceFleet } from '../support/instance-fleet';
import { partialTokenRequest } from '../support/partial-request';

const DRAIN_SECONDS = 2;
const fleet = useInstanceFleet('drain', { SHUTDOWN_DRAIN_SECONDS: String(DRAIN_SECONDS) });

/** A user in the database instance `name` will use (its own PGlite, or the shared PostgreSQL). */
async function createUser(name: string, username: string, password: string): Promise<void> {
  const db = await openDatabase(
    process.env.TEST_DATABASE_URL
      ? { url: process.env.TEST_DATABASE_URL }
      : { dataDir: path.join(fleet.dataDir(name), 'pglite') },
  );
  try {
    await migrate(db);
    await new UsersRepository(db).create({
      username,
      passwordHash: await fastPasswords().hash(password),
      scopes: ['items:read'],
    });
  } finally {
    await db.close();
  }
}

interface Target {
  instance: Instance;
  agent: http.Agent;
  inUse: boolean;
  served: number;
  closes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('SIGTERM to one of two instances under keep-alive load loses no request and exits 0', async () => {
  const username = `drain-${Date.now()}`;
  await createUser('a', username, 'drain-password-1');
  // b stays up; at the end it only has to stop, with no drain of its own to wait for.
  const [a, b] = await Promise.all([fleet.launch('a'), fleet.launch('b', { SHUTDOWN_DRAIN_SECONDS: '0' })]);
  const token = await client(a.url).login(username, 'drain-password-1');
  const targets: Target[] = [a, b].map((instance) => ({
    instance,
    agent: new http.Agent({ keepAlive: true, maxSockets: 4 }),
    inUse: true,
    served: 0,
    closes: 0,
  }));
  const failures: string[] = [];
  let sent = 0;
  let running = true;

  const send = (target: Target, p: string) =>
    new Promise<void>((resolve) => {
      sent++;
      const req = http.request(
        `${target.instance.url}${p}`,
        { agent: target.agent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
            try {
              const checked = received('GET', p, res.statusCode!, headers, text);
              if (checked.status !== 200) failures.push(`${p} → ${checked.status}`);
            } catch (err) {
              failures.push(String(err));
            }
            target.served++;
            // RFC 9112 §9.6: the server closes this connection; open the next one elsewhere.
            if (headers.connection === 'close') {
              target.closes++;
              target.inUse = false;
            }
            resolve();
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        failures.push(`${p}: ${err.code ?? err.message}`);
        resolve();
      });
      req.end();
    });

  let turn = 0;
  const worker = async () => {
    while (running) {
      const usable = targets.filter((t) => t.inUse);
      const target = usable[turn++ % usable.length];
      if (!target) return;
      await send(target, turn % 2 ? '/v1/items?limit=5' : '/healthz');
    }
  };
  // The load balancer's readiness probe, on a connection of its own each time.
  const follower = async () => {
    while (running) {
      for (const target of targets.filter((t) => t.inUse)) {
        const status = await new Promise<number>((resolve) => {
          http
            .get(`${target.instance.url}/readyz`, { agent: false }, (res) => {
              res.resume();
              resolve(res.statusCode!);
            })
            .on('error', () => resolve(0));
        });
        if (status !== 200) target.inUse = false;
      }
      await sleep(100);
    }
  };

  const load = Promise.all([follower(), ...Array.from({ length: 6 }, worker)]);
  await sleep(1500);
  const sentBeforeSignal = sent;
  a.signal('SIGTERM');
  const { code, afterSignalMs } = await a.exited;
  // Keep going on the instance that stays, then stop.
  await sleep(500);
  running = false;
  await load;
  for (const t of targets) t.agent.destroy();

  const trial = {
    sent,
    sentBeforeSignal,
    lost: failures.length,
    servedByA: targets[0]!.served,
    servedByB: targets[1]!.served,
    exitCode: code,
    exitAfterSignalMs: afterSignalMs,
    connectionCloseSeen: targets[0]!.closes,
  };
  fs.mkdirSync('test-output', { recursive: true });
  fs.writeFileSync(path.join('test-output', 'drain-trial.json'), JSON.stringify(trial, null, 2));

  expect(failures).toEqual([]);
  expect(code).toBe(0);
  expect(a.output()).toContain('"msg":"specgate stopped"');
  expect(targets[0]!.served).toBeGreaterThan(0);
  expect(targets[1]!.served).toBeGreaterThan(0);
  // It drained for the configured time, then stopped well before the force timer.
  expect(afterSignalMs).toBeGreaterThanOrEqual(DRAIN_SECONDS * 1000 - 100);
  expect(afterSignalMs).toBeLessThan(DRAIN_SECONDS * 1000 + 8000);
  b.signal('SIGTERM');
  expect((await b.exited).code).toBe(0);
}, 120_000);

it('completes a request in flight when the drain ends, cuts one past SHUTDOWN_TIMEOUT_SECONDS, and exits 0', async () => {
  const c = await fleet.launch('c', {
    SHUTDOWN_DRAIN_SECONDS: '1',
    SHUTDOWN_TIMEOUT_SECONDS: '4',
    REQUEST_TIMEOUT_SECONDS: '30',
    HEADERS_TIMEOUT_SECONDS: '10',
  });
  const body = 'grant_type=password&username=nobody&password=whatever-password-1';
  const slow = await partialTokenRequest(c.url, body, 20);
  const stuck = await partialTokenRequest(c.url, body, 20);
  await sleep(200);
  c.signal('SIGTERM');

  // Past the drain period: the server no longer accepts connections, but the slow request finishes.
  await sleep(2500);
  const refused = await new Promise<string>((resolve) => {
    net
      .connect(Number(new URL(c.url).port), '127.0.0.1')
      .on('connect', () => resolve('accepted'))
      .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
  expect(refused).toBe('ECONNREFUSED');
  slow.socket.write(body.slice(20));
  const answer = await slow.response;
  const [head = '', text = ''] = answer.split('\r\n\r\n');
  const status = Number(head.split(' ')[1]);
  const headers = Object.fromEntries(
    head
      .split('\r\n')
      .slice(1)
      .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  const res = received('POST', '/token', status, headers, text);
  expect([res.status, res.body.error]).toEqual([400, 'invalid_grant']);
  expect(headers.connection).toBe('close');

  // The stuck one is cut at drain + timeout, and the process still stops cleanly.
  await stuck.response;
  const { code, afterSignalMs } = await c.exited;
  expect(code).toBe(0);
  expect(afterSignalMs).toBeGreaterThanOrEqual(4500);
  expect(afterSignalMs).toBeLessThan(5000 + 8000);
  expect(c.output()).toContain('requests still in flight at the shutdown timeout');
  expect(c.output()).toContain('"msg":"specgate stopped"');
  expect(c.output()).not.toMatch(/"level":"(error|fatal)"/);
}, 90_000);
