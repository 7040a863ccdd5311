/**
 * deploy/kubernetes/deployment.yaml agrees with the service it runs: the manifest's environment is a
 * valid production configuration for src/core/config.ts, the port and probes are the ones the service
 * serves, the grace period covers the drain main.ts performs, secrets come from a Secret, and the pod
 * runs as the image's non-root user. Static: parsed with `yaml`, no cluster needed.
 * (kubernetes-probes.test.ts runs the service configured this way and probes it as the kubelet does.)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/core/config';
import { loadDocument } from '../../src/pipeline/compile/document';
import { compileOperations } from '../../src/pipeline/compile/operations';
import { isSecretKey } from './compose-support';
import { knownConfigNames } from './config-variables';
import {
  container,
  containerPort,
  envVars,
  type HttpProbe,
  literalEnv,
  manifests,
  podSpec,
  root,
  secretEnv,
} from './kubernetes-support';

/** Stand-ins for what the Secret holds, shaped as the service requires (a JWT secret of 384 random bits). */
const secretStandIn = (name: string): string =>
  ({
    REDIS_URL: 'redis://redis:6379',
    DATABASE_URL: 'postgres://specgate@postgresql:5432/specgate',
  })[name] ?? randomBytes(48).toString('base64url');
const podEnv = { ...literalEnv, ...Object.fromEntries([...secretEnv.keys()].map((n) => [n, secretStandIn(n)])) };
const config = loadConfig(podEnv);

/** What main.ts allows beyond the drain and the shutdown timeout for closing Redis and the database. */
const closeGraceSeconds = (() => {
  const m = /const CLOSE_GRACE_MS = ([\d_]+);/.exec(readFileSync(path.join(root, 'src', 'main.ts'), 'utf8'));
  if (!m) throw new Error('CLOSE_GRACE_MS not found in src/main.ts');
  return Number(m[1]!.replace(/_/g, '')) / 1000;
})();

const preStopSeconds = (): number => {
  const preStop = container.lifecycle?.preStop;
  const exec = preStop?.exec?.command;
  if (exec?.[0] === 'sleep') return Number(exec[1]);
  return preStop?.sleep?.seconds ?? 0;
};

