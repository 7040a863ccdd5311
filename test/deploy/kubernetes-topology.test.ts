/**
 * The objects around the Deployment in deploy/kubernetes/ point at it and at each other: the
 * kustomization lists every manifest, the Service, PodDisruptionBudget and NetworkPolicy select its
 * pods and reach its port, the autoscaler scales it without blocking node drains or exhausting
 * PostgreSQL, and outbound traffic is limited to DNS, Redis and PostgreSQL. Static: no cluster needed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  container,
  containerPort,
  deployment,
  literalEnv,
  manifestDir,
  manifestFiles,
  named,
  only,
  podSpec,
  selectsPods,
} from './kubernetes-support';

/** PostgreSQL's default max_connections: without a pooler in front, every pod's pool counts against it. */
const POSTGRES_MAX_CONNECTIONS = 100;

interface NetworkPolicyPort {
  port?: number | string;
  protocol?: string;
}

const service = named('Service', 'specgate');
const pdb = only('PodDisruptionBudget');
const hpa = only('HorizontalPodAutoscaler');
const policy = named('NetworkPolicy', 'specgate');

describe('deploy/kubernetes', () => {
  it('lists every manifest in its kustomization, and nothing that is not there', () => {
    const kustomization = parse(readFileSync(path.join(manifestDir, 'kustomization.yaml'), 'utf8')) as {
      resources?: string[];
    };
    expect([...(kustomization.resources ?? [])].sort()).toEqual(manifestFiles);
  });

  it('exposes the pods through a Service that selects them and targets their port', () => {
    expect(selectsPods(service.spec?.selector)).toBe(true);
    const ports: { targetPort?: string | number }[] = service.spec?.ports ?? [];
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(containerPort(p.targetPort)).toBe(container.ports?.[0]?.containerPort);
  });

  it('runs the pods under their own account, with no API token mounted', () => {
    const account = only('ServiceAccount');
    expect(podSpec.serviceAccountName).toBe(account.metadata?.name);
    expect(account.automountServiceAccountToken).toBe(false);
    expect(podSpec.automountServiceAccountToken).toBe(false);
  });

  it('autoscales the Deployment on CPU, which its pods request', () => {
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec?.scaleTargetRef).toEqual({
      apiVersion: deployment.apiVersion,
      kind: 'Deployment',
      name: deployment.metadata?.name,
    });
    const metrics: { type?: string; resource?: { name?: string } }[] = hpa.spec?.metrics ?? [];
    expect(metrics.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')).toBe(true);
    // Utilization is measured against the request: without one the autoscaler cannot act.
    expect(container.resources?.requests?.cpu).toBeDefined();
    // The autoscaler owns the replica count; a count in the Deployment would reset it at every apply.
    expect(deployment.spec?.replicas).toBeUndefined();
  });

  it('lets a node drain evict a pod while another keeps serving', () => {
    expect(selectsPods(pdb.spec?.selector?.matchLabels)).toBe(true);
    const minReplicas: number = hpa.spec?.minReplicas ?? 1;
    expect(minReplicas).toBeGreaterThanOrEqual(2);
    // minAvailable at the autoscaler's minimum would forbid every eviction, and block the drain.
    expect(pdb.spec?.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec?.minAvailable).toBeLessThan(minReplicas);
  });

  it("keeps the most pods' database pools within PostgreSQL's connection limit", () => {
    const workers = Number(literalEnv.WORKERS ?? '1');
    const pool = Number(literalEnv.DATABASE_POOL_MAX);
    expect(pool).toBeGreaterThan(0);
    expect(hpa.spec?.maxReplicas * workers * pool).toBeLessThanOrEqual(POSTGRES_MAX_CONNECTIONS);
  });

  it("admits traffic to the service's port only, from the namespaces it names", () => {
    expect(selectsPods(policy.spec?.podSelector?.matchLabels)).toBe(true);
    expect(policy.spec?.policyTypes).toEqual(expect.arrayContaining(['Ingress', 'Egress']));
    const rules: { from?: unknown[]; ports?: NetworkPolicyPort[] }[] = policy.spec?.ingress ?? [];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.from?.length).toBeGreaterThan(0);
      expect(rule.ports?.map((p) => containerPort(p.port))).toEqual([container.ports?.[0]?.containerPort]);
    }
  });

  it('lets the pods reach DNS, Redis and PostgreSQL, and nothing else', () => {
    const rules: { to?: unknown[]; ports?: NetworkPolicyPort[] }[] = policy.spec?.egress ?? [];
    // Every rule names its destinations: a rule without `to` would allow any address.
    for (const rule of rules) expect(rule.to?.length).toBeGreaterThan(0);
    const allowed = rules.flatMap((r) => (r.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`));
    // 6379 twice: the session Redis and the cache's own (cache.yaml).
    expect(allowed.sort()).toEqual(['53/UDP', '53/TCP', '6379/TCP', '6379/TCP', '26379/TCP', '5432/TCP'].sort());
  });
});
