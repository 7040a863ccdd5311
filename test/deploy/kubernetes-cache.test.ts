/**
 * deploy/kubernetes/cache.yaml runs the response cache on a Redis of its own, bounded and evicting
 * (maxmemory, allkeys-lru, nothing on disk), reachable only from the specgate pods; the api's
 * REDIS_CACHE_URL points at it, so cache evictions can never touch the sessions' Redis. Static.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/core/config';
import { type Container, literalEnv, named, podLabels, policyOf, secretEnv } from './kubernetes-support';

const cache = named('Deployment', 'specgate-cache');
const cacheLabels: Record<string, string> = cache.spec?.template?.metadata?.labels ?? {};
const containers: (Container & { args?: string[]; command?: string[]; image?: string })[] =
  cache.spec?.template?.spec?.containers ?? [];
const redis = containers[0]!;
const argOf = (flag: string): string | undefined => {
  const args = redis.args ?? [];
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
};
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Kubernetes memory quantities and Redis sizes, in bytes. */
function bytes(size: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|kb|mb|gb)?$/i.exec(size);
  if (!m) throw new Error(`unreadable size ${size}`);
  const unit = (m[2] ?? '').toLowerCase();
  const scale: Record<string, number> = {
    '': 1,
    ki: 1024,
    mi: 1024 ** 2,
    gi: 1024 ** 3,
    kb: 1024,
    mb: 1024 ** 2,
    gb: 1024 ** 3,
  };
  return Number(m[1]) * scale[unit]!;
}

describe('the cache Redis', () => {
  it('is one redis-server, bounded and evicting the least recently used keys, with nothing on disk', () => {
    expect(containers).toHaveLength(1);
    expect(redis.image).toMatch(/^redis:/);
    expect(redis.command).toEqual(['redis-server']);
    expect(argOf('--maxmemory-policy')).toBe('allkeys-lru');
    expect(bytes(argOf('--maxmemory') ?? '0')).toBeGreaterThan(0);
    expect(argOf('--save')).toBe('');
    expect(argOf('--appendonly')).toBe('no');
  });

  it('keeps maxmemory below the container memory limit (Redis needs room beyond its data)', () => {
    const limit = redis.resources?.limits?.memory;
    expect(limit).toBeDefined();
    expect(bytes(argOf('--maxmemory') ?? '0')).toBeLessThan(bytes(limit!));
  });

  it('requires a password taken from the Secret, not written in the manifest', () => {
    const pass = argOf('--requirepass') ?? '';
    const ref = /^\$\((\w+)\)$/.exec(pass)?.[1];
    expect(ref).toBeDefined();
    const fromSecret = redis.env?.find((e) => e.name === ref)?.valueFrom?.secretKeyRef;
    expect(fromSecret?.name).toBe('specgate');
    // The api authenticates with the same key.
    expect(secretEnv.get('REDIS_CACHE_PASSWORD')).toEqual(fromSecret);
  });

  it('is what the api uses as its cache, through a Service that selects only the cache pods', () => {
    const service = named('Service', 'specgate-cache');
    expect(selects(service.spec?.selector, cacheLabels)).toBe(true);
    expect(selects(service.spec?.selector, podLabels)).toBe(false);
    const url = new URL(literalEnv.REDIS_CACHE_URL ?? '');
    expect(url.protocol).toBe('redis:');
    expect(url.hostname).toBe(service.metadata?.name);
    const port = (service.spec?.ports ?? []).find((p: { port?: number }) => p.port === Number(url.port));
    expect(port).toBeDefined();
    expect(redis.ports?.find((p) => p.name === port.targetPort || p.containerPort === port.targetPort)).toBeDefined();
    const config = loadConfig({
      ...literalEnv,
      JWT_SECRET: randomBytes(48).toString('base64url'),
      REDIS_URL: 'redis://redis:6379',
      DATABASE_URL: 'postgres://specgate@postgresql:5432/specgate',
    });
    expect(config.redis.cacheUrl).toBe(literalEnv.REDIS_CACHE_URL);
  });

  it('admits only the specgate api pods, and reaches nothing', () => {
    const policy = policyOf('specgate-cache');
    expect(selects(policy.spec?.podSelector?.matchLabels, cacheLabels)).toBe(true);
    expect(policy.spec?.policyTypes).toEqual(expect.arrayContaining(['Ingress', 'Egress']));
    const from = (policy.spec?.ingress ?? []).flatMap((r: { from?: unknown[] }) => r.from ?? []);
    expect(from).toEqual([{ podSelector: { matchLabels: expect.any(Object) } }]);
    expect(selects(from[0].podSelector.matchLabels, podLabels)).toBe(true);
    expect(policy.spec?.egress).toEqual([]);
  });

  it('is reachable from the api pods through their own network policy', () => {
    const egress: { to?: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port?: number }[] }[] =
      policyOf('specgate').spec?.egress ?? [];
    const rule = egress.find((r) => r.to?.some((to) => selects(to.podSelector?.matchLabels, cacheLabels)));
    expect(rule?.ports?.map((p) => p.port)).toEqual([6379]);
  });
});
