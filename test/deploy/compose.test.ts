/**
 * Static checks on the deployment files: every Compose file (the single-Redis docker-compose.yml,
 * its TLS override, and the Cluster and Sentinel topologies), the Dockerfile and .env.example.
 * Nothing here needs a Docker engine. Each topology's own wiring is checked in compose-<topology>.test.ts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  ANY_REF,
  COMPOSE_REF,
  canBeProbed,
  commandOf,
  dependsOf,
  envOf,
  isOneShot,
  isRedisServer,
  isSecretKey,
  loadCompose,
  readText,
  root,
  type Service,
} from './compose-support';
import { configReadNames, knownConfigNames } from './config-variables';
import { dockerfileInstructions, finalCmd, inFinalStage, stageStarts } from './dockerfile-support';

/** Files that define a whole deployment, and overrides applied on top of one. */
const standaloneFiles = ['docker-compose.yml', 'docker-compose.cluster.yml', 'docker-compose.sentinel.yml'];
const overrideFiles = ['docker-compose.tls.yml'];

/**
 * The values a service passes as Redis passwords: --requirepass / --masterauth arguments, and the
 * password lines of a configuration an `sh -c` script writes (requirepass, masterauth,
 * sentinel auth-pass <group>, sentinel sentinel-pass).
 */
function redisPasswordArgs(service: Service): string[] {
  const words = commandOf(service);
  const fromFlags = words.flatMap((word, i) => {
    const m = /^--(?:requirepass|masterauth)(?:=(.*))?$/.exec(word);
    if (!m) return [];
    return [m[1] ?? words[i + 1] ?? ''];
  });
  const script = (Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '')).toString();
  const fromConfig = [
    ...script.matchAll(/(?:^|["'\s])(?:requirepass|masterauth|sentinel-pass|auth-pass\s+\S+)\s+([^"'\s]+)/g),
  ].map((m) => m[1] ?? '');
  return [...fromFlags, ...fromConfig];
}

describe('the Compose files', () => {
  it('are all present', () => {
    for (const file of [...standaloneFiles, ...overrideFiles]) expect(existsSync(path.join(root, file))).toBe(true);
  });
});

describe.each([...standaloneFiles, ...overrideFiles])('%s', (file) => {
  const compose = loadCompose(file);
  const services = compose.services ?? {};

  it('uses the Compose spec (no version: key)', () => {
    expect(compose.version).toBeUndefined();
  });

  it('has no inline secret in any environment value', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(envOf(service))) {
        if (isSecretKey(key)) {
          expect({ service: name, key, value, isReference: COMPOSE_REF.test(value) }).toEqual({
            service: name,
            key,
            value,
            isReference: true,
          });
        }
        // A password inside a URL (scheme://user:password@host) must be a reference too.
        const urlPassword = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@]*)@/i.exec(value)?.[1];
        if (urlPassword !== undefined) {
          expect({ service: name, key, urlPassword, isReference: COMPOSE_REF.test(urlPassword) }).toEqual({
            service: name,
            key,
            urlPassword,
            isReference: true,
          });
        }
      }
    }
  });

  it('passes Redis and Sentinel passwords only as references', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const arg of redisPasswordArgs(service)) {
        expect({ service: name, arg, isReference: ANY_REF.test(arg) }).toEqual({
          service: name,
          arg,
          isReference: true,
        });
      }
    }
  });

  it('keeps every session Redis on the noeviction policy, behind a password', () => {
    // Only a Redis named as the cache may evict; any other holds sessions (or may be promoted to).
    const sessionRedis = Object.entries(services).filter(
      ([name, service]) => isRedisServer(service) && !/cache/.test(name),
    );
    for (const [name, service] of sessionRedis) {
      const words = commandOf(service);
      const policy = words[words.indexOf('--maxmemory-policy') + 1];
      expect({ service: name, policy, password: words.includes('--requirepass') }).toEqual({
        service: name,
        policy: 'noeviction',
        password: true,
      });
    }
  });

  it("gives the api only variables the service's config reads", () => {
    const known = knownConfigNames();
    const unknown = Object.keys(envOf(services.api ?? {})).filter((name) => !known.has(name));
    expect(unknown).toEqual([]);
  });
});

