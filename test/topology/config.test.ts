/**
 * Config of the Redis topologies: REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS (exactly one),
 * an ACL user, and every problem reported at once with the others.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/core/config';
import { problemsOf } from '../support/config-problems';

const SECRET = randomBytes(48).toString('base64');

describe('Redis topology config', () => {
  it('reads a Cluster from its seed nodes, IPv6 in brackets', () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: 'redis-0:7000, 10.0.0.2:7001,[fd00::3]:7002', REDIS_PASSWORD: 'pw' });
    expect(c.redis).toMatchObject({
      url: undefined,
      sentinel: undefined,
      password: 'pw',
      cluster: [
        { host: 'redis-0', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'fd00::3', port: 7002 },
      ],
    });
  });

  it('reads a Sentinel group with its master name and the sentinels’ own password', () => {
    const c = loadConfig({
      REDIS_SENTINELS: 's1:26379,s2:26379,s3:26379',
      REDIS_SENTINEL_MASTER: 'specgate',
      REDIS_SENTINEL_PASSWORD: ' sentinel-pw\n',
      REDIS_USERNAME: 'specgate-svc',
      REDIS_USE_TLS: 'true',
    });
    expect(c.redis).toMatchObject({
      url: undefined,
      cluster: undefined,
      username: 'specgate-svc',
      useTls: true,
      sentinel: {
        masterName: 'specgate',
        password: 'sentinel-pw',
        nodes: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
          { host: 's3', port: 26379 },
        ],
      },
    });
  });

  it('takes the ACL user from REDIS_USERNAME or the URL, and refuses two different ones', () => {
    expect(loadConfig({ REDIS_URL: 'redis://svc@r:6379' }).redis.username).toBe('svc');
    expect(loadConfig({ REDIS_URL: 'redis://r:6379', REDIS_USERNAME: 'svc' }).redis.username).toBe('svc');
    expect(loadConfig({ REDIS_URL: 'redis://svc@r:6379', REDIS_USERNAME: 'svc' }).redis.username).toBe('svc');
    expect(problemsOf({ REDIS_URL: 'redis://svc@r:6379', REDIS_USERNAME: 'other' })).toEqual([
      'REDIS_USERNAME and the user of REDIS_URL differ: set one of them',
    ]);
  });

  it('needs exactly one topology, and names the ones set', () => {
    expect(problemsOf({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'c:7000' })).toEqual([
      'set one Redis topology, not REDIS_URL and REDIS_CLUSTER_NODES',
    ]);
    expect(
      problemsOf({ REDIS_CLUSTER_NODES: 'c:7000', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm' }),
    ).toEqual(['set one Redis topology, not REDIS_CLUSTER_NODES and REDIS_SENTINELS']);
  });

  it('accepts a Cluster or a Sentinel group as the Redis production requires', () => {
    const prod = {
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      PLAIN_HTTP: 'true',
      PUBLIC_URL: 'https://api.example.com',
    };
    expect(problemsOf({ ...prod, REDIS_CLUSTER_NODES: 'c:7000' })).toEqual([]);
    expect(problemsOf({ ...prod, REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm' })).toEqual([]);
    expect(problemsOf(prod)).toEqual([
      'REDIS_URL is required in production (sessions, tokens and login limits live in Redis)',
    ]);
  });

  it('refuses Sentinel settings without sentinels, and sentinels without a master name', () => {
    expect(problemsOf({ REDIS_SENTINELS: 's:26379' })).toEqual([
      'REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the monitored name)',
    ]);
    expect(problemsOf({ REDIS_SENTINEL_MASTER: 'm', REDIS_SENTINEL_PASSWORD: 'pw' })).toEqual([
      'REDIS_SENTINEL_MASTER is set but REDIS_SENTINELS is not',
      'REDIS_SENTINEL_PASSWORD is set but REDIS_SENTINELS is not',
    ]);
  });

  it('names every bad host:port entry, together with every other problem', () => {
    const problems = problemsOf({
      REDIS_CLUSTER_NODES: 'ok:7000,no-port,x:0,y:70000,redis://z:7000,fd00::1:7000',
      PORT: 'eighty',
    });
    expect(problems).toEqual([
      'PORT must be an integer from 0 to 65535 (got "eighty")',
      ...['no-port', 'x:0', 'y:70000', 'redis://z:7000', 'fd00::1:7000'].map(
        (e) => `REDIS_CLUSTER_NODES entry "${e}" must be host:port (an IPv6 host in brackets)`,
      ),
    ]);
  });

  it('never puts a Redis or sentinel password in a problem', () => {
    const problems = problemsOf({
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret-1',
      REDIS_PASSWORD: 'redis-secret-1',
      REDIS_CLUSTER_NODES: 'c:7000',
      REDIS_URL: 'redis://r:6379',
    });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).not.toMatch(/secret-1/);
  });
});
