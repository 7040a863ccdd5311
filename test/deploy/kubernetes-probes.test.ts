/**
 * The service configured as deploy/kubernetes/deployment.yaml configures it (its literal environment:
 * production, HTTPS, the drain settings), probed the way the kubelet probes it: each probe's scheme
 * and path, no credentials, no certificate verification. A real process (src/main.ts) on a real
 * redis-server, and PostgreSQL when TEST_DATABASE_URL is set (PGlite otherwise). Only the listening
 * address, the certificate files and the cache differ: a free loopback port, a certificate made
 * here, and the cache on the test's redis-server (cache.yaml's Service does not resolve here).
 */
import fs from 'node:fs';
import https from 'node:https';
import type { Instance } from '../support/instance';
import { useInstanceFleet } from '../support/instance-fleet';
import { writeLocalCertificate } from '../support/tls';
import { container, type HttpProbe, literalEnv, podSpec } from './kubernetes-support';

const fleet = useInstanceFleet('kubernetes-probes');

/** One probe as the kubelet sends it; resolves the status. */
function probe(instance: Instance, which: 'startupProbe' | 'readinessProbe' | 'livenessProbe'): Promise<number> {
  const get = (container[which] as HttpProbe | undefined)?.httpGet;
  const url = new URL(get?.path ?? '/', instance.url);
  expect(url.protocol).toBe(`${(get?.scheme ?? 'HTTP').toLowerCase()}:`);
  return new Promise((resolve, reject) => {
    https
      .get(
        url,
        { rejectUnauthorized: false, agent: false, headers: { 'user-agent': 'kube-probe/1.32', accept: '*/*' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
      .on('error', reject);
  });
}

/** The kubelet counts 200-399 as success. */
const succeeded = (status: number): boolean => status >= 200 && status < 400;

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function launchAsDeployed(name: string): Promise<Instance> {
  const dir = fleet.dataDir(name);
  fs.mkdirSync(dir, { recursive: true });
  const cert = await writeLocalCertificate(dir);
  return fleet.launch(name, {
    ...literalEnv,
    HOST: '127.0.0.1',
    PORT: '0',
    TLS_CERT_FILE: cert.certFile,
    TLS_KEY_FILE: cert.keyFile,
    PLAIN_HTTP: '', // the fleet's default is plain HTTP; blank is unset
    REDIS_CACHE_URL: '', // blank: the cache shares the fleet's Redis
  });
}

it('passes the startup, readiness and liveness probes once it listens', async () => {
  const instance = await launchAsDeployed('probes');
  expect(instance.url).toMatch(/^https:/);
  for (const which of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
    expect({ which, succeeded: succeeded(await probe(instance, which)) }).toEqual({ which, succeeded: true });
  }
}, 90_000);

it('on SIGTERM fails readiness at once, stays alive while it drains, and exits 0 within the grace period', async () => {
  const instance = await launchAsDeployed('sigterm');
  expect(succeeded(await probe(instance, 'readinessProbe'))).toBe(true);

  // The kubelet sends SIGTERM once the preStop hook has run: what is left of the grace period is the budget.
  const preStopSeconds = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
  const budgetMs = (podSpec.terminationGracePeriodSeconds - preStopSeconds) * 1000;
  instance.signal('SIGTERM');
  await until(() => instance.output().includes('"msg":"draining"'));

  expect(await probe(instance, 'readinessProbe')).toBe(503);
  // A failed liveness probe would restart the container mid-drain.
  expect(succeeded(await probe(instance, 'livenessProbe'))).toBe(true);

  const { code, afterSignalMs } = await instance.exited;
  expect(code).toBe(0);
  expect(afterSignalMs).toBeLessThan(budgetMs);
}, 90_000);
