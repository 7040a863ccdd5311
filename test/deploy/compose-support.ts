/**
 * Reading Compose files for the static deployment tests: the file as data, a service's environment
 * and command in one shape whichever form the file uses, and what counts as a secret reference.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const root = path.resolve(__dirname, '..', '..');
export const readText = (file: string): string => readFileSync(path.join(root, file), 'utf8');

export type Env = Record<string, string>;

export interface Service {
  image?: string;
  build?: unknown;
  hostname?: string;
  restart?: string;
  entrypoint?: string | string[];
  command?: string | string[];
  init?: boolean;
  environment?: Record<string, unknown> | string[];
  env_file?: string | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  profiles?: string[];
  ports?: (string | number)[];
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
}

export interface ComposeFile {
  version?: unknown;
  services?: Record<string, Service>;
}

/** Merge keys on: the topology files share one node definition through `<<: *anchor`, as Compose does. */
export const loadCompose = (file: string): ComposeFile => parse(readText(file), { merge: true }) as ComposeFile;

/** `environment` as a map, whichever of the two Compose forms (map or KEY=VALUE list) it uses. */
export function envOf(service: Service): Env {
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
export function commandOf(service: Service): string[] {
  const cmd = service.command;
  if (cmd === undefined) return [];
  const parts = Array.isArray(cmd) ? cmd.map(String) : [cmd];
  return parts.flatMap((p) => p.match(WORD) ?? []);
}

/** The word after `flag` in the command (`--port 6379`), or undefined. */
export function argOf(service: Service, flag: string): string | undefined {
  const words = commandOf(service);
  const i = words.indexOf(flag);
  return i === -1 ? undefined : words[i + 1];
}

/** `depends_on` in its long form; the short list form carries no condition, so each entry gets none. */
export function dependsOf(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on;
  if (deps === undefined) return {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d?.condition]));
}

/** Whether `dep` must exist for `service` to start (`required: false` lets Compose go on without it). */
export function dependencyRequired(service: Service, dep: string): boolean {
  const deps = service.depends_on;
  return Array.isArray(deps) || deps?.[dep]?.required !== false;
}

/**
 * Images with no program inside to run a healthcheck with (FROM scratch: one binary, no shell, no
 * HTTP client); their dependents can wait only for them to have started.
 */
export const UNPROBEABLE_IMAGES = ['otel/opentelemetry-collector-contrib'];
export const canBeProbed = (service: Service): boolean =>
  !UNPROBEABLE_IMAGES.includes((service.image ?? '').replace(/[:@].*$/, ''));

/**
 * A value as Compose interpolates it (compose-spec, "Interpolation"): $VAR, ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:+replacement}, ${VAR+replacement}, ${VAR:?error}, ${VAR?error}, and $$ for
 * a literal $. The colon forms treat an empty value as unset. Any other `$` (a shell's "$@", $1)
 * is an invalid template, for which Compose refuses the whole file: so does this.
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$/g;
  return value.replace(REFERENCE, (whole, name: string | undefined, op: string | undefined, arg = '', bare) => {
    if (whole === '$$') return '$';
    if (whole === '$') throw new Error(`invalid template (a $ Compose does not read; $$ is a literal $): ${value}`);
    const found = env[(name ?? bare) as string];
    const set = op?.startsWith(':') ? found !== undefined && found !== '' : found !== undefined;
    switch (op?.replace(':', '')) {
      case '-':
        return set ? (found as string) : arg;
      case '+':
        return set ? arg : '';
      case '?':
        if (!set) throw new Error(`${name}: ${arg}`);
        return found as string;
      default:
        return found ?? '';
    }
  });
}

/** Every string in a value (a service, a list, a map) as Compose interpolates it. */
export function interpolateAll<T>(value: T, env: Record<string, string | undefined>): T {
  if (typeof value === 'string') return interpolate(value, env) as T;
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env)])) as T;
  return value;
}

/** A one-shot job (a setup step that runs to completion): never restarted. */
export const isOneShot = (service: Service): boolean => service.restart === 'no';

/** A Redis data node (not a sentinel), whatever else its command line says. */
export const isRedisServer = (service: Service): boolean => {
  const words = commandOf(service);
  return words[0] === 'redis-server' && !words.includes('--sentinel');
};

// Keys whose values are secrets. *_FILE values are paths, *_MINUTES / *_DAYS durations, not secrets.
const SECRET_KEY = /PASSWORD|SECRET|TOKEN|KEY|AUTH/i;
const NOT_SECRET_KEY = /_FILE$|_MINUTES$|_DAYS$/i;
export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key);

/**
 * A whole value that is one Compose reference: ${VAR}, ${VAR:?msg} or ${VAR?msg}. The default
 * forms (${VAR:-x}, ${VAR-x}) are refused: a default would put a literal secret in the file.
 */
export const COMPOSE_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}$/;
/** The same, or a shell reference escaped for Compose ($$VAR, "$${VAR}") inside an sh -c string. */
export const ANY_REF = /^["']?(?:\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}|\$\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)["']?$/;
