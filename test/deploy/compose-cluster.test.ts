/**
 * docker-compose.cluster.yml wires a working Redis Cluster: six cluster nodes on fixed addresses,
 * a one-shot job that joins exactly those six as 3 primaries with a replica each, and an api whose
 * seed list names those nodes. Static: nothing here needs a Docker engine.
 */
import { argOf, commandOf, envOf, isOneShot, isRedisServer, loadCompose, type Service } from './compose-support';

const compose = loadCompose('docker-compose.cluster.yml') as ReturnType<typeof loadCompose> & {
  networks?: { default?: { ipam?: { config?: { subnet?: string }[] } } };
};
const services = compose.services ?? {};
const api = services.api ?? {};
const apiEnv = envOf(api);

const clusterNodes = Object.entries(services).filter(
  ([, service]) => isRedisServer(service) && argOf(service, '--cluster-enabled') === 'yes',
);
const portOf = (service: Service): string => argOf(service, '--port') ?? '6379';
const addressOf = (service: Service): string | undefined => {
  const networks = service.networks;
  return networks && !Array.isArray(networks) ? (networks.default?.ipv4_address ?? undefined) : undefined;
};

/** The IPv4 address as a 32-bit number, to test it against the declared subnet. */
const ipv4 = (address: string): number => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

describe('docker-compose.cluster.yml', () => {
  it('runs six cluster nodes, as 3 primaries and 3 replicas need', () => {
    expect(clusterNodes.map(([name]) => name)).toHaveLength(6);
  });

  it('gives every node a distinct fixed address inside the declared subnet', () => {
    const subnet = compose.networks?.default?.ipam?.config?.[0]?.subnet ?? '';
    const [base = '', bits = '32'] = subnet.split('/');
    const mask = bits === '0' ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
    const addresses = clusterNodes.map(([, service]) => addressOf(service) ?? '');
    expect(new Set(addresses).size).toBe(6);
    for (const address of addresses) {
      expect(address).toMatch(/^\d{1,3}(\.\d{1,3}){3}$/);
      expect((ipv4(address) & mask) >>> 0).toBe((ipv4(base) & mask) >>> 0);
    }
  });

  it('lets a replica authenticate to its primary with the password clients use', () => {
    for (const [, service] of clusterNodes) {
      expect(argOf(service, '--masterauth')).toBe(argOf(service, '--requirepass'));
    }
  });

  it('creates the cluster once, from exactly the six nodes, with one replica per primary', () => {
    const jobs = Object.entries(services).filter(([, service]) => commandOf(service).includes('--cluster'));
    expect(jobs).toHaveLength(1);
    const [, job] = jobs[0]!;
    expect(isOneShot(job)).toBe(true);
    const words = commandOf(job);
    const create = words.indexOf('create');
    expect(words[create - 1]).toBe('--cluster');
    const members = words.slice(create + 1).filter((word) => /^[^-].*:\d+$/.test(word));
    const expected = clusterNodes.map(([, service]) => `${addressOf(service)}:${portOf(service)}`);
    expect(members.sort()).toEqual(expected.sort());
    expect(argOf(job, '--cluster-replicas')).toBe('1');
    // Every node must be up before the job runs.
    const deps = Object.keys(job.depends_on ?? {});
    expect(deps.sort()).toEqual(clusterNodes.map(([node]) => node).sort());
  });

  it('points the api at the cluster nodes by name, on the port they listen on, and not at a single Redis', () => {
    const seeds = (apiEnv.REDIS_CLUSTER_NODES ?? '').split(',');
    const expected = clusterNodes.map(([name, service]) => `${name}:${portOf(service)}`);
    expect(seeds.length).toBeGreaterThan(0);
    for (const seed of seeds) expect(expected).toContain(seed);
    expect(apiEnv.REDIS_URL ?? '').toBe('');
    expect(apiEnv.REDIS_SENTINELS).toBeUndefined();
  });

  it('keeps the response cache on its own evicting Redis, outside the cluster', () => {
    const host = /^redis:\/\/([^:/]+):(\d+)\/?$/.exec(apiEnv.REDIS_CACHE_URL ?? '');
    expect(host).not.toBeNull();
    const cache = services[host?.[1] ?? ''] ?? {};
    expect(isRedisServer(cache)).toBe(true);
    expect(argOf(cache, '--cluster-enabled')).toBeUndefined();
    expect(argOf(cache, '--maxmemory-policy')).toBe('allkeys-lru');
  });
});
