/**
 * Static checks on the deployment files: docker-compose.yml (+ the TLS override),
 * Dockerfile and .env.example. Nothing here needs a Docker engine.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '..', '..');
const readText = (file: string): string => readFileSync(path.join(root, file), 'utf8');

type Env = Record<string, string>;

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  env_file?: string | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
}

interface ComposeFile {
  version?: unknown;
  services?: Record<string, Service>;
}

const loadCompose = (file: string): ComposeFile => parse(readText(file)) as ComposeFile;

const composeFiles = ['docker-compose.yml', 'docker-compose.tls.yml'].filter((f) => existsSync(path.join(root, f)));

/** `environment` as a map, whichever of the two Compose forms (map or KEY=VALUE list) it uses. */
function envOf(service: Service): Env {
  const env: Env = {};
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const eq = entry.indexOf('=');
      if (eq === -1) env[entry] = '';
      else env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else if (raw) {
    for (const [k, v] of Object.entries(raw)) env[k] = v === null || v === undefined ? '' : String(v);
  }
  return env;
}

/**
 * `command` as a list of words. Each element is split on whitespace outside ${...} and quotes,
 * so the string form and an `sh -c "..."` script are looked into as well.
 */
const WORD = /(?:\$\{[^}]*\}|"[^"]*"|'[^']*'|[^\s"'$]+|\$)+/g;
function commandOf(service: Service): string[] {
  const cmd = service.command;
  if (cmd === undefined) return [];
  const parts = Array.isArray(cmd) ? cmd.map(String) : [cmd];
  return parts.flatMap((p) => p.match(WORD) ?? []);
}

// Keys whose values are secrets. *_FILE values are paths, *_MINUTES / *_DAYS durations, not secrets.
const SECRET_KEY = /PASSWORD|SECRET|TOKEN|KEY|AUTH/i;
const NOT_SECRET_KEY = /_FILE$|_MINUTES$|_DAYS$/i;
const isSecretKey = (key: string): boolean => SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key);

/**
 * A whole value that is one Compose reference: ${VAR}, ${VAR:?msg} or ${VAR?msg}. The default
 * forms (${VAR:-x}, ${VAR-x}) are refused: a default would put a literal secret in the file.
 */
const COMPOSE_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}$/;
/** The same, or a shell reference escaped for Compose ($$VAR, "$${VAR}") inside an sh -c string. */
const ANY_REF = /^["']?(?:\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}|\$\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)["']?$/;

describe.each(composeFiles)('%s', (file) => {
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

  // biome-ignore lint/suspicious/noTemplateCurlyInString: names the Compose syntax, not a template
  it('passes --requirepass only a ${...} reference', () => {
    for (const [name, service] of Object.entries(services)) {
      const words = commandOf(service);
      words.forEach((word, i) => {
        let arg: string | undefined;
        if (word === '--requirepass') arg = words[i + 1];
        else if (word.startsWith('--requirepass=')) arg = word.slice('--requirepass='.length);
        else return;
        expect({ service: name, arg, isReference: ANY_REF.test(arg ?? '') }).toEqual({
          service: name,
          arg,
          isReference: true,
        });
      });
    }
  });

  it('keeps redis on the noeviction policy wherever its command is set', () => {
    const redis = services.redis;
    if (redis?.command === undefined) return; // an override that leaves the command alone
    const words = commandOf(redis);
    const i = words.indexOf('--maxmemory-policy');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(words[i + 1]).toBe('noeviction');
    expect(words).toContain('--requirepass');
  });
});

describe('docker-compose.yml', () => {
  const compose = loadCompose('docker-compose.yml');
  const services = compose.services ?? {};

  it('defines the api, redis and postgres services', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['api', 'redis', 'postgres']));
  });

  it.each(['api', 'redis', 'postgres'])('gives %s an enabled healthcheck', (name) => {
    const hc = services[name]?.healthcheck;
    expect(hc).toBeDefined();
    expect(hc?.disable).not.toBe(true);
    const test = Array.isArray(hc?.test) ? hc.test : [hc?.test];
    expect(test.length).toBeGreaterThan(0);
    expect(test[0]).toBeDefined();
    expect(test[0]).not.toBe('NONE');
  });

  it('starts api only once redis and postgres are healthy', () => {
    const deps = services.api?.depends_on;
    expect(deps).toBeDefined();
    expect(Array.isArray(deps)).toBe(false); // the short list form cannot carry a condition
    const map = deps as Record<string, { condition?: string }>;
    expect(map.redis?.condition).toBe('service_healthy');
    expect(map.postgres?.condition).toBe('service_healthy');
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
  // Join continuation lines, drop comments: one instruction per entry.
  const instructions = readText('Dockerfile')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  const fromIdx = instructions.flatMap((line, i) => (/^FROM\s/i.test(line) ? [i] : []));
  const finalStage = instructions.slice(fromIdx[fromIdx.length - 1] ?? 0);
  const inFinal = (keyword: string): string[] =>
    finalStage.filter((line) => new RegExp(`^${keyword}\\s`, 'i').test(line));

  it('is a multi-stage build', () => {
    expect(fromIdx.length).toBeGreaterThanOrEqual(2);
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
    expect(cmd[cmd.length - 1]).toMatch(/^CMD\s+\[\s*"node"\s*,\s*"dist\/src\/main\.js"\s*\]$/);
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
  const readByConfig = [
    ...readText('src/core/config.ts').matchAll(/(?:str|int|bool|url)\('([A-Z][A-Z0-9_]*)'|env\.([A-Z][A-Z0-9_]*)/g),
  ].map((m) => m[1] ?? m[2]!);

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
