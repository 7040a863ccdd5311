/**
 * docker-compose.sentinel.yml wires a working Sentinel group: three sentinels monitoring the primary
 * under the group name the api asks for, with a quorum that needs a majority, a replica of that
 * primary, and the api pointed at the sentinels. Static: nothing here needs a Docker engine.
 */
import { argOf, envOf, isRedisServer, loadCompose, type Service } from './compose-support';

const services = loadCompose('docker-compose.sentinel.yml').services ?? {};
const apiEnv = envOf(services.api ?? {});

/** The whole command as one string: a sentinel's configuration is written by an `sh -c` script. */
const scriptOf = (service: Service): string =>
  Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');

const sentinels = Object.entries(services).filter(([, service]) => /\bredis-sentinel\b/.test(scriptOf(service)));
const monitorOf = (service: Service) => {
  const m = /sentinel monitor (\S+) (\S+) (\d+) (\d+)/.exec(scriptOf(service));
  return m ? { group: m[1], host: m[2], port: m[3], quorum: Number(m[4]) } : undefined;
};
const sentinelPortOf = (service: Service): string => /'port (\d+)'/.exec(scriptOf(service))?.[1] ?? '26379';

describe('docker-compose.sentinel.yml', () => {
  it('runs three sentinels whose quorum is a majority of them', () => {
    expect(sentinels).toHaveLength(3);
    for (const [, service] of sentinels) {
      const quorum = monitorOf(service)?.quorum ?? 0;
      expect(quorum).toBeGreaterThan(sentinels.length / 2);
      expect(quorum).toBeLessThanOrEqual(sentinels.length);
    }
  });

  it('has every sentinel monitor the primary, under the group the api asks for', () => {
    const group = apiEnv.REDIS_SENTINEL_MASTER;
    expect(group).toMatch(/\S/);
    for (const [, service] of sentinels) {
      const monitor = monitorOf(service);
      expect(monitor?.group).toBe(group);
      const primary = services[monitor?.host ?? ''] ?? {};
      expect(isRedisServer(primary)).toBe(true);
      expect(argOf(primary, '--replicaof')).toBeUndefined();
      expect(monitor?.port).toBe(argOf(primary, '--port') ?? '6379');
    }
  });

  it('runs a replica of the primary that can take its place', () => {
    const primaryName = monitorOf(sentinels[0]![1])?.host ?? '';
    const replicas = Object.entries(services).filter(([, service]) => argOf(service, '--replicaof') === primaryName);
    expect(replicas).toHaveLength(1);
    const [, replica] = replicas[0]!;
    // Each data node authenticates to whichever node is primary now, with the clients' password.
    for (const node of [replica, services[primaryName] ?? {}]) {
      expect(argOf(node, '--masterauth')).toBe(argOf(node, '--requirepass'));
    }
  });

  it('points the api at the sentinels by name, on the port they listen on, and not at a single Redis', () => {
    const expected = sentinels.map(([name, service]) => `${name}:${sentinelPortOf(service)}`);
    expect((apiEnv.REDIS_SENTINELS ?? '').split(',').sort()).toEqual(expected.sort());
    expect(apiEnv.REDIS_URL ?? '').toBe('');
    expect(apiEnv.REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it('announces each sentinel by its service name, which the api resolves', () => {
    for (const [name, service] of sentinels) {
      expect(service.hostname).toBe(name);
      expect(scriptOf(service)).toContain('sentinel announce-ip $$(hostname)');
      expect(scriptOf(service)).toContain('sentinel announce-hostnames yes');
    }
  });

  it('gives the sentinels the passwords the api and the data nodes use', () => {
    const primaryName = monitorOf(sentinels[0]![1])?.host ?? '';
    for (const [, service] of sentinels) {
      const env = envOf(service);
      expect(env.REDIS_SENTINEL_PASSWORD).toBe(apiEnv.REDIS_SENTINEL_PASSWORD);
      expect(env.REDIS_PASSWORD).toBe(apiEnv.REDIS_PASSWORD);
      expect(env.REDIS_PASSWORD).toBe(argOf(services[primaryName] ?? {}, '--requirepass'));
      expect(scriptOf(service)).toContain('"requirepass $$REDIS_SENTINEL_PASSWORD"');
      expect(scriptOf(service)).toMatch(/"sentinel auth-pass \S+ \$\$REDIS_PASSWORD"/);
    }
  });
});