describe.each(standaloneFiles)('%s as a whole deployment', (file) => {
  const services = loadCompose(file).services ?? {};

  it('runs the response cache on a Redis of its own, bounded and evicting, apart from the sessions', () => {
    const api = envOf(services.api ?? {});
    const host = /^redis:\/\/([^:/]+):(\d+)\/?$/.exec(api.REDIS_CACHE_URL ?? '')?.[1] ?? '';
    const cache = services[host];
    expect(cache && isRedisServer(cache)).toBe(true);
    const words = commandOf(cache ?? {});
    expect(words[words.indexOf('--maxmemory-policy') + 1]).toBe('allkeys-lru');
    expect(words.indexOf('--maxmemory')).toBeGreaterThanOrEqual(0);
    expect(words[words.indexOf('--maxmemory') + 1]).toMatch(/^\d+(mb|gb)$/i);
    // Not the Redis (or any node) the sessions live on.
    const sessionHosts = [api.REDIS_URL, api.REDIS_CLUSTER_NODES, api.REDIS_SENTINELS].join(',');
    expect(sessionHosts).not.toMatch(new RegExp(`\\b${host}\\b(?!-)`));
    expect(Object.keys(dependsOf(services.api ?? {}))).toContain(host);
  });

  it('gives every long-running service an enabled healthcheck, unless its image has nothing to run one with', () => {
    for (const [name, service] of Object.entries(services)) {
      if (isOneShot(service)) continue;
      if (!canBeProbed(service)) {
        // A probe there could only fail: the container would be marked unhealthy for ever.
        expect({ service: name, healthcheck: service.healthcheck }).toEqual({ service: name, healthcheck: undefined });
        continue;
      }
      const test = service.healthcheck?.test;
      const first = Array.isArray(test) ? test[0] : test;
      const enabled = service.healthcheck?.disable !== true && first !== undefined && first !== 'NONE';
      expect({ service: name, enabled }).toEqual({ service: name, enabled: true });
    }
  });

  it('waits for each dependency to be healthy, for a one-shot job to have succeeded, or for an unprobeable one to have started', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOf(service))) {
        const target = services[dep];
        expect({ service: name, dep, defined: target !== undefined }).toEqual({ service: name, dep, defined: true });
        const wanted =
          target && isOneShot(target)
            ? 'service_completed_successfully'
            : target && !canBeProbed(target)
              ? 'service_started'
              : 'service_healthy';
        expect({ service: name, dep, condition }).toEqual({ service: name, dep, condition: wanted });
      }
    }
  });

  it('starts the api only after every other service', () => {
    const others = Object.keys(services).filter((name) => name !== 'api');
    expect(Object.keys(dependsOf(services.api ?? {})).sort()).toEqual(others.sort());
  });

  it('builds the api from the Dockerfile and runs it read-only, in production', () => {
    const api = services.api ?? {};
    expect(api.build).toBeDefined();
    expect(envOf(api).NODE_ENV).toBe('production');
    expect((api as { read_only?: boolean }).read_only).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  const compose = loadCompose('docker-compose.yml');
  const services = compose.services ?? {};

  it('defines the api, redis and postgres services', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['api', 'redis', 'postgres']));
  });

  it('builds api from the Dockerfile and points it at the compose redis and postgres', () => {
    const api = services.api;
    expect(api?.build).toBeDefined();
    const env = envOf(api ?? {});
    expect(env.REDIS_URL).toMatch(/^rediss?:\/\/redis:\d+\/?$/);
    expect(env.REDIS_PASSWORD).toMatch(COMPOSE_REF);
    expect(env.DATABASE_URL).toMatch(/^postgres(?:ql)?:\/\/[^@]+@postgres:\d+\//);
    expect(env.TLS_CERT_FILE).toMatch(/^\//);
    expect(env.TLS_KEY_FILE).toMatch(/^\//);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: names the Compose syntax, not a template
  it('requires a Redis password (the ${VAR:?} form) and the noeviction policy', () => {
    const words = commandOf(services.redis ?? {});
    const pass = words[words.indexOf('--requirepass') + 1] ?? '';
    expect(pass).toMatch(/^\$\{REDIS_PASSWORD:?\?/);
    expect(words[words.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfileInstructions();
  const inFinal = (keyword: string): string[] => inFinalStage(keyword, instructions);

  it('is a multi-stage build', () => {
    expect(stageStarts(instructions).length).toBeGreaterThanOrEqual(2);
  });

  it('runs the final stage as a non-root user', () => {
    const users = inFinal('USER');
    expect(users.length).toBeGreaterThan(0);
    const user = (users[users.length - 1] ?? '').split(/\s+/)[1] ?? '';
    expect(user).not.toMatch(/^(root|0)(:.*)?$/);
  });

  it('declares a HEALTHCHECK in the final stage', () => {
    const hc = inFinal('HEALTHCHECK');
    expect(hc.length).toBeGreaterThan(0);
    expect(hc[hc.length - 1]).not.toMatch(/^HEALTHCHECK\s+NONE\b/i);
  });

  it('ships production dependencies only', () => {
    const text = instructions.join('\n');
    expect(text).toMatch(/--omit=dev|npm prune --production/);
  });

  it('starts the compiled entry point with NODE_ENV=production on port 8443', () => {
    expect(inFinal('ENV').join(' ')).toMatch(/NODE_ENV=production/);
    expect(inFinal('EXPOSE').join(' ')).toMatch(/\b8443\b/);
    const cmd = inFinal('CMD');
    expect(cmd[cmd.length - 1]).toMatch(/^CMD\s+\[\s*"node"\s*,(\s*"--[^"]+"\s*,)*\s*"dist\/src\/main\.js"\s*\]$/);
  });

  it('runs node as `npm start` does: the same flags and allocator environment', () => {
    const start = (JSON.parse(readText('package.json')) as { scripts: { start: string } }).scripts.start.split(/\s+/);
    expect(finalCmd(instructions)).toEqual(['node', ...start.filter((a) => a.startsWith('--')), 'dist/src/main.js']);
    const assigned = start.filter((a) => /^[A-Z_]+=/.test(a));
    expect(assigned.length).toBeGreaterThan(0);
    for (const a of assigned) expect(inFinal('ENV').join(' ')).toContain(a);
  });
});

describe('.env.example', () => {
  // Commented-out assignments ("# NAME=...") count as naming a variable too.
  const assignments = readText('.env.example')
    .split(/\r?\n/)
    .flatMap((line) => {
      const m = /^\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      return m ? [{ name: m[2] ?? '', value: (m[3] ?? '').trim(), commented: Boolean(m[1]) }] : [];
    });
  const names = new Set(assignments.map((a) => a.name));

  // Every variable src/core/config.ts reads, so the example cannot fall behind the code.
  const readByConfig = configReadNames();

  it('finds the variables config.ts reads', () => {
    expect(readByConfig).toEqual(
      expect.arrayContaining([
        'PORT',
        'JWT_SECRET',
        'REDIS_PASSWORD',
        'REDIS_URL',
        'DATABASE_URL',
        'TOKEN_EXPIRE_MINUTES',
      ]),
    );
  });

  it.each([...new Set([...readByConfig, 'POSTGRES_PASSWORD'])])('names %s', (name) => {
    expect(names.has(name)).toBe(true);
  });

  it.each(['JWT_SECRET', 'REDIS_PASSWORD', 'POSTGRES_PASSWORD'])('assigns no value to %s', (name) => {
    const found = assignments.filter((a) => a.name === name);
    expect(found.length).toBeGreaterThan(0);
    for (const a of found) expect(a.value.replace(/^(["'])\1$/, '')).toBe('');
  });

  it('assigns no value to any other secret-looking variable', () => {
    const filled = assignments.filter((a) => isSecretKey(a.name) && a.value.replace(/^(["'])\1$/, '') !== '');
    expect(filled).toEqual([]);
  });

  it('puts no password into DATABASE_URL or REDIS_URL', () => {
    for (const a of assignments.filter((x) => /_URL$/.test(x.name))) {
      expect(a.value).not.toMatch(/:\/\/[^/@]*:[^@/]+@/);
    }
  });
});