describe('the Deployment', () => {
  it('is a valid production configuration once its Secret supplies the values', () => {
    expect(() => loadConfig(podEnv)).not.toThrow();
    expect(config.nodeEnv).toBe('production');
  });

  it('declares the one port the service listens on', () => {
    expect(container.ports?.map((p) => p.containerPort)).toEqual([config.port]);
  });

  const operations = compileOperations(loadDocument());
  it.each([
    ['startupProbe', 'getHealth'],
    ['readinessProbe', 'getReadiness'],
    ['livenessProbe', 'getHealth'],
  ] as const)('points its %s at the public route of %s, on that port, in the protocol it serves', (probe, opId) => {
    // Readiness follows Redis, PostgreSQL and the drain; liveness checks none, so an outage restarts nothing.
    const get = (container[probe] as HttpProbe | undefined)?.httpGet;
    const op = operations.find((o) => o.method === 'GET' && o.path === get?.path);
    expect(op?.operationId).toBe(opId);
    // The kubelet sends no credentials.
    expect(op?.security.length === 0 || op?.security.some((r) => Object.keys(r).length === 0)).toBe(true);
    expect(containerPort(get?.port)).toBe(config.port);
    expect(get?.scheme ?? 'HTTP').toBe(config.tls ? 'HTTPS' : 'HTTP');
  });

  it("gives the preStop pause, the drain and the shutdown timeout their time before the kubelet's SIGKILL", () => {
    const { shutdownDrainMs, shutdownTimeoutMs } = config.server;
    const needed = preStopSeconds() + shutdownDrainMs / 1000 + shutdownTimeoutMs / 1000 + closeGraceSeconds;
    expect(preStopSeconds()).toBeGreaterThan(0);
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(needed);
  });

  it('sets only variables the service reads, and lets Kubernetes inject none', () => {
    const known = knownConfigNames();
    const names = envVars.map((e) => e.name);
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
    expect((container as { envFrom?: unknown }).envFrom).toBeUndefined();
    expect(podSpec.enableServiceLinks).toBe(false);
  });

  it('takes the signing secret, the database and the Redis topology from a Secret, and no secret from the manifest', () => {
    expect(secretEnv.has('JWT_SECRET')).toBe(true);
    expect(secretEnv.has('DATABASE_URL')).toBe(true);
    expect(['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'].some((n) => secretEnv.has(n))).toBe(true);
    expect(Object.keys(literalEnv).filter(isSecretKey)).toEqual([]);
    // One Secret, named, created outside these files: none is committed here.
    const secretNames = new Set([...secretEnv.values()].map((ref) => ref.name ?? ''));
    expect(secretNames.size).toBe(1);
    expect([...secretNames][0]).toMatch(/\S/);
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
  });

  it('reads the TLS certificate and key from a mounted Secret', () => {
    const certDir = path.dirname(config.tls?.certFile ?? '');
    expect(path.dirname(config.tls?.keyFile ?? '')).toBe(certDir);
    const mount = container.volumeMounts?.find((m) => m.mountPath === certDir);
    const volume = podSpec.volumes?.find((v: { name: string }) => v.name === mount?.name);
    expect(mount?.readOnly).toBe(true);
    expect(volume?.secret?.secretName).toMatch(/\S/);
  });

  it('runs as a non-root user without privileges, on a read-only root filesystem', () => {
    const sc = { ...podSpec.securityContext, ...container.securityContext };
    expect(sc.runAsNonRoot).toBe(true);
    expect(sc.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext?.capabilities?.drop).toContain('ALL');
    expect(container.securityContext?.capabilities?.add ?? []).toEqual([]);
  });

  it("runs as the Dockerfile's user", () => {
    const users = readFileSync(path.join(root, 'Dockerfile'), 'utf8')
      .split(/\r?\n/)
      .flatMap((line) => /^\s*USER\s+(\S+)/i.exec(line)?.[1] ?? []);
    const user = (users[users.length - 1] ?? '').split(':')[0]!;
    // The official node images create `node` as uid 1000; a numeric USER is taken as it is.
    const uid = user === 'node' ? 1000 : Number(user);
    expect(uid).toBeGreaterThan(0);
    expect({ ...podSpec.securityContext, ...container.securityContext }.runAsUser).toBe(uid);
  });

  it('mounts a writable volume wherever the service writes', () => {
    const writable = (container.volumeMounts ?? [])
      .filter((m) => {
        const volume = podSpec.volumes?.find((v: { name: string }) => v.name === m.name);
        return !m.readOnly && (volume?.emptyDir !== undefined || volume?.persistentVolumeClaim !== undefined);
      })
      .map((m) => m.mountPath ?? '');
    expect(writable).toContain('/tmp');
    // DATA_DIR holds the embedded database, used only when DATABASE_URL is unset.
    if (!secretEnv.has('DATABASE_URL') && literalEnv.DATABASE_URL === undefined) {
      expect(writable.some((p) => config.dataDir === p || config.dataDir.startsWith(`${p}/`))).toBe(true);
    }
  });

  it('requests and limits CPU and memory, with requests within the limits', () => {
    const { requests = {}, limits = {} } = container.resources ?? {};
    for (const resource of ['cpu', 'memory']) {
      expect(quantity(requests[resource])).toBeGreaterThan(0);
      expect(quantity(requests[resource])).toBeLessThanOrEqual(quantity(limits[resource]));
    }
  });
});

/** A Kubernetes quantity (250m, 1, 256Mi, 1Gi) as a number; NaN when absent or unknown. */
function quantity(raw: string | number | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(raw ?? ''));
  if (!m) return Number.NaN;
  const factor: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(m[1]) * (m[2] ? factor[m[2]]! : 1);
}
