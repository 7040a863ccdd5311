/**
 * WORKERS=2, with real processes: `src/main.ts` as the cluster primary, two workers sharing one
 * port, a real Redis, and PostgreSQL (a fresh database, so that both workers migrate it at once).
 * Requests are spread over both workers (each worker's log lines carry its pid), /metrics counts
 * the requests of both, a worker killed with SIGKILL is replaced while the service keeps
 * answering, and SIGTERM to the primary drains every worker, completing a request in flight, and
 * exits 0. Several processes cannot share PGlite, so without TEST_DATABASE_URL only the start-up
 * refusal is checked.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { migrations } from '../../src/store/migrations/index';
import { TEST_SECRET } from '../support/app';
import { httpRequest, received } from '../support/contract';
import { testDatabaseUrl } from '../support/database';
import type { Instance } from '../support/instance';
import { useInstanceFleet } from '../support/instance-fleet';
import { partialTokenRequest } from '../support/partial-request';

const METRICS_TOKEN = 'workers-test-metrics-token-0123456789abcdef';
const fleet = useInstanceFleet('workers', { WORKERS: '2', METRICS_TOKEN, SHUTDOWN_DRAIN_SECONDS: '1' });

/** The instance's log lines as objects (a worker's carry its `pid`). */
function logLines(instance: Instance): Record<string, unknown>[] {
  return instance
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The pids of the processes that logged `msg` (for "request", optionally only on `path`). */
function pidsLogging(instance: Instance, msg: string, path?: string): Set<number> {
  const lines = logLines(instance).filter((l) => l.msg === msg && (path === undefined || l.path === path));
  return new Set(lines.map((l) => l.pid as number));
}

async function waitFor(what: string, instance: Instance, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${instance.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GET /healthz on a connection of its own, so the primary hands each one to a worker anew. */
async function health(url: string): Promise<number> {
  return (await httpRequest(`${url}/healthz`, { headers: { connection: 'close' } })).status;
}

/** GET /metrics as Prometheus scrapes it, on a connection of its own. */
function scrape(url: string) {
  return httpRequest(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}`, connection: 'close' } });
}

/** The running workers: the pids that logged "specgate listening" and have not been reported dead. */
function liveWorkers(instance: Instance): number[] {
  const dead = new Set(logLines(instance).map((l) => l.workerPid));
  return [...pidsLogging(instance, 'specgate listening')].filter((pid) => !dead.has(pid));
}

it('refuses WORKERS=2 without DATABASE_URL before forking anything (PGlite serves one process)', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: { PATH: process.env.PATH, NODE_ENV: 'test', PLAIN_HTTP: 'true', JWT_SECRET: TEST_SECRET, WORKERS: '2' },
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c));
  child.stderr.on('data', (c: Buffer) => (output += c));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(code).toBe(2);
  expect(output).toContain('WORKERS=2 needs DATABASE_URL');
  expect(output).not.toContain('starting workers');
});

const url = testDatabaseUrl();
if (url)
  describe('two workers on one fresh PostgreSQL database', () => {
    const name = `specgate_workers_${process.pid}_${Date.now()}`;
    const databaseUrl = new URL(url);
    databaseUrl.pathname = `/${name}`;
    let admin: Client;
    let service: Instance;

    beforeAll(async () => {
      admin = new Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      service = await fleet.launch('cluster', { DATABASE_URL: databaseUrl.toString() });
      // The harness returns at the first worker's "listening"; the tests need both.
      await waitFor('two workers listening', service, () => liveWorkers(service).length === 2);
    }, 120_000);

    afterAll(async () => {
      await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin?.end();
    });

    it('migrates the fresh database once although both workers start on it at the same time', async () => {
      const applied = logLines(service)
        .filter((l) => l.msg === 'database ready')
        .flatMap((l) => l.migrationsApplied as string[]);
      expect(pidsLogging(service, 'database ready').size).toBe(2);
      expect(applied.sort()).toEqual(migrations.map((m) => m.id).sort());
      const db = new Client({ connectionString: databaseUrl.toString() });
      await db.connect();
      try {
        const rows = await db.query('SELECT id FROM schema_migrations ORDER BY id');
        expect(rows.rows.map((r: { id: string }) => r.id)).toEqual(migrations.map((m) => m.id));
      } finally {
        await db.end();
      }
    });

    it('serves requests from two worker processes and /metrics counts the requests of both', async () => {
      const statuses = [];
      for (let i = 0; i < 20; i++) statuses.push(await health(service.url));
      expect(statuses).toEqual(Array(20).fill(200));
      const workers = pidsLogging(service, 'request', '/healthz');
      expect(workers.size).toBe(2);
      expect(workers.has(service.child.pid!)).toBe(false);

      // Each worker served fewer than 20: a total of 20 is the sum over both, whichever one answers.
      for (let i = 0; i < 4; i++) {
        const metrics = await scrape(service.url);
        expect(metrics.status).toBe(200);
        expect(metrics.text).toContain(
          'specgate_http_request_duration_seconds_count{operation="getHealth",method="GET",status="200"} 20\n',
        );
      }
      expect(pidsLogging(service, 'request', '/metrics').size).toBe(2);
    });

    it('keeps answering while a worker killed with SIGKILL is replaced', async () => {
      const [victim, survivor] = liveWorkers(service);
      process.kill(victim!, 'SIGKILL');
      await waitFor('the death to be logged', service, () =>
        logLines(service).some((l) => l.workerPid === victim && l.signal === 'SIGKILL' && l.level === 'error'),
      );
      // Until the replacement listens, the survivor answers everything, /metrics included: a worker
      // still loading its code is not waited for.
      let scrapes = 0;
      while (liveWorkers(service).length < 2) {
        expect(await health(service.url)).toBe(200);
        expect((await scrape(service.url)).status).toBe(200);
        scrapes++;
      }
      expect(scrapes).toBeGreaterThan(0);
      const replacement = liveWorkers(service).find((pid) => pid !== survivor)!;
      expect(replacement).not.toBe(victim);
      for (let i = 0; i < 10; i++) expect(await health(service.url)).toBe(200);
      expect(pidsLogging(service, 'request', '/healthz').has(replacement)).toBe(true);
    }, 60_000);
  });

if (url)
  it('drains every worker on SIGTERM to the primary, completes a request in flight, and exits 0', async () => {
    const service = await fleet.launch('drain', { DATABASE_URL: url });
    await waitFor('two workers listening', service, () => liveWorkers(service).length === 2);
    const workers = liveWorkers(service);
    const body = 'grant_type=password&username=nobody&password=whatever-password-1';
    const inFlight = await partialTokenRequest(service.url, body, 20);
    await new Promise((r) => setTimeout(r, 200));
    service.signal('SIGTERM');

    // Past the drain period (1 s) the request is still awaited; it completes with Connection: close.
    await new Promise((r) => setTimeout(r, 1500));
    inFlight.socket.write(body.slice(20));
    const [head = '', text = ''] = (await inFlight.response).split('\r\n\r\n');
    const headers = Object.fromEntries(
      head
        .split('\r\n')
        .slice(1)
        .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const res = received('POST', '/token', Number(head.split(' ')[1]), headers, text);
    expect([res.status, res.body.error]).toEqual([400, 'invalid_grant']);
    expect(headers.connection).toBe('close');

    expect((await service.exited).code).toBe(0);
    expect(pidsLogging(service, 'specgate stopped')).toEqual(new Set(workers));
    expect(service.output()).toContain('"msg":"all workers stopped"');
    expect(service.output()).not.toMatch(/"level":"(error|fatal)"/);
    // No worker outlives the primary.
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  }, 90_000);
